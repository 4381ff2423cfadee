package parse

import (
	"fmt"
	"strings"
)

const ruleDefaultName = "default-measurement-name"

func init() {
	Register(&Rule{
		ID:       ruleDefaultName,
		Severity: Warning,
		Title:    "the measurement is named after the plugin (socket_listener)",
		Doc: "The json and value parsers name every metric after the plugin that owns them, socket_listener " +
			"(config/config.go addParser passes the plugin name to the parser's creator; " +
			"plugins/parsers/json/parser.go parseObject), unless json_name_key finds a string in the object or " +
			"name_override renames it (models/makemetric.go). Every sender on the socket then writes into one " +
			"measurement called socket_listener, where their fields mix and dashboards cannot tell them apart.",
		AlsoAt:   []Level{{Info, autoModeWhen}},
		Bad:      "data_format = \"json\"   # and no json_name_key or name_override\n{\"metric_name\": \"speed\", \"value\": 10}",
		Good:     "data_format = \"json\"\njson_name_key = \"metric_name\"\n{\"metric_name\": \"speed\", \"value\": 10}",
		Requires: []Fact{FactJSON},
		Only:     Only{Formats: []string{"json", "value"}, Parsed: true},
		Check:    checkDefaultName,
		Cases: []Case{
			{Name: "json without name", Config: caseJSON, Records: []Rec{{Data: `∑{"value1": 10}`}}, Want: []Want{{"default-measurement-name", Warning, 1}}},
			{Name: "json with an unused name member", Config: caseJSON, Records: []Rec{{Data: `∑{"metric_name": "speed", "value": 10}`}}, Want: []Want{{"default-measurement-name", Warning, 1}}},
			{Name: "value format", Config: "data_format = \"value\"\ndata_type = \"integer\"", Records: []Rec{{Data: "42"}}, Want: []Want{{"default-measurement-name", Warning, 0}}},
			{Name: "auto mode: the config to write", Config: caseAuto, Records: []Rec{{Data: `∑{"value1": 10}`}}, Want: []Want{{"default-measurement-name", Info, 1}}},
			{Name: "auto mode: said once per sender", Config: caseAuto, Records: []Rec{{Data: `{"value1": 10}`}, {Data: `{"value1": 11}`}}},
			{Name: "near miss: name_override", Config: caseJSONOverride, Records: []Rec{{Data: `{"value1": 10}`}}},
		},
	})
}

func checkDefaultName(ctx *Context) {
	if ctx.Err != nil || (ctx.Format != "json" && ctx.Format != "value") || nameOverride(ctx.Stage) != "" {
		return
	}
	jp := jsonOptions(ctx.Stage)
	if jp != nil && jp.NameKey != "" {
		return // json-name-key-type says why json_name_key did not name it
	}
	def := defaultName(ctx.Stage)
	if def == "" {
		return
	}
	for i, m := range ctx.Parsed {
		if m.Name() != def {
			continue
		}
		pos := Position{}
		var fixes []string
		if ctx.Format == "json" {
			if doc := ctx.json(); doc != nil && i < len(doc.Objects) {
				pos = offsetPosition(ctx.Record.Data, doc.Objects[i].Off)
			}
			if key := jsonNameCandidate(ctx.Record.Data); key != "" {
				fixes = append(fixes, fmt.Sprintf("%s: the %q member then names the measurement", ctx.settings().set(opt{"json_name_key", key}), key))
			} else {
				fixes = append(fixes, `add a "metric_name": "my_measurement" member to every object and `+ctx.settings().set(opt{"json_name_key", "metric_name"}))
			}
		}
		fixes = append(fixes, "or "+ctx.settings().set(opt{"name_override", "my_measurement"}))
		msg := fmt.Sprintf("the measurement is named %q after the plugin: neither json_name_key nor name_override names it", def)
		if ctx.Format == "value" {
			msg = fmt.Sprintf("the measurement is named %q after the plugin: data_format value carries no name and name_override is not set", def)
			fixes = fixes[len(fixes)-1:]
			fixes[0] = strings.TrimPrefix(fixes[0], "or ")
		}
		reportConfigDependent(ctx, msg, pos, fixes...).Token = def
		return
	}
}
