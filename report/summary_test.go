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
