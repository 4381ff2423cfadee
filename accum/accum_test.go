package accum

import (
	"errors"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
	"github.com/stretchr/testify/require"
)

func TestCollectsAndTakes(t *testing.T) {
	a := New()
	at := time.Unix(1700000000, 0)
	a.AddFields("cpu", map[string]interface{}{"v": 1.0}, map[string]string{"h": "a"}, at)
	a.AddCounter("hits", map[string]interface{}{"n": int64(2)}, nil, at)
	a.AddMetric(metric.New("mem", nil, map[string]interface{}{"x": 1}, at))
	a.AddError(errors.New("boom"))
	a.AddError(nil)

	out := a.Take()
	require.Len(t, out.Metrics, 3)
	require.Equal(t, "cpu", out.Metrics[0].Name())
	require.Equal(t, telegraf.Untyped, out.Metrics[0].Type())
	require.Equal(t, telegraf.Counter, out.Metrics[1].Type())
	require.Equal(t, at, out.Metrics[1].Time())
	require.Len(t, out.Errors, 1)
	require.EqualError(t, out.Errors[0], "boom")
	require.Empty(t, a.Take().Metrics, "Take forgets what it returned")
}

func TestTrackingDeliversAtOnce(t *testing.T) {
	a := New()
	ta := a.WithTracking(2)
	group := []telegraf.Metric{
		metric.New("a", nil, map[string]interface{}{"v": 1}, time.Unix(1, 0)),
		metric.New("b", nil, map[string]interface{}{"v": 2}, time.Unix(1, 0)),
	}
	id := ta.AddTrackingMetricGroup(group)
	select {
	case info := <-ta.Delivered():
		require.Equal(t, id, info.ID())
		require.True(t, info.Delivered())
	default:
		t.Fatal("a tracked group must be delivered as soon as it is added")
	}
	id = ta.AddTrackingMetric(metric.New("c", nil, map[string]interface{}{"v": 3}, time.Unix(1, 0)))
	info := <-ta.Delivered()
	require.Equal(t, id, info.ID())
	require.Len(t, a.Take().Metrics, 3)
}
