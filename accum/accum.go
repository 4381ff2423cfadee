package accum

import (
	"sync"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"

	"github.com/fakegraf/fakegraf/listener"
)

// Accumulator collects what a plugin adds. It is safe for concurrent use;
// a caller that wants each record's metrics apart serializes the plugin
// calls that add them and Takes after each (package httpin does, per
// request).
type Accumulator struct {
	mu  sync.Mutex
	out listener.PluginOutput
	// now stamps metrics added without a time, as agent/accumulator.go
	// getTime does; time.Now unless a test sets it.
	now func() time.Time
}

// New returns an empty Accumulator.
func New() *Accumulator { return &Accumulator{now: time.Now} }

// Take returns what was added since the last Take, and forgets it.
func (a *Accumulator) Take() listener.PluginOutput {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := a.out
	a.out = listener.PluginOutput{}
	return out
}

// AddMetric is part of telegraf.Accumulator.
func (a *Accumulator) AddMetric(m telegraf.Metric) {
	a.mu.Lock()
	a.out.Metrics = append(a.out.Metrics, m)
	a.mu.Unlock()
}

// AddError is part of telegraf.Accumulator. Telegraf logs the error
// ("Error in plugin: …"); fakegraf makes it a finding.
func (a *Accumulator) AddError(err error) {
	if err == nil {
		return // agent/accumulator.go ignores nil too
	}
	a.mu.Lock()
	a.out.Errors = append(a.out.Errors, err)
	a.mu.Unlock()
}

// SetPrecision is part of telegraf.Accumulator. The pipeline rounds to the
// input's precision (parse.Stage.Precision), as the agent's accumulator
// does, so there is nothing to keep here.
func (*Accumulator) SetPrecision(time.Duration) {}

// AddFields is part of telegraf.Accumulator.
func (a *Accumulator) AddFields(name string, fields map[string]interface{}, tags map[string]string, t ...time.Time) {
	a.add(name, tags, fields, telegraf.Untyped, t)
}

// AddGauge is part of telegraf.Accumulator.
func (a *Accumulator) AddGauge(name string, fields map[string]interface{}, tags map[string]string, t ...time.Time) {
	a.add(name, tags, fields, telegraf.Gauge, t)
}

// AddCounter is part of telegraf.Accumulator.
func (a *Accumulator) AddCounter(name string, fields map[string]interface{}, tags map[string]string, t ...time.Time) {
	a.add(name, tags, fields, telegraf.Counter, t)
}

// AddSummary is part of telegraf.Accumulator.
func (a *Accumulator) AddSummary(name string, fields map[string]interface{}, tags map[string]string, t ...time.Time) {
	a.add(name, tags, fields, telegraf.Summary, t)
}

// AddHistogram is part of telegraf.Accumulator.
func (a *Accumulator) AddHistogram(name string, fields map[string]interface{}, tags map[string]string, t ...time.Time) {
	a.add(name, tags, fields, telegraf.Histogram, t)
}

// add builds the metric as agent/accumulator.go addMeasurement does.
func (a *Accumulator) add(name string, tags map[string]string, fields map[string]interface{}, tp telegraf.ValueType, t []time.Time) {
	tm := a.now()
	if len(t) > 0 {
		tm = t[0]
	}
	a.AddMetric(metric.New(name, tags, fields, tm, tp))
}

// WithTracking is part of telegraf.Accumulator: see the package doc for
// when its metrics count as delivered.
func (a *Accumulator) WithTracking(maxTracked int) telegraf.TrackingAccumulator {
	return &tracking{Accumulator: a, delivered: make(chan telegraf.DeliveryInfo, max(maxTracked, 1))}
}

// tracking mirrors agent/accumulator.go trackingAccumulator, with Telegraf's
// own metric.WithTracking, and accepts every tracked metric the moment it is
// added, as an output that took it would.
type tracking struct {
	*Accumulator
	delivered chan telegraf.DeliveryInfo
}

func (t *tracking) AddTrackingMetric(m telegraf.Metric) telegraf.TrackingID {
	tm, id := metric.WithTracking(m, t.onDelivery)
	t.AddMetric(m)
	tm.Accept()
	return id
}

func (t *tracking) AddTrackingMetricGroup(group []telegraf.Metric) telegraf.TrackingID {
	tracked, id := metric.WithGroupTracking(group, t.onDelivery)
	for _, m := range group {
		t.AddMetric(m)
	}
	for _, m := range tracked {
		m.Accept()
	}
	return id
}

func (t *tracking) Delivered() <-chan telegraf.DeliveryInfo { return t.delivered }

// onDelivery is agent/accumulator.go's, without its panic: a plugin that
// tracks more than it asked room for waits here instead of crashing
// fakegraf (Telegraf panics with "channel is full").
func (t *tracking) onDelivery(info telegraf.DeliveryInfo) { t.delivered <- info }
