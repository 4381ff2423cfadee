package parse

import (
	"fmt"
	"strings"
)

const ruleStatsdBadValue = "statsd-bad-value"

func init() {
	Register(&Rule{
		ID:       ruleStatsdBadValue,
		Severity: Error,
		Title:    "a statsd value is not a number, or has no ':'",
		Doc:      "Telegraf's statsd plugin parses a counter's value as an integer (or float), other values as floats, allows +/- only on gauges and counters, and needs ':' between name and value (plugins/inputs/statsd/statsd.go parseStatsdLine); otherwise it logs the line and drops it.",
		Bad:      "requests:one|c",
		Good:     "requests:1|c",
		// The plugin's own messages (statsdin hands them over as they
		// come); serve/statsd_test.go sends the lines that draw them.
		Cases: []Case{
			{Name: "the plugin's message", Config: caseInfluxUDP, Transport: &PluginLog{Message: "Parsing value to int64, unable to parse metric: requests:one|c"}, Want: []Want{{"statsd-bad-value", Error, 0}}},
			{Name: "near miss: the plugin talking about itself", Config: caseInfluxUDP, Transport: &PluginLog{Message: "Stopping the statsd service"}},
		},
		CheckTransport: func(ctx *TransportContext) {
			pl := statsdLog(ctx)
			if pl == nil || !(strings.HasPrefix(pl.Message, "Splitting ':'") || strings.HasPrefix(pl.Message, "Parsing value to ") || strings.HasPrefix(pl.Message, "+- values")) {
				return
			}
			ctx.Report(statsdMessage(pl, fmt.Sprintf("the line is dropped (the plugin logged %q)", pl.Message)), "send name:value|type with a number as value (a set, |s, takes any text)")
		},
	})
}
