package parse

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/tidwall/gjson"
)

const ruleJSONQueryNoMatch = "json-query-no-match"

func init() {
	Register(&Rule{
		ID:       ruleJSONQueryNoMatch,
		Severity: Error,
		Title:    "json_query matches nothing in the record: no metrics and no error",
		Doc: "With json_query set, the json parser first looks the path up with gjson and parses only what it " +
			"finds. When the path leads nowhere, gjson gives a null result and the parser returns no metrics and " +
			"no error (plugins/parsers/json/parser.go Parse), and socket_listener only logs, at debug level and " +
			"once per run, that a message made no metrics (plugins/inputs/socket_listener/socket_listener.go " +
			"onData). Every such record is lost without a trace; one that is not even valid JSON too, since the " +
			"parser never sees it. A path that finds an explicit null or an empty array is the sender saying " +
			"there is nothing, and is not reported.",
		Bad:   "json_query = \"data.metrics\"\n{\"data\": {\"metric\": [{\"v\": 1}]}}",
		Good:  "json_query = \"data.metric\"\n{\"data\": {\"metric\": [{\"v\": 1}]}}",
		Only:  Only{Formats: []string{"json"}, Parsed: true},
		Check: checkJSONQueryNoMatch,
		Cases: []Case{
			{Name: "a path to nowhere", Config: caseJSONOverride + "\n" + `json_query = "data.metrics"`,
				Records: []Rec{{Data: `{"data": {"metric": [{"v": 1}]}}`}}, Want: []Want{{"json-query-no-match", Error, 0}}},
			{Name: "not JSON at all", Config: caseJSONOverride + "\n" + `json_query = "data"`,
				Records: []Rec{{Data: `data: 1`}}, Want: []Want{{"json-query-no-match", Error, 0}}},
			{Name: "near miss: the path finds the metrics", Config: caseJSONOverride + "\n" + `json_query = "data.metric"`,
				Records: []Rec{{Data: `{"data": {"metric": [{"v": 1}]}}`}}},
			{Name: "near miss: the path finds null", Config: caseJSONOverride + "\n" + `json_query = "data"`,
				Records: []Rec{{Data: `{"data": null}`}}},
			{Name: "near miss: no json_query", Config: caseJSONOverride, Records: []Rec{{Data: `{}`}}},
		},
	})
}

func checkJSONQueryNoMatch(ctx *Context) {
	jp := jsonOptions(ctx.Stage)
	if ctx.Format != "json" || jp == nil || jp.Query == "" || ctx.Err != nil || len(ctx.Parsed) > 0 {
		return
	}
	data := ctx.Record.Data
	if len(bytes.TrimSpace(data)) == 0 || gjson.GetBytes(data, jp.Query).Exists() {
		return
	}
	s := ctx.settings()
	msg := fmt.Sprintf("json_query %q matches nothing in the record: Telegraf makes no metrics from it and reports no error", jp.Query)
	var fixes []string
	if !json.Valid(bytes.TrimSpace(data)) {
		msg = fmt.Sprintf("json_query %q matches nothing in the record, which is not valid JSON: Telegraf makes no metrics from it and reports no error", jp.Query)
		fixes = append(fixes, "send valid JSON, one document per record")
	} else {
		if path := metricsPath(data); path != "" {
			fixes = append(fixes, fmt.Sprintf("%s: the objects there hold numbers", s.set(opt{"json_query", path})))
		} else if holdsNumbers(gjson.ParseBytes(data)) {
			fixes = append(fixes, s.remove("json_query")+": the record itself holds the numbers")
		}
		fixes = append(fixes, fmt.Sprintf("or have the sender put its metrics at %q", jp.Query))
		if len(fixes) == 1 {
			fixes[0] = fixes[0][len("or "):]
		}
	}
	ctx.Report(msg, Position{}, fixes...)
}

// metricsPath is the path of the first member, two levels deep at most,
// that holds an object or an array of objects with numbers in them: a
// json_query that would give metrics.
func metricsPath(data []byte) string {
	var found string
	var walk func(r gjson.Result, prefix string, depth int)
	walk = func(r gjson.Result, prefix string, depth int) {
		r.ForEach(func(k, v gjson.Result) bool {
			path := prefix + gjsonEscape(k.String())
			if holdsNumbers(v) {
				found = path
				return false
			}
			if v.IsObject() && depth < 2 {
				walk(v, path+".", depth+1)
			}
			return found == ""
		})
	}
	if root := gjson.ParseBytes(data); root.IsObject() {
		walk(root, "", 1)
	}
	return found
}

// holdsNumbers reports whether an object, or every element of an array,
// has a number member: what the json parser makes a metric of.
func holdsNumbers(r gjson.Result) bool {
	has := func(o gjson.Result) bool {
		n := false
		o.ForEach(func(_, v gjson.Result) bool {
			n = v.Type == gjson.Number
			return !n
		})
		return n
	}
	switch {
	case r.IsObject():
		return has(r)
	case r.IsArray():
		all, any := true, false
		r.ForEach(func(_, v gjson.Result) bool {
			any = true
			all = all && v.IsObject() && has(v)
			return all
		})
		return any && all
	}
	return false
}

// gjsonEscape escapes the characters a gjson path gives meaning to.
func gjsonEscape(k string) string {
	var b bytes.Buffer
	for _, c := range k {
		switch c {
		case '.', '*', '?', '|', '#', '@', '\\', '!', '=', '<', '>', '%':
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
