package parse

import (
	"fmt"
	"strings"
)

const ruleStatsdDistributionDropped = "statsd-distribution-dropped"

func init() {
	Register(&Rule{
		ID:       ruleStatsdDistributionDropped,
		Severity: Error,
		Title:    "Datadog |d distributions are dropped unless datadog_extensions and datadog_distributions are on",
		Doc: "Telegraf's statsd plugin parses a |d value and then keeps it only with datadog_extensions = true and " +
			"datadog_distributions = true (plugins/inputs/statsd/statsd.go aggregate); otherwise it is dropped " +
			"without a message, and nothing is stored for it at the flush.",
		Bad:  "latency:12|d",
		Good: "latency:12|d with datadog_extensions = true and datadog_distributions = true, or latency:12|ms",
		Only: Only{Formats: []string{"statsd"}},
		Check: func(ctx *Context) {
			o, ok := statsdOptions(ctx)
			if !ok || o.DataDogExtensions && o.DataDogDistributions || !strings.Contains(string(ctx.Record.Data), "|d") {
				return
			}
			var need []opt
			if !o.DataDogExtensions {
				need = append(need, opt{"datadog_extensions", true})
			}
			need = append(need, opt{"datadog_distributions", true})
			data := ctx.Record.Data
			for _, l := range parseStatsdLines(data, o.DataDogExtensions) {
				for _, v := range l.values {
					if !statsdKnownType(v.typ) {
						break
					}
					if v.typ != "d" {
						continue
					}
					ctx.Report(fmt.Sprintf("%s: the distribution (|d) is dropped: Telegraf keeps distributions only with datadog_extensions and datadog_distributions on", quoteStatsd(l.raw)),
						offsetPosition(data, v.off),
						ctx.settings().set(need...),
						"or send the value as a timing (|ms), which Telegraf aggregates into count, mean, percentiles …")
					break
				}
			}
		},
		Cases: []Case{
			{Name: "extensions off", Statsd: true, Records: []Rec{{Data: "latency:∑12|d"}}, Want: []Want{{"statsd-distribution-dropped", Error, 1}}},
			{Name: "distributions off", Statsd: true, Config: "datadog_extensions = true", Records: []Rec{{Data: "ok:1|c\nlatency:∑12|d|#env:prod\n"}}, Want: []Want{{"statsd-distribution-dropped", Error, 1}}},
			{Name: "near miss: both on", Statsd: true, Config: "datadog_extensions = true\ndatadog_distributions = true", Records: []Rec{{Data: "latency:12|d"}}},
			{Name: "near miss: a timing", Statsd: true, Records: []Rec{{Data: "latency:12|ms"}}},
		},
	})
}
