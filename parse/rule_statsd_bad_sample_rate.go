package parse

import "strings"

const ruleStatsdBadSampleRate = "statsd-bad-sample-rate"

func init() {
	Register(&Rule{
		ID:       ruleStatsdBadSampleRate,
		Severity: Warning,
		Title:    "a statsd sample rate is not @number",
		Doc:      "Telegraf's statsd plugin reads the third '|' segment as the sample rate @rate (plugins/inputs/statsd/statsd.go parseStatsdLine); a malformed one is logged and ignored: the value is stored as if unsampled, so counters and timings come out too small.",
		Bad:      "requests:1|c|@x",
		Good:     "requests:1|c|@0.5",
		CheckTransport: func(ctx *TransportContext) {
			pl := statsdLog(ctx)
			if pl == nil || !(strings.HasPrefix(pl.Message, "Parsing sample rate: ") || strings.HasPrefix(pl.Message, "Sample rate must be") && !strings.Contains(pl.Line, "|#")) {
				return
			}
			ctx.Report(statsdMessage(pl, "the sample rate is ignored: "+pl.Message), "write the sample rate as |@0.5 after the type")
		},
	})
}
