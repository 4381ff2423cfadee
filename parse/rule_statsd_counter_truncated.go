package parse

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

const ruleStatsdCounterTruncated = "statsd-counter-truncated"

func init() {
	Register(&Rule{
		ID:       ruleStatsdCounterTruncated,
		Severity: Error,
		Title:    "a statsd counter with a fraction is truncated to an integer",
		Doc: "Telegraf's statsd plugin keeps counters as int64: a value that is not an integer is parsed as a float " +
			"and converted with int64(v) (plugins/inputs/statsd/statsd.go parseStatsdLine), so 1.5|c adds 1 and " +
			"0.5|c adds nothing, without a word. Gauges (|g) and timings (|ms) keep the fraction.",
		Bad:  "bytes:1.5|c",
		Good: "bytes:15|c with the unit scaled to an integer, or bytes:1.5|g",
		Only: Only{Formats: []string{"statsd"}},
		Check: func(ctx *Context) {
			o, ok := statsdOptions(ctx)
			if !ok || !strings.Contains(string(ctx.Record.Data), "|c") {
				return
			}
			data := ctx.Record.Data
			for _, l := range parseStatsdLines(data, o.DataDogExtensions) {
				for _, v := range l.values {
					if !statsdKnownType(v.typ) {
						break // the plugin stops at an unknown type
					}
					if v.typ != "c" {
						continue
					}
					if _, err := strconv.ParseInt(v.value, 10, 64); err == nil {
						continue
					}
					f, err := strconv.ParseFloat(v.value, 64)
					if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f == math.Trunc(f) {
						continue // statsd-bad-value's, or no fraction lost
					}
					ctx.Report(fmt.Sprintf("%s: the counter value %s is truncated to %d: Telegraf keeps counters as integers", quoteStatsd(l.raw), v.value, int64(f)),
						offsetPosition(data, v.off),
						"send counters as integers (scale the unit: 1500 bytes, not 1.5 KB)",
						"or send the value as a gauge (|g) or a timing (|ms), which keep the fraction")
				}
			}
		},
		Cases: []Case{
			{Name: "a fraction", Statsd: true, Records: []Rec{{Data: "hits:1|c\nbytes:∑1.5|c\n"}}, Want: []Want{{"statsd-counter-truncated", Error, 1}}},
			{Name: "the second value of a line", Statsd: true, Records: []Rec{{Data: "bytes:1|c:∑0.5|c|@0.1"}}, Want: []Want{{"statsd-counter-truncated", Error, 1}}},
			{Name: "near miss: a gauge keeps it", Statsd: true, Records: []Rec{{Data: "load:1.5|g"}}},
			{Name: "near miss: 2.0 loses nothing", Statsd: true, Records: []Rec{{Data: "hits:2.0|c"}}},
		},
	})
}

// statsdKnownType says whether the plugin takes the type (statsd.go
// parseStatsdLine: g, c, s, ms, h, d).
func statsdKnownType(typ string) bool {
	switch typ {
	case "g", "c", "s", "ms", "h", "d":
		return true
	}
	return false
}
