package api

import (
	"fmt"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
)

// BenchmarkSeriesAdd is what the series index adds to storing a metric:
// the loopback benchmark's metric, 16 series.
func BenchmarkSeriesAdd(b *testing.B) {
	now := time.Now()
	ms := make([]telegraf.Metric, 16)
	for i := range ms {
		ms[i] = metric.New("cpu", map[string]string{"host": fmt.Sprintf("web%d", i), "region": "eu"},
			map[string]any{"usage_idle": 99.5, "usage_user": 1.25}, now)
	}
	t := now.UnixNano()
	x := newSeriesIndex(DefaultKeep, DefaultKeepBytes/2)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		m := ms[i%16]
		s := x.add(m, t, "tcp://127.0.0.1:8094", uint64(i))
		for k, f := range m.FieldList() {
			x.setField(s, k, f, valueType(f.Value))
		}
		x.trim(s)
		i++
	}
}
