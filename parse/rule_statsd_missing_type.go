package parse

import "strings"

const ruleStatsdMissingType = "statsd-missing-type"

func init() {
	Register(&Rule{
		ID:       ruleStatsdMissingType,
		Severity: Error,
		Title:    "a statsd line has no |type",
		Doc:      "Telegraf's statsd plugin splits each value on '|' and needs name:value|type (plugins/inputs/statsd/statsd.go parseStatsdLine); a line without a type is logged (\"Splitting '|', unable to parse metric\") and dropped.",
		Bad:      "requests:1",
		Good:     "requests:1|c",
		// The plugin's own messages (statsdin hands them over as they
		// come); serve/statsd_test.go sends the lines that draw them.
		Cases: []Case{
			{Name: "the plugin's message", Config: caseInfluxUDP, Transport: &PluginLog{Message: "Splitting '|', unable to parse metric: requests:1"}, Want: []Want{{"statsd-missing-type", Error, 0}}},
			{Name: "near miss: the plugin talking about itself", Config: caseInfluxUDP, Transport: &PluginLog{Message: "Stopping the statsd service"}},
		},
		CheckTransport: func(ctx *TransportContext) {
			pl := statsdLog(ctx)
			if pl == nil || !(strings.HasPrefix(pl.Message, "Splitting '|'")) {
				return
			}
			ctx.Report(statsdMessage(pl, "the line has no |type: Telegraf logs \"Splitting '|'\" and drops it"), "append the type: |c (counter), |g (gauge), |ms (timing), |h (histogram) or |s (set)")
		},
	})
}
