package parse

import "strings"

const ruleStatsdUnknownType = "statsd-unknown-type"

func init() {
	Register(&Rule{
		ID:       ruleStatsdUnknownType,
		Severity: Error,
		Title:    "a statsd line has a type Telegraf does not know",
		Doc:      "Telegraf's statsd plugin takes the types g, c, s, ms, h and d (plugins/inputs/statsd/statsd.go parseStatsdLine); any other is logged (\"Metric type ... unsupported\") and the line dropped.",
		Bad:      "requests:1|counter",
		Good:     "requests:1|c",
		// The plugin's own messages (statsdin hands them over as they
		// come); serve/statsd_test.go sends the lines that draw them.
		Cases: []Case{
			{Name: "the plugin's message", Config: caseInfluxUDP, Transport: &PluginLog{Message: "Metric type \"counter\" unsupported"}, Want: []Want{{"statsd-unknown-type", Error, 0}}},
			{Name: "near miss: the plugin talking about itself", Config: caseInfluxUDP, Transport: &PluginLog{Message: "Stopping the statsd service"}},
		},
		CheckTransport: func(ctx *TransportContext) {
			pl := statsdLog(ctx)
			if pl == nil || !(strings.HasPrefix(pl.Message, "Metric type ")) {
				return
			}
			ctx.Report(statsdMessage(pl, "the type is not one Telegraf knows: "+pl.Message), "use one of the types c, g, ms, h, s (and d with datadog_distributions)")
		},
	})
}
