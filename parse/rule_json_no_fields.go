package parse

import (
	"fmt"
	"strings"
)

const ruleJSONNoFields = "json-no-fields"

func init() {
	Register(&Rule{
		ID:       ruleJSONNoFields,
		Severity: Error,
		Title:    "a JSON object that yields no metric because nothing numeric is left",
		Doc: "When every member of an object is a string or bool that is dropped, null, the name or the time, " +
			"the json parser makes a metric without fields, and RunningInput.MakeMetric drops it " +
			"(models/running_input.go) without an error or a log line: Telegraf only logs \"no metrics created\" " +
			"at debug level. The record vanishes.",
		Bad:      `{"metric_name": "status", "state": "ok", "count": "42"}`,
		Good:     `{"metric_name": "status", "state": "ok", "count": 42}   # plus json_string_fields = ["state"]`,
		Requires: []Fact{FactJSON},
		Only:     Only{Formats: []string{"json"}, Parsed: true},
		Check:    checkJSONNoFields,
		Cases: []Case{
			{Name: "only strings", Config: caseJSONNamed, Records: []Rec{{Data: `∑{"metric_name": "status", "state": "ok"}`}}, Want: []Want{{"json-no-fields", Error, 1}}},
			{Name: "empty object", Config: caseJSONOverride, Records: []Rec{{Data: `∑{}`}}, Want: []Want{{"json-no-fields", Error, 1}}},
			{Name: "second array element", Config: caseJSONNamed, Records: []Rec{{Data: `[{"metric_name": "a", "v": 1}, ∑{"metric_name": "b", "n": "2"}]`}}, Want: []Want{{"json-no-fields", Error, 1}}},
			{Name: "near miss: json_string_fields", Config: caseJSONNamed + "\n" + `json_string_fields = ["state"]`, Records: []Rec{{Data: `{"metric_name": "status", "state": "ok"}`}}},
		},
	})
}

func checkJSONNoFields(ctx *Context) {
	if ctx.Err != nil || ctx.Format != "json" {
		return
	}
	jp := jsonOptions(ctx.Stage)
	var doc *jsonDoc
	for i, m := range ctx.Parsed {
		if len(m.FieldList()) > 0 {
			continue
		}
		if doc == nil {
			doc = ctx.json()
		}
		if jp == nil || doc == nil || len(doc.Objects) != len(ctx.Parsed) {
			ctx.Report("the JSON object has no numeric member: Telegraf makes a metric without fields and drops it without a log line",
				Position{}, `send at least one numeric member, e.g. "value": 1`)
			return
		}
		o := doc.Objects[i]
		var strs, numeric, tags []string
		for _, f := range jsonFates(jp, o) {
			switch {
			case f.tag:
				tags = append(tags, f.leaf.Key)
			case f.leaf.Kind == 's' && isNumber([]byte(f.leaf.Str)):
				numeric = append(numeric, f.leaf.Key)
			default:
				strs = append(strs, f.leaf.Key)
			}
		}
		var why []string
		if len(numeric) > 0 {
			why = append(why, fmt.Sprintf("%s numbers in quotes", quoteKeys(numeric)))
		}
		if len(strs) > 0 {
			why = append(why, fmt.Sprintf("%s dropped strings or bools", quoteKeys(strs)))
		}
		if len(tags) > 0 {
			why = append(why, fmt.Sprintf("%s became tags", quoteKeys(tags)))
		}
		detail := "the object is empty"
		if len(o.Leaves) > 0 && len(why) == 0 {
			detail = "it holds only null, the name and the time"
		} else if len(why) > 0 {
			detail = strings.Join(why, "; ")
		}
		msg := fmt.Sprintf("the JSON object has no numeric member left (%s): Telegraf makes a metric without fields and drops it without a log line", detail)
		var fixes []string
		for _, k := range numeric {
			fixes = append(fixes, fmt.Sprintf("send %q as a JSON number, without quotes", k))
		}
		if len(strs) > 0 {
			fixes = append(fixes, "keep the strings as fields: "+ctx.settings().set(opt{"json_string_fields", mergeKeys(jp.StringFields, strs)}))
		}
		if len(fixes) == 0 {
			fixes = append(fixes, `send at least one numeric member, e.g. "value": 1`)
		}
		ctx.Report(msg, offsetPosition(ctx.Record.Data, o.Off), fixes...)
		return
	}
}

func quoteKeys(keys []string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = fmt.Sprintf("%q", k)
	}
	return andList(q)
}
