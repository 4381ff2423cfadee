package parse

import "strings"

const ruleStatsdDropped = "statsd-dropped"

func init() {
	Register(&Rule{
		ID:       ruleStatsdDropped,
		Severity: Error,
		Title:    "statsd lines lost before Telegraf's plugin parsed them",
		Doc:      "Telegraf's statsd plugin queues at most allowed_pending_messages datagrams or lines between its socket and its parsers and drops the rest (plugins/inputs/statsd/statsd.go udpListen, handler: \"Statsd message queue full\"); fakegraf also reports anything it sent on to the plugin that the plugin never read.",
		Bad:      "allowed_pending_messages = 10 with a burst of 1000 datagrams",
		Good:     "allowed_pending_messages = 10000",
		CheckTransport: func(ctx *TransportContext) {
			pl := statsdLog(ctx)
			if pl == nil || !(strings.HasPrefix(pl.Message, "Statsd message queue full") || strings.Contains(pl.Message, "never reached it")) {
				return
			}
			ctx.Report(statsdMessage(pl, pl.Message), "raise allowed_pending_messages, or send fewer, larger datagrams")
		},
	})
}
