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
		CheckTransport: func(ctx *TransportContext) {
			pl := statsdLog(ctx)
			if pl == nil || !(strings.Contains(pl.Message, "were not stored")) {
				return
			}
			ctx.Report(statsdMessage(pl, pl.Message), "keep Telegraf running past the next flush, or lower interval (fakegraf: --interval)")
		},
	})
}
