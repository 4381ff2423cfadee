package parse

import (
	"fmt"
	"strings"
)

const ruleStatsdDatadogTagsIgnored = "statsd-datadog-tags-ignored"

func init() {
	Register(&Rule{
		ID:       ruleStatsdDatadogTagsIgnored,
		Severity: Error,
		Title:    "Datadog |# tags are dropped because datadog_extensions is off",
		Doc: "Telegraf's statsd plugin reads DogStatsD tags (name:1|c|#env:prod) only with datadog_extensions = true " +
			"(plugins/inputs/statsd/statsd.go parseStatsdLine). Without it the \"#env:prod\" segment is taken for a " +
			"malformed sample rate and ignored (a debug message at most), so the value is stored without its tags and " +
			"every tagged series falls into one; a tag with ':' in it also splits the line, and the plugin then logs " +
			"\"Splitting '|'\" for the rest.",
		Bad:  "requests:1|c|#env:prod",
		Good: "requests:1|c|#env:prod with datadog_extensions = true, or requests,env=prod:1|c",
		Only: Only{Formats: []string{"statsd"}},
		Check: func(ctx *Context) {
			o, ok := statsdOptions(ctx)
			if !ok || o.DataDogExtensions || !strings.Contains(string(ctx.Record.Data), "|#") {
				return
			}
			data := ctx.Record.Data
			for _, l := range parseStatsdLines(data, false) {
				if l.tags < 0 {
					continue
				}
				tags := l.raw[l.tags-l.off+1:]
				if i := strings.IndexByte(tags[1:], '|'); i >= 0 {
					tags = tags[:i+1]
				}
				ctx.Report(fmt.Sprintf("%s: the Datadog tags %q are dropped: datadog_extensions is off, so Telegraf stores the value without them", quoteStatsd(l.raw), tags),
					offsetPosition(data, l.tags+1),
					ctx.settings().set(opt{"datadog_extensions", true}),
					"or put the tags in the bucket, Telegraf's own way: name,env=prod:1|c")
			}
		},
		Cases: []Case{
			{Name: "tags without datadog_extensions", Statsd: true, Records: []Rec{{Data: "hits:1|c\nrequests:1|c|∑#env:prod\n"}}, Want: []Want{{"statsd-datadog-tags-ignored", Error, 1}}},
			{Name: "tags after a sample rate", Statsd: true, Records: []Rec{{Data: "requests:1|c|@0.5|∑#env"}}, Want: []Want{{"statsd-datadog-tags-ignored", Error, 1}}},
			{Name: "near miss: datadog_extensions on", Statsd: true, Config: "datadog_extensions = true", Records: []Rec{{Data: "requests:1|c|#env:prod"}}},
			{Name: "near miss: tags in the bucket", Statsd: true, Records: []Rec{{Data: "requests,env=prod:1|c"}}},
		},
	})
}
