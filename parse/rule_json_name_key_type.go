package parse

import (
	"fmt"
	"strings"

	jsonparser "github.com/influxdata/telegraf/plugins/parsers/json"
)

// allNamedByKey reports whether every parsed metric took its name from
// json_name_key, which only a non-empty string does.
func allNamedByKey(ctx *Context, jp *jsonparser.Parser) bool {
	for _, m := range ctx.Parsed {
		if m.Name() == jp.MetricName || m.Name() == "" {
			return false
		}
	}
	return len(ctx.Parsed) > 0
}

const ruleJSONNameKeyType = "json-name-key-type"

func init() {
	Register(&Rule{
		ID:       ruleJSONNameKeyType,
		Severity: Warning,
		Title:    "json_name_key is missing from the object or is not a non-empty string",
		Doc: "The json parser uses the json_name_key member as the measurement name only when it is a string " +
			"(plugins/parsers/json/parser.go parseObject). A missing member, a number or a bool silently keeps " +
			"the plugin's name, socket_listener, and a number is stored as a field as well. An empty string " +
			"gives an empty measurement name, which the influx output refuses (\"invalid name\", " +
			"plugins/serializers/influx/influx.go), so that metric is lost: an error.",
		AlsoAt:   []Level{{Error, "when the member is an empty string: the influx output refuses the metric"}},
		Bad:      `json_name_key = "metric_name"` + "\n" + `{"metric_name": 42, "value": 1}`,
		Good:     `json_name_key = "metric_name"` + "\n" + `{"metric_name": "speed", "value": 1}`,
		Requires: []Fact{FactJSON},
		Only:     Only{Formats: []string{"json"}, Parsed: true},
		Check:    checkJSONNameKeyType,
		Cases: []Case{
			{Name: "number", Config: caseJSONNamed, Records: []Rec{{Data: `{"metric_name": ∑5, "v": 1}`}}, Want: []Want{{"json-name-key-type", Warning, 1}}},
			{Name: "empty string", Config: caseJSONNamed, Records: []Rec{{Data: `{"metric_name": ∑"", "v": 1}`}}, Want: []Want{{"json-name-key-type", Error, 1}}},
			{Name: "missing", Config: caseJSONNamed, Records: []Rec{{Data: `∑{"v": 1}`}}, Want: []Want{{"json-name-key-type", Warning, 1}}},
			{Name: "another name member", Config: caseJSONNamed, Records: []Rec{{Data: `∑{"name": "speed", "v": 1}`}}, Want: []Want{{"json-name-key-type", Warning, 1}}},
			{Name: "near miss: nested name key", Config: caseJSON + "\n" + `json_name_key = "meta_name"`, Records: []Rec{{Data: `{"meta": {"name": "speed"}, "v": 1}`}}},
		},
	})
}

func checkJSONNameKeyType(ctx *Context) {
	jp := jsonOptions(ctx.Stage)
	if ctx.Err != nil || ctx.Format != "json" || jp == nil || jp.NameKey == "" || nameOverride(ctx.Stage) != "" {
		return
	}
	if allNamedByKey(ctx, jp) {
		return // every object named itself: don't lex the record
	}
	doc := ctx.json()
	if doc == nil {
		return
	}
	key := jp.NameKey
	for _, o := range doc.Objects {
		var leaf *jsonLeaf
		nested := false
		for i := range o.Leaves {
			if o.Leaves[i].Key == key {
				leaf = &o.Leaves[i]
			} else if strings.HasPrefix(o.Leaves[i].Key, key+"_") {
				nested = true
			}
		}
		fix := fmt.Sprintf("send the name as a non-empty JSON string: %q: \"my_measurement\"", key)
		switch {
		case leaf == nil && nested:
			ctx.Report(fmt.Sprintf("json_name_key %q is an object or array, not a string: the measurement is named %q", key, jp.MetricName),
				offsetPosition(ctx.Record.Data, o.Off), fix).Token = key
		case leaf == nil:
			fixes := []string{fmt.Sprintf("add %q: \"my_measurement\" to every object", key)}
			if other := nameMember(o); other != "" {
				fixes = []string{fmt.Sprintf("%s: the object names itself with %q", ctx.settings().set(opt{"json_name_key", other}), other), "or " + fixes[0]}
			}
			ctx.Report(fmt.Sprintf("json_name_key %q is not in the object: the measurement is named %q", key, jp.MetricName),
				offsetPosition(ctx.Record.Data, o.Off), fixes...).Token = key
		case leaf.Kind == 's' && leaf.Str == "":
			ctx.ReportAs(Error, fmt.Sprintf("json_name_key %q is an empty string: the measurement name is empty and the influx output refuses the metric (invalid name)", key),
				offsetPosition(ctx.Record.Data, leaf.ValueOff), fix).Token = key
		case leaf.Kind != 's':
			kind := map[byte]string{'n': "a number", 'b': "a bool", 'z': "null"}[leaf.Kind]
			extra := ""
			if leaf.Kind == 'n' {
				extra = " and the number is stored as a field"
			}
			ctx.Report(fmt.Sprintf("json_name_key %q is %s (%s), not a string: the measurement is named %q%s", key, kind, leaf.Raw, jp.MetricName, extra),
				offsetPosition(ctx.Record.Data, leaf.ValueOff), fix).Token = key
		default:
			continue
		}
		return
	}
}

// nameMember is a top-level string member that looks like it names the
// measurement ("metric_name", "measurement", "metric", "name"), or "".
func nameMember(o jsonObject) string {
	for _, lf := range o.Leaves {
		if lf.TopMember && lf.Kind == 's' && jsonNameKeys[lf.Key] {
			return lf.Key
		}
	}
	return ""
}
