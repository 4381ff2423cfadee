package parse_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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
		fromSrc bool
	}{
		{"influx with a timestamp", conf{format: "influx"}, "m v=1 1700000000000000000\n", true},
		{"influx without", conf{format: "influx"}, "m v=1\n", false},
		{"wavefront with a timestamp", conf{format: "wavefront"}, "m.v 1 1700000000 source=a\n", true},
		{"wavefront without", conf{format: "wavefront"}, "m.v 1 source=a\n", false},
		{"json with json_time_key", conf{format: "json", options: append(jsonOpts, `json_time_key = "t"`, `json_time_format = "unix_ms"`)}, `{"metric_name": "m", "v": 1, "t": 1700000000000}`, true},
		{"json without", conf{format: "json", options: jsonOpts}, `{"metric_name": "m", "v": 1}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := newPipeline(t, tc.c, false).Process(rec{data: tc.data}.record(tc.c.url(), 1, time.Now()))
			require.NoError(t, res.Err)
			require.Len(t, res.Metrics, 1)
			require.Equal(t, tc.fromSrc, res.SenderSetTime(0))
		})
	}
}
