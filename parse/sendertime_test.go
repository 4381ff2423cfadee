package parse_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/report"
)

// SenderSetTime tells the timestamps a sender wrote from those the parser
// stamped at arrival, for every format, through the stages fakegraf really
// builds (golden files keep only the former).
func TestSenderSetTime(t *testing.T) {
	jsonOpts := []string{`json_name_key = "metric_name"`}
	tests := []struct {
		name    string
		c       conf
		data    string
		fromSrc []bool // per stored metric
	}{
		{"influx with a timestamp", conf{format: "influx"}, "m v=1 1700000000000000000\n", []bool{true}},
		{"influx without", conf{format: "influx"}, "m v=1\n", []bool{false}},
		{"influx, a string field holding a newline", conf{format: "influx"},
			"cpu s=\"a\nb\" 1700000000000000000\nmem v=1i 1700000000000000001\n", []bool{true, true}},
		{"influx, a string field holding a newline, then no timestamp", conf{format: "influx"},
			"cpu s=\"a\nb 1\" \nmem v=1i\n", []bool{false, false}},
		{"influx, comments and blank lines between", conf{format: "influx"},
			"# header\n\ncpu v=1\n  # note v=2 3\nmem v=1i 1700000000000000001\n", []bool{false, true}},
		{"influx, an escaped quote and a space in a string field", conf{format: "influx"},
			"cpu s=\"a \\\" 5\" 1700000000000000000\n", []bool{true}},
		{"influx_upstream with a timestamp", conf{format: "influx_upstream"}, "m v=1 1700000000000000000\n", []bool{true}},
		{"wavefront with a timestamp", conf{format: "wavefront"}, "m.v 1 1700000000 source=a\n", []bool{true}},
		{"wavefront without", conf{format: "wavefront"}, "m.v 1 source=a\n", []bool{false}},
		{"wavefront 0 means now", conf{format: "wavefront"}, "m.v 1 0 source=a\n", []bool{false}},
		{"wavefront ten zeros are 1970", conf{format: "wavefront"}, "m.v 1 0000000000 source=a\n", []bool{true}},
		{"json with json_time_key", conf{format: "json", options: append(jsonOpts, `json_time_key = "t"`, `json_time_format = "unix_ms"`)}, `{"metric_name": "m", "v": 1, "t": 1700000000000}`, []bool{true}},
		{"json without", conf{format: "json", options: jsonOpts}, `{"metric_name": "m", "v": 1}`, []bool{false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := newPipeline(t, tc.c, false).Process(rec{data: tc.data}.record(tc.c.url(), 1, time.Now()))
			require.NoError(t, res.Err)
			require.Len(t, res.Metrics, len(tc.fromSrc))
			var got []bool
			for i := range tc.fromSrc {
				got = append(got, res.SenderSetTime(i))
			}
			if diff := cmp.Diff(tc.fromSrc, got); diff != "" {
				t.Errorf("SenderSetTime of each metric (-want +got):\n%s", diff)
			}
		})
	}
}

// One datagram with a string field holding a real newline: the golden file
// keeps both timestamps the sender set.
func TestGoldenKeepsTimestampsAfterAMultiLineString(t *testing.T) {
	c := conf{format: "influx"}
	res := newPipeline(t, c, false).Process(rec{data: "cpu s=\"a\nb\" 1700000000000000000\nmem v=1i 1700000000000000001\n"}.record(c.url(), 1, time.Now()))
	require.NoError(t, res.Err)
	g := report.NewGolden(report.GoldenOptions{})
	g.Result(res)
	got := string(g.Content())
	metrics := got[strings.Index(got, "# metrics\n")+len("# metrics\n") : strings.Index(got, "\n# findings")]
	if diff := cmp.Diff("cpu s=\"a\nb\" 1700000000000000000\nmem v=1i 1700000000000000001\n", metrics); diff != "" {
		t.Errorf("golden metrics (-want +got):\n%s", diff)
	}
}
