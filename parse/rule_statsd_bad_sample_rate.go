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
		// The plugin's own messages (statsdin hands them over as they
		// come); serve/statsd_test.go sends the lines that draw them.
		Cases: []Case{
			{Name: "the plugin's message", Config: caseInfluxUDP, Transport: &PluginLog{Message: "Parsing sample rate: strconv.ParseFloat: parsing \"x\": invalid syntax"}, Want: []Want{{"statsd-bad-sample-rate", Warning, 0}}},
			{Name: "near miss: the plugin talking about itself", Config: caseInfluxUDP, Transport: &PluginLog{Message: "Stopping the statsd service"}},
		},
		CheckTransport: func(ctx *TransportContext) {
			pl := statsdLog(ctx)
			if pl == nil || !(strings.HasPrefix(pl.Message, "Parsing sample rate: ") || strings.HasPrefix(pl.Message, "Sample rate must be") && !strings.Contains(pl.Line, "|#")) {
				return
			}
			ctx.Report(statsdMessage(pl, "the sample rate is ignored: "+pl.Message), "write the sample rate as |@0.5 after the type")
		},
	})
}
