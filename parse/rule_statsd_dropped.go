package parse

import (
	"fmt"
	"strings"
)

const ruleStatsdDropped = "statsd-dropped"

func init() {
	Register(&Rule{
		ID:       ruleStatsdDropped,
		Severity: Error,
		Title:    "statsd lines lost before Telegraf's plugin parsed them",
		Doc:      "Telegraf's statsd plugin queues at most allowed_pending_messages datagrams or lines between its socket and its parsers and drops the rest (plugins/inputs/statsd/statsd.go udpListen, handler: \"Statsd message queue full\"); fakegraf also reports anything it sent on to the plugin that the plugin never read.",
		Bad:      "allowed_pending_messages = 10 with a burst of 1000 datagrams",
		Good:     "allowed_pending_messages = 10000",
		// The plugin's own messages (statsdin hands them over as they
		// come); serve/statsd_test.go sends the lines that draw them.
		Cases: []Case{
			{Name: "the plugin's message", Config: caseInfluxUDP, Transport: &PluginLog{Message: "Statsd message queue full. We have dropped 1 messages so far. You may want to increase allowed_pending_messages in the config"}, Want: []Want{{"statsd-dropped", Error, 0}}},
			{Name: "near miss: the plugin talking about itself", Config: caseInfluxUDP, Transport: &PluginLog{Message: "Stopping the statsd service"}},
		},
		CheckTransport: func(ctx *TransportContext) {
			pl := statsdLog(ctx)
			if pl == nil || !(strings.HasPrefix(pl.Message, "Statsd message queue full") || strings.Contains(pl.Message, "never reached it")) {
				return
			}
			ctx.Report(statsdMessage(pl, fmt.Sprintf("statsd lines lost before the plugin parsed them (%q)", pl.Message)), "raise allowed_pending_messages, or send fewer, larger datagrams")
		},
	})
}
