package parse

import "strings"

const ruleStatsdNotFlushed = "statsd-not-flushed"

func init() {
	Register(&Rule{
		ID:       ruleStatsdNotFlushed,
		Severity: Warning,
		Title:    "statsd values aggregated since the last flush were never stored",
		Doc:      "Telegraf's statsd plugin stores nothing until the agent calls Gather, every [agent] interval (agent/agent.go runInputs); when Telegraf stops it stops its inputs without a last Gather, and what was aggregated since the last flush is lost. fakegraf reproduces that and counts them.",
		Bad:      "a sender that runs for 2s against interval = \"10s\"",
		Good:     "send for longer than the interval, or lower interval",
		// The plugin's own messages (statsdin hands them over as they
		// come); serve/statsd_test.go sends the lines that draw them.
		Cases: []Case{
			{Name: "the plugin's message", Config: caseInfluxUDP, Transport: &PluginLog{Message: "3 metric(s) aggregated since the last flush were not stored: Telegraf flushes statsd every 10s and not when it stops"}, Want: []Want{{"statsd-not-flushed", Warning, 0}}},
			{Name: "near miss: the plugin talking about itself", Config: caseInfluxUDP, Transport: &PluginLog{Message: "Stopping the statsd service"}},
		},
		CheckTransport: func(ctx *TransportContext) {
			pl := statsdLog(ctx)
			if pl == nil || !(strings.Contains(pl.Message, "were not stored")) {
				return
			}
			ctx.Report(statsdMessage(pl, pl.Message), "keep Telegraf running past the next flush, or lower interval (fakegraf: --interval)")
		},
	})
}
