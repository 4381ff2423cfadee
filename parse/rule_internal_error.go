package parse

import (
	"fmt"
	"slices"
	"strings"

	"github.com/influxdata/telegraf"
)

const ruleInternalError = "internal-error"

func init() {
	Register(&Rule{
		ID:       ruleInternalError,
		Severity: Error,
		Title:    "fakegraf's own reading of a record disagrees with what Telegraf's plugin stored: a fakegraf bug",
		Doc: "For the inputs whose plugin fakegraf runs (the HTTP listeners: influxdb_listener.go, " +
			"influxdb_v2_listener.go, http_listener_v2.go), the plugin's own code decides what is stored, and the rules read the same bytes with the same parser at the request's precision " +
			"(Stage.ParserFor). The two must agree: the same number of metrics, with the same names and tags (the " +
			"plugin may add its own: bucket_tag, database_tag, path_tag, http_header_tags). When they do not, the " +
			"rules' findings about this record may be wrong; fakegraf says so rather than pass it by. Please report " +
			"it with the record.",
		Bad:   "a record the rules parse into 2 metrics of which the plugin stored 1",
		Good:  "a record the rules and the plugin read alike",
		Only:  Only{Plugin: true},
		Check: checkInternalError,
		Cases: []Case{
			{Name: "a disagreement, as a plugin that stored another series would make", Config: caseInfluxTCP, Records: []Rec{{Data: "cpu,host=a v=1", Stored: "cpu,host=b v=1\n"}}, Want: []Want{{"internal-error", Error, 0}}},
			{Name: "a count that differs", Config: caseInfluxTCP, Records: []Rec{{Data: "cpu,host=a v=1", Stored: "cpu,host=a v=1\ncpu,host=a v=2\n"}}, Want: []Want{{"internal-error", Error, 0}}},
			{Name: "near miss: the plugin adds its own tag", HTTP: caseV2, Config: `bucket_tag = "bucket"`, Records: []Rec{{Query: "org=o&bucket=b", Data: "cpu,host=a usage=1\n"}}},
			{Name: "near miss: a partial write", HTTP: caseV1, Records: []Rec{{Query: "db=x", Data: "cpu usage=1\ncpu usage=\ncpu usage=3\n"}}},
			{Name: "near miss: http_listener_v2", HTTP: caseHTTPv2, Config: `data_format = "influx"`, Records: []Rec{{Data: "cpu usage=1\ncpu usage=2\n"}}},
		},
	})
}

func checkInternalError(ctx *Context) {
	out := ctx.Record.Plugin
	if out == nil || out.Flush || ctx.Format == "statsd" {
		return
	}
	stored := out.Metrics
	if ctx.Err != nil {
		if !partialWrite(ctx) {
			return // the plugin rejected the record too, or a parser of its own decided
		}
		// influxdb_listener stored the lines that parse on their own.
		want := 0
		for _, l := range v1Lines(ctx) {
			want += l.good
		}
		if want != len(stored) {
			ctx.Report(fmt.Sprintf("internal error: the good lines of this partial write parse into %d metric(s), but Telegraf's influxdb_listener stored %d: fakegraf's findings about it may be wrong", want, len(stored)),
				Position{}, "report this fakegraf bug with the record (fakegraf listen --output json shows it)")
		}
		return
	}
	if ctx.Record.HTTP != nil && ctx.Record.HTTP.Status/100 != 2 {
		return // rejected for another reason (auth, size, method): nothing stored
	}
	if len(ctx.Parsed) != len(stored) {
		ctx.Report(fmt.Sprintf("internal error: fakegraf parses this record into %d metric(s), but Telegraf's plugin stored %d: fakegraf's findings about it may be wrong", len(ctx.Parsed), len(stored)),
			Position{}, "report this fakegraf bug with the record (fakegraf listen --output json shows it)")
		return
	}
	for i := range stored {
		if !sameSeries(&ctx.Parsed[i], stored[i]) {
			ctx.Report(fmt.Sprintf("internal error: metric %d of this record is %s to fakegraf's parse but %s as Telegraf's plugin stored it: fakegraf's findings about it may be wrong",
				i+1, series(ctx.Parsed[i].Name(), ctx.Parsed[i].TagList()), series(stored[i].Name(), stored[i].TagList())),
				Position{}, "report this fakegraf bug with the record (fakegraf listen --output json shows it)")
			return
		}
	}
}

// sameSeries says whether the plugin's metric is the parsed one's series:
// the same name, and every parsed tag with its value (the plugin may add
// tags of its own).
func sameSeries(p *ParsedMetric, m telegraf.Metric) bool {
	if p.Name() != m.Name() {
		return false
	}
	for _, t := range p.TagList() {
		if v, ok := m.GetTag(t.Key); !ok || v != t.Value {
			return false
		}
	}
	return true
}

func series(name string, tags []*telegraf.Tag) string {
	parts := []string{fmt.Sprintf("%q", name)}
	for _, t := range tags {
		parts = append(parts, fmt.Sprintf("%q=%q", t.Key, t.Value))
	}
	slices.Sort(parts[1:])
	return strings.Join(parts, ",")
}
