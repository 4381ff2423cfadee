package parse

import (
	"fmt"
	"strings"

	"github.com/influxdata/telegraf"
)

const ruleTimeKeyName = "time-key-name"

func init() {
	Register(&Rule{
		ID:       ruleTimeKeyName,
		Severity: Warning,
		Title:    "a key named time, or a JSON timestamp that is not read as the metric's time",
		Doc: "InfluxDB 1.x refuses a tag key named time and drops a field named time, refusing the point when " +
			"it was the only field (\"partial write: invalid field name: input field \\\"time\\\" ...\"), so such " +
			"data never arrives. And the json parser reads the metric's time only from json_time_key with " +
			"json_time_format (plugins/parsers/json/parser.go parseObject): without them a \"time\" or " +
			"\"timestamp\" member is stored as an ordinary field (or dropped, if it is a string) and the metric " +
			"gets the time Telegraf parsed it.",
		AlsoAt: []Level{
			{Info, "when a JSON time member is not read as the time " + autoModeWhen},
			{Error, "when a tag or the only field is named time: InfluxDB 1.x refuses the point"},
		},
		Bad:      `{"metric_name": "speed", "value": 1, "timestamp": 1700000000}`,
		Good:     "json_time_key = \"timestamp\"\njson_time_format = \"unix\"\n" + `{"metric_name": "speed", "value": 1, "timestamp": 1700000000}`,
		Requires: []Fact{FactJSON, FactJSONScan, FactParts},
		Only:     Only{Parsed: true},
		Shape:    notJSON, // JSON: members the parser did not keep
		Check:    checkTimeKeyName,
		Cases: []Case{
			{Name: "json timestamp member", Config: caseJSONNamed, Records: []Rec{{Data: `{"metric_name": "m", "v": 1, ∑"timestamp": {now_s}}`}}, Want: []Want{{"time-key-name", Warning, 1}}},
			{Name: "json rfc3339 string", Config: caseJSONNamed, Records: []Rec{{Data: `{"metric_name": "m", "v": 1, ∑"time": "2026-01-02T03:04:05Z"}`}}, Want: []Want{{"time-key-name", Warning, 1}}},
			{Name: "influx tag time", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu,∑time=a v=1\n"}}, Want: []Want{{"time-key-name", Error, 1}}},
			{Name: "influx field time beside another", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1,∑time=2\n"}}, Want: []Want{{"time-key-name", Warning, 1}}},
			{Name: "auto mode: json timestamp member", Config: caseAuto, Records: []Rec{{Data: `{"metric_name": "m", "v": 1, ∑"timestamp": {now_s}}`}}, Want: []Want{{"time-key-name", Info, 1}}},
			{Name: "near miss: json_time_key", Config: caseJSONNamed + "\n" + `json_time_key = "timestamp"` + "\n" + `json_time_format = "unix"`, Records: []Rec{{Data: `{"metric_name": "m", "v": 1, "timestamp": {now_s}}`}}},
		},
	})
}

func checkTimeKeyName(ctx *Context) {
	if ctx.Err != nil {
		return
	}
	var reported map[string]bool // made when a first finding is reported
	report := func(key string) {
		if reported == nil {
			reported = map[string]bool{}
		}
		reported[key] = true
	}
	if jp := jsonOptions(ctx.Stage); ctx.Format == "json" && jp != nil && jp.TimeKey == "" && ctx.jsonScan().timeKey {
		if doc := ctx.json(); doc != nil {
			for _, o := range doc.Objects {
				for _, lf := range o.Leaves {
					if !lf.TopMember || !jsonTimeNames[strings.ToLower(lf.Key)] || (lf.Kind != 'n' && lf.Kind != 's') || reported[lf.Key] {
						continue
					}
					format, ok := guessTimeFormat(lf)
					if !ok {
						continue
					}
					report(lf.Key)
					fate := "stored as an ordinary field"
					if lf.Kind == 's' {
						fate = "dropped"
					}
					reportConfigDependent(ctx, fmt.Sprintf("member %q (%s) looks like the metric's time, but without json_time_key it is %s and the metric gets the time Telegraf parsed it", lf.Key, lf.Raw, fate),
						offsetPosition(ctx.Record.Data, lf.KeyOff),
						ctx.settings().set(opt{"json_time_key", lf.Key}, opt{"json_time_format", format})).Token = lf.Key
				}
			}
		}
	}
	if ctx.sameShape {
		return // a JSON record: its metrics' keys are those of a clean record
	}
	for _, m := range ctx.Metrics {
		if _, ok := m.GetTag("time"); ok && !reported["tag time"] {
			report("tag time")
			ctx.ReportAs(Error, fmt.Sprintf("measurement %q has a tag key named \"time\": InfluxDB 1.x refuses the point (invalid tag key)", m.Name()),
				keyPosition(ctx, m, partTagKey), `rename the tag, e.g. to "time_tag"`).Token = m.Name()
		}
		if _, ok := m.GetField("time"); ok && !reported["time"] && !reported["field time"] {
			report("field time")
			if len(m.FieldList()) == 1 {
				ctx.ReportAs(Error, fmt.Sprintf("measurement %q has only a field named \"time\": InfluxDB 1.x refuses the point (invalid field name)", m.Name()),
					keyPosition(ctx, m, partFieldKey), `rename the field, e.g. to "time_value"`).Token = m.Name()
			} else {
				ctx.Report(fmt.Sprintf("measurement %q has a field named \"time\": InfluxDB 1.x drops that field", m.Name()),
					keyPosition(ctx, m, partFieldKey), `rename the field, e.g. to "time_value"`).Token = m.Name()
			}
		}
	}
}

func keyPosition(ctx *Context, m telegraf.Metric, p part) Position {
	for i, pm := range ctx.Parsed {
		if pm.Name() == m.Name() || nameOverride(ctx.Stage) != "" {
			if off := ctx.partOffset(i, p, "time"); off >= 0 {
				return offsetPosition(ctx.Record.Data, off)
			}
		}
	}
	return Position{}
}
