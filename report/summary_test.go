package report_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
)

// TestSummaryIsBounded: a sender that invents a measurement name per
// record must not grow the summary without end.
func TestSummaryIsBounded(t *testing.T) {
	c := report.NewCollector()
	const n = 12000
	for i := 0; i < n; i++ {
		c.Result(&parse.Result{
			Record:  listener.Record{Listener: "udp://127.0.0.1:8094", Seq: uint64(i + 1), Size: 10, Terminated: true},
			Metrics: []telegraf.Metric{metric.New(fmt.Sprintf("m%d", i), nil, map[string]interface{}{"v": 1.0}, time.Now())},
		})
	}
	ls := c.Summary().Listeners[0]
	type bounded struct {
		Metrics, Measurements, Other int
	}
	want := bounded{Metrics: n, Measurements: 10001, Other: n - 10000}
	got := bounded{ls.Metrics, len(ls.ByMeasurement), ls.ByMeasurement["(other measurements)"]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metrics, measurements kept and metrics counted under (other measurements) (-want +got):\n%s", diff)
	}
}

// Since is what happened after an earlier summary of the same collector:
// the HTTP API's counters after a reset.
func TestSummarySince(t *testing.T) {
	c := report.NewCollector()
	c.Listening("udp://a", "influx")
	rec := func(n uint64, rule string) *parse.Result {
		r := &parse.Result{Record: listener.Record{Listener: "udp://a", Seq: n, Size: 10}}
		r.Metrics = []telegraf.Metric{metric.New("cpu", nil, map[string]any{"v": 1.0}, t0)}
		if rule != "" {
			r.Diagnostics = []parse.Diagnostic{{Rule: rule, Severity: parse.Warning, Source: parse.Source{Listener: "udp://a"}}}
		}
		return r
	}
	c.Result(rec(1, "timestamp-unit"))
	base := c.Summary()
	c.Result(rec(2, ""))
	c.Result(rec(3, "forbidden-char"))
	got := c.Summary().Since(base)
	if d := cmp.Diff(2, got.Metrics); d != "" {
		t.Errorf("metrics (-want +got):\n%s", d)
	}
	ls := got.Listeners[0]
	if d := cmp.Diff([]int{2, 2}, []int{ls.Records, ls.Metrics}); d != "" {
		t.Errorf("records, metrics (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]int{"forbidden-char": 1}, ls.Findings); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]int{"warning": 1}, got.Findings); d != "" {
		t.Errorf("findings by severity (-want +got):\n%s", d)
	}
	if d := cmp.Diff(int64(20), ls.Bytes); d != "" {
		t.Errorf("bytes (-want +got):\n%s", d)
	}
}

// TestByMeasurementRuns: a collector counts a run of one name as a whole,
// so every metric must land under its listener and name however names and
// listeners interleave, and a Summary taken in the middle of a run counts
// the run so far, and the rest after it.
func TestByMeasurementRuns(t *testing.T) {
	c := report.NewCollector()
	a, b := "tcp://127.0.0.1:8094", "udp://127.0.0.1:8094"
	send := func(listener string, names ...string) {
		var ms []telegraf.Metric
		for _, name := range names {
			ms = append(ms, metric.New(name, nil, map[string]interface{}{"v": 1.0}, time.Now()))
		}
		c.Result(&parse.Result{Record: listenerRecord(listener), Metrics: ms})
	}
	byMeasurement := func() map[string]map[string]int {
		out := map[string]map[string]int{}
		for _, ls := range c.Summary().Listeners {
			out[ls.Listener] = ls.ByMeasurement
		}
		return out
	}
	send(a, "cpu", "cpu", "mem")
	send(a, "mem", "cpu")
	send(b, "cpu")
	send(a, "cpu")
	if diff := cmp.Diff(map[string]map[string]int{a: {"cpu": 4, "mem": 2}, b: {"cpu": 1}}, byMeasurement()); diff != "" {
		t.Errorf("in the middle of a run (-want +got):\n%s", diff)
	}
	send(a, "cpu", "cpu")
	send(b, "cpu", "disk")
	if diff := cmp.Diff(map[string]map[string]int{a: {"cpu": 6, "mem": 2}, b: {"cpu": 2, "disk": 1}}, byMeasurement()); diff != "" {
		t.Errorf("after it (-want +got):\n%s", diff)
	}
}

func listenerRecord(url string) listener.Record {
	return listener.Record{Listener: url, Seq: 1, Size: 10, Terminated: true}
}
