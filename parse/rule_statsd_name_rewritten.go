package parse

import (
	"fmt"
	"strings"
)

const ruleStatsdNameRewritten = "statsd-name-rewritten"

func init() {
	Register(&Rule{
		ID:       ruleStatsdNameRewritten,
		Severity: Info,
		Title:    "Telegraf stores a statsd bucket under another name",
		Doc: "Telegraf's statsd plugin turns the bucket into a measurement name with its graphite template engine " +
			"(plugins/inputs/statsd/statsd.go parseName, plugins/parsers/graphite): with no templates the parts " +
			"between dots are joined with metric_separator (\"_\" by default), so api.requests is stored as " +
			"api_requests; templates can also take tags and the field name out of it, and convert_names and " +
			"sanitize_name_method rewrite characters. A query for the name the sender wrote finds nothing.",
		Bad:  "api.requests:1|c (stored as api_requests)",
		Good: "api_requests:1|c, or query api_requests",
		Check: func(ctx *Context) {
			o, ok := statsdOptions(ctx)
			if !ok {
				return
			}
			data := ctx.Record.Data
			seen := map[string]bool{}
			for _, l := range parseStatsdLines(data, o.DataDogExtensions) {
				if len(l.values) == 0 || seen[l.values[0].bucket] {
					continue
				}
				bucket := l.values[0].bucket
				seen[bucket] = true
				written, _, _ := strings.Cut(bucket, ",")
				name, field, tags, err := statsdName(o, bucket)
				if err != nil || name == written && field == "value" && len(tags) == len(statsdBucketTags(bucket)) {
					continue
				}
				msg := fmt.Sprintf("bucket %q is stored as measurement %q", written, name)
				if field != "value" {
					msg += fmt.Sprintf(", field %q", field)
				}
				if extra := len(tags) - len(statsdBucketTags(bucket)); extra > 0 {
					msg += fmt.Sprintf(", with %d tag(s) taken from the name", extra)
				}
				fix := fmt.Sprintf("query %q, the name Telegraf stores", name)
				if !strings.Contains(written, ".") || len(o.Templates) > 0 {
					ctx.Report(msg, offsetPosition(data, l.off), fix)
					continue
				}
				ctx.Report(msg+fmt.Sprintf(": Telegraf joins the parts between dots with metric_separator %q", o.MetricSeparator),
					offsetPosition(data, l.off), fix, fmt.Sprintf("or send the name as Telegraf stores it: %q", name))
			}
		},
		Cases: []Case{
			{Name: "dots joined with _", Statsd: true, Records: []Rec{{Data: "hits:1|c\n∑api.requests:1|c\n"}}, Want: []Want{{"statsd-name-rewritten", Info, 1}}},
			{Name: "a template takes a tag", Statsd: true, Config: `templates = ["measurement.host"]`, Records: []Rec{{Data: "∑cpu.web01:1|g"}}, Want: []Want{{"statsd-name-rewritten", Info, 1}}},
			{Name: "near miss: a plain name with tags", Statsd: true, Records: []Rec{{Data: "api_requests,region=eu:1|c"}}},
			{Name: "near miss: metric_separator keeps dots", Statsd: true, Config: `metric_separator = "."`, Records: []Rec{{Data: "api.requests:1|c"}}},
		},
	})
}

// statsdBucketTags are the key=value tags written in the bucket itself.
func statsdBucketTags(bucket string) map[string]string {
	tags := map[string]string{}
	for _, btag := range strings.Split(bucket, ",")[1:] {
		if k, v := statsdKeyValue(btag); k != "" {
			tags[k] = v
		}
	}
	return tags
}
