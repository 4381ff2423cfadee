package parse

import "fmt"

const ruleDetected = "data-format-detected"

func init() {
	Register(&Rule{
		ID:       ruleDetected,
		Severity: Info,
		Title:    "data format detected (--data-format auto): the config a real Telegraf needs",
		Doc: "With --data-format auto fakegraf works out per record whether it is JSON, influx line protocol " +
			"or Wavefront and parses it with that Telegraf parser and its defaults. A real Telegraf parses " +
			"every record on a socket_listener with the one data_format its config names (default influx, " +
			"config/config.go setDefaultParser), so this finding gives the config snippet that accepts what " +
			"the sender sends. It is reported once per listener and format.",
		Bad:  "[[inputs.socket_listener]]\n  service_address = \"udp://:8094\"\n  # data_format missing: influx is assumed",
		Good: "[[inputs.socket_listener]]\n  service_address = \"udp://:8094\"\n  data_format = \"json\"",
		Cases: []Case{
			{Name: "json in auto mode", Config: caseAuto, Records: []Rec{{Data: `{"v": 1}`}}, Want: []Want{{"data-format-detected", Info, 0}}},
			{Name: "near miss: a configured data_format", Config: caseJSONOverride, Records: []Rec{{Data: `{"v": 1}`}}},
		},
		Check: func(ctx *Context) {
			if !ctx.Auto || ctx.Err != nil {
				return
			}
			seen := stateOf(ctx.State, ruleDetected, func() map[string]bool { return map[string]bool{} })
			if seen[ctx.Format] {
				return
			}
			seen[ctx.Format] = true
			snippet := fmt.Sprintf("[[inputs.socket_listener]]\n  service_address = %q\n  data_format = %q", ctx.Pipeline.listenerURL, ctx.Format)
			if ctx.Format == "json" {
				if key := jsonNameCandidate(ctx.Record.Data); key != "" {
					snippet += fmt.Sprintf("\n  json_name_key = %q", key)
				}
			}
			ctx.Report(fmt.Sprintf("records on this socket are %s; a real Telegraf needs data_format = %q", formatTitle(ctx.Format), ctx.Format),
				Position{}, "use this in telegraf.conf:\n"+snippet)
		},
	})
}
