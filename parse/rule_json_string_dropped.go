package parse

import (
	"fmt"
	"strings"

	jsonparser "github.com/influxdata/telegraf/plugins/parsers/json"
)

const ruleJSONStringDropped = "json-string-dropped"

func init() {
	Register(&Rule{
		ID:       ruleJSONStringDropped,
		Severity: Warning,
		Title:    "a JSON string or bool that Telegraf drops",
		Doc: "The json parser keeps only numbers as fields. A string or bool member survives only when tag_keys " +
			"makes it a tag or json_string_fields keeps it as a field; everything else, numeric strings such as " +
			"\"42\" included, is deleted without a log line (plugins/parsers/json/parser.go switchFieldToTag). " +
			"The sender believes it is storing the value; InfluxDB never sees it.",
		AlsoAt:   []Level{{Info, autoModeWhen}},
		Bad:      `{"value1": 10, "value2": 3, "format": "json"}   # no tag_keys`,
		Good:     `tag_keys = ["format"]   # in [[inputs.socket_listener]]`,
		Requires: []Fact{FactJSON, FactJSONScan},
		Only:     Only{Formats: []string{"json"}, Parsed: true},
		Check:    checkJSONStringDropped,
		Cases: []Case{
			{Name: "format without tag_keys", Config: caseJSONOverride, Records: []Rec{{Data: `{"value1": 10, "value2": 3, ∑"format": "json"}`}}, Want: []Want{{"json-string-dropped", Warning, 1}}},
			{Name: "bool and numeric string", Config: caseJSONOverride, Records: []Rec{{Data: `{"value1": 10, ∑"ok": true, "n": "42"}`}}, Want: []Want{{"json-string-dropped", Warning, 1}}},
			{Name: "auto mode: the config to write", Config: caseAuto, Records: []Rec{{Data: `{"value1": 10, ∑"format": "json"}`}}, Want: []Want{{"json-string-dropped", Info, 1}}},
			{Name: "near miss: tag_keys", Config: caseJSONOverride + "\n" + `tag_keys = ["format"]`, Records: []Rec{{Data: `{"value1": 10, "value2": 3, "format": "json"}`}}},
			{Name: "near miss: json_string_fields glob", Config: caseJSONOverride + "\n" + `json_string_fields = ["msg*"]`, Records: []Rec{{Data: `{"value1": 10, "msg_a": "x", "msg_b": "y"}`}}},
		},
	})
}

// ownedElsewhere reports string members another rule explains better: a
// name member when json_name_key is unset or names nothing in the object
// (default-measurement-name, json-name-key-type), and a time member without
// json_time_key (time-key-name).
func ownedElsewhere(jp *jsonparser.Parser, o jsonObject, lf jsonLeaf) bool {
	if lf.TopMember && lf.Kind == 's' && jsonNameKeys[lf.Key] && (jp.NameKey == "" || !hasLeaf(o, jp.NameKey)) {
		return true
	}
	if jp.TimeKey == "" && lf.TopMember && jsonTimeNames[strings.ToLower(lf.Key)] {
		_, ok := guessTimeFormat(lf)
		return ok
	}
	return false
}

func hasLeaf(o jsonObject, key string) bool {
	for _, lf := range o.Leaves {
		if lf.Key == key || strings.HasPrefix(lf.Key, key+"_") {
			return true
		}
	}
	return false
}

func checkJSONStringDropped(ctx *Context) {
	jp := jsonOptions(ctx.Stage)
	if ctx.Err != nil || ctx.Format != "json" || jp == nil {
		return
	}
	if nothingDropped(ctx, jp) {
		return
	}
	doc := ctx.json()
	if doc == nil || len(doc.Objects) != len(ctx.Parsed) {
		return
	}
	var dropped []jsonLeaf
	seen := map[string]bool{}
	for i, o := range doc.Objects {
		if len(ctx.Parsed[i].FieldList()) == 0 {
			continue // json-no-fields
		}
		for _, f := range jsonFates(jp, o) {
			if f.dropped && !seen[f.leaf.Key] && !ownedElsewhere(jp, o, f.leaf) {
				seen[f.leaf.Key] = true
				dropped = append(dropped, f.leaf)
			}
		}
	}
	if len(dropped) == 0 {
		return
	}
	var descr, keys, numeric []string
	tagFirst := true
	for _, lf := range dropped {
		kind := "string"
		if lf.Kind == 'b' {
			kind, tagFirst = "bool", false
		} else if isNumber([]byte(lf.Str)) {
			numeric = append(numeric, lf.Key)
		} else if len(lf.Str) > 64 || strings.ContainsAny(lf.Str, " \t\n") {
			tagFirst = false
		}
		descr = append(descr, fmt.Sprintf("%q (%s %s)", lf.Key, kind, shortRaw(lf.Raw)))
		keys = append(keys, lf.Key)
	}
	msg := fmt.Sprintf("%s dropped: %s; the json parser keeps strings and bools only when tag_keys or json_string_fields name them",
		plural(len(dropped), "member", "members"), strings.Join(descr, ", "))
	var fixes []string
	for _, k := range numeric {
		fixes = append(fixes, fmt.Sprintf("send %q as a JSON number, without quotes", k))
	}
	asTag := "keep them as tags: " + ctx.settings().set(opt{"tag_keys", mergeKeys(jp.TagKeys, keys)})
	asField := "keep them as fields: " + ctx.settings().set(opt{"json_string_fields", mergeKeys(jp.StringFields, keys)})
	if len(dropped) == 1 {
		asTag = strings.Replace(asTag, "them as tags", "it as a tag", 1)
		asField = strings.Replace(asField, "them as fields", "it as a field", 1)
	}
	if tagFirst {
		fixes = append(fixes, asTag, "or "+asField)
	} else {
		fixes = append(fixes, asField, "or "+asTag)
	}
	reportConfigDependent(ctx, msg, offsetPosition(ctx.Record.Data, dropped[0].KeyOff), fixes...).Token = dropped[0].Key
}

// nothingDropped reports whether every value of the record survived as a
// tag, a field or the measurement name: then no string or bool was dropped,
// and a clean JSON record skips the lexer. It compares with the values the
// record's one scan counted (scanJSON), with no allocation. json_query,
// json_time_key and tag_keys on numbers make the sums differ, and the full
// check runs.
func nothingDropped(ctx *Context, jp *jsonparser.Parser) bool {
	kept := 0
	for _, m := range ctx.Parsed {
		kept += len(m.TagList()) + len(m.FieldList())
		if jp.NameKey != "" && m.Name() != jp.MetricName {
			kept++
		}
	}
	return kept == ctx.jsonScan().values
}
