package report_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
)

// expectResults checks the expectations in text against metrics.
func expectResults(t *testing.T, text string, metrics ...telegraf.Metric) []report.CheckResult {
	t.Helper()
	path := filepath.Join(t.TempDir(), "client.expect")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	x, err := report.NewExpect(path)
	require.NoError(t, err)
	x.Result(&parse.Result{Record: listener.Record{Seq: 1}, Metrics: metrics})
	res := x.Results()
	for i := range res {
		res[i].Name, res[i].File = filepath.Base(res[i].Name), filepath.Base(res[i].File)
	}
	return res
}

func order(price float64) telegraf.Metric {
	return metric.New("order_price", map[string]string{"shop": "eu-1"}, map[string]any{"price": price}, t0)
}

// Each expectation has a result, passed ones included, and a failure says
// what arrived and what was wanted: three matching metrics where five were
// wanted once read "no metric arrived at all".
func TestExpectResults(t *testing.T) {
	tests := []struct {
		name    string
		expect  string
		metrics []telegraf.Metric
		want    []report.CheckResult
	}{
		{
			name:    "fewer than wanted, all matching",
			expect:  "at-least 5 order_price,shop=eu-1 price:float\n",
			metrics: []telegraf.Metric{order(9.99), order(24.5), order(3)},
			want: []report.CheckResult{{Check: "expect", Name: "client.expect:1", Result: "fail", File: "client.expect", Line: 1,
				Message: `"at-least 5 order_price,shop=eu-1 price:float": 3 matching metric(s) arrived, want at least 5`,
				Detail:  "all 3 metric(s) that arrived matched; 2 more were wanted\n"}},
		},
		{
			name:   "nothing arrived",
			expect: "# orders\nexactly 3 order_price\n",
			want: []report.CheckResult{{Check: "expect", Name: "client.expect:2", Result: "fail", File: "client.expect", Line: 2,
				Message: `"exactly 3 order_price": 0 matching metric(s) arrived, want exactly 3`,
				Detail:  "no metric arrived at all\n"}},
		},
		{
			name:    "more than wanted",
			expect:  "at-most 1 order_price\n",
			metrics: []telegraf.Metric{order(9.99), order(24.5)},
			want: []report.CheckResult{{Check: "expect", Name: "client.expect:1", Result: "fail", File: "client.expect", Line: 1,
				Message: `"at-most 1 order_price": 2 matching metric(s) arrived, want at most 1`,
				Detail:  "the first that matched: order_price,shop=eu-1 price=9.99 1795608000000000000\n"}},
		},
		{
			name:    "passed",
			expect:  "exactly 2 order_price\nnever socket_listener\n",
			metrics: []telegraf.Metric{order(9.99), order(24.5)},
			want: []report.CheckResult{
				{Check: "expect", Name: "client.expect:1", Result: "pass", File: "client.expect", Line: 1, Message: `"exactly 2 order_price": 2 matching metric(s) arrived, want exactly 2`},
				{Check: "expect", Name: "client.expect:2", Result: "pass", File: "client.expect", Line: 2, Message: `"never socket_listener": 0 matching metric(s) arrived, want none`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := expectResults(t, tt.expect, tt.metrics...)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Results (-want +got):\n%s", d)
			}
		})
	}
}
