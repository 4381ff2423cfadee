package parse

import (
	"fmt"
	"net/url"
)

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
			"the sender sends. It is reported once per listener and format; mixed-data-formats warns when one " +
			"listener receives more than one.",
		Bad:  "[[inputs.socket_listener]]\n  service_address = \"udp://:8094\"\n  # data_format missing: influx is assumed",
		Good: "[[inputs.socket_listener]]\n  service_address = \"udp://:8094\"\n  data_format = \"json\"",
		Cases: []Case{
			{Name: "json in auto mode", Config: caseAuto, Records: []Rec{{Data: `{"v": 1}`}}, Want: []Want{{"data-format-detected", Info, 0}}},
			{Name: "near miss: a configured data_format", Config: caseJSONOverride, Records: []Rec{{Data: `{"v": 1}`}}},
		},
		Only: Only{Auto: true, Parsed: true},
		Check: func(ctx *Context) {
			if !ctx.Auto || ctx.Err != nil {
				return
			}
			seen := stateOf(ctx.State, ruleDetected, func() map[string]bool { return map[string]bool{} })
			if seen[ctx.Format] {
				return
			}
			seen[ctx.Format] = true
			snippet := fmt.Sprintf("[[inputs.socket_listener]]\n  service_address = %s\n  data_format = %s", snippetAddress(ctx), tomlString(ctx.Format))
			if ctx.Format == "json" {
				if key := jsonNameCandidate(ctx.Record.Data); key != "" {
					snippet += "\n  json_name_key = " + tomlString(key)
				}
			}
			ctx.Report(fmt.Sprintf("records on this socket are %s; a real Telegraf needs data_format = %q", formatTitle(ctx.Format), ctx.Format),
				Position{}, "use this in telegraf.conf:\n"+snippet).Token = ctx.Format
		},
	})
}

// snippetAddress is the service_address of the suggested config: the one
// the user gave, else the socket's; `fakegraf check` binds nothing and a
// port 0 binds a random port, so those get Telegraf's usual one and a note.
func snippetAddress(ctx *Context) string {
	for _, addr := range []string{ctx.Stage.Origin.Address, ctx.Pipeline.listenerURL} {
		if u, err := url.Parse(addr); err == nil && u.Scheme != "" && u.Port() != "0" {
			return tomlString(addr)
		}
	}
	scheme := "udp"
	if ctx.Record.Stream {
		scheme = "tcp"
	}
	return tomlString(scheme+"://:8094") + "  # the address your senders send to"
}
