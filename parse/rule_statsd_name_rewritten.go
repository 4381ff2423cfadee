package parse

import (
	"fmt"
	"slices"
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
			"sanitize_name_method rewrite characters. A query for the name the sender wrote finds nothing. It is said " +
			"once per sender and bucket; the repeats are counted in the summary.",
		Bad:  "api.requests:1|c (stored as api_requests)",
		Good: "api_requests:1|c, or query api_requests",
		Only: Only{Formats: []string{"statsd"}},
		Check: func(ctx *Context) {
			o, ok := statsdOptions(ctx)
			if !ok {
				return
			}
			// A statsd stream repeats the same few hundred buckets; what
			// Telegraf makes of a bucket depends only on it and the
			// input's options (one set per pipeline), so it is worked out
			// once (running the graphite templates cost this rule 0.2 s per
			// 100,000 lines, bench/loopback statsd-udp).
			cache := ownState(ctx, func() *lru[string, nameRewrite] {
				return newLRU[string, nameRewrite](statsdNameCache)
			})
			data := ctx.Record.Data
			seen := map[string]bool{}
			for _, l := range parseStatsdLines(data, o.DataDogExtensions) {
				if len(l.values) == 0 || seen[l.values[0].bucket] {
					continue
				}
				bucket := l.values[0].bucket
				seen[bucket] = true
				rw, ok := cache.Get(bucket)
				if !ok {
					rw = rewriteOf(o, bucket)
					cache.Put(bucket, rw)
				}
				if rw.msg == "" {
					continue
				}
				// Said once per sender and bucket: a statsd client sends
				// the same buckets again and again, by design.
				reportOncePerSender(ctx, Info, bucket, rw.msg, offsetPosition(data, l.off), slices.Clone(rw.fixes)...)
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

// statsdNameCache bounds the buckets a pipeline remembers the rewrite of.
const statsdNameCache = 4096

// nameRewrite is the finding a bucket gets, or none (msg "").
type nameRewrite struct {
	msg   string
	fixes []string
}

// rewriteOf says what Telegraf stores a bucket as, when that is not what
// the sender wrote.
func rewriteOf(o StatsdOptions, bucket string) nameRewrite {
	written, _, _ := strings.Cut(bucket, ",")
	name, field, tags, err := statsdName(o, bucket)
	if err != nil || name == written && field == "value" && len(tags) == len(statsdBucketTags(bucket)) {
		return nameRewrite{}
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
		return nameRewrite{msg: msg, fixes: []string{fix}}
	}
	return nameRewrite{msg: msg + fmt.Sprintf(": Telegraf joins the parts between dots with metric_separator %q", o.MetricSeparator),
		fixes: []string{fix, fmt.Sprintf("or send the name as Telegraf stores it: %q", name)}}
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
