package report

import (
	"fmt"
	"io"
	"sync"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/serializers/influx"

	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/serve"
)

// MetricsWriter writes metrics as InfluxDB line protocol with Telegraf's
// influx serializer at its defaults, which is what [[outputs.file]] with
// data_format = "influx" writes.
type MetricsWriter struct {
	serve.Ignore // a serve.Sink of results
	// OnError hears of a metric the serializer refused or a failed write.
	OnError func(error)

	mu  sync.Mutex
	w   io.Writer
	ser *influx.Serializer
}

// NewMetricsWriter returns a writer to w.
func NewMetricsWriter(w io.Writer) (*MetricsWriter, error) {
	ser := &influx.Serializer{}
	if err := ser.Init(); err != nil {
		return nil, err
	}
	return &MetricsWriter{w: w, ser: ser}, nil
}

// Result writes a record's metrics.
func (mw *MetricsWriter) Result(r *parse.Result) {
	if err := mw.Write(r.Metrics); err != nil && mw.OnError != nil {
		mw.OnError(err)
	}
}

// Write serializes metrics. A metric the serializer refuses (no fields left
// after NaN/Inf are dropped, an empty name) is skipped by Telegraf's output
// too; the error says why.
func (mw *MetricsWriter) Write(ms []telegraf.Metric) error {
	mw.mu.Lock()
	defer mw.mu.Unlock()
	var firstErr error
	for _, m := range ms {
		b, err := mw.ser.Serialize(m)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("serializing %q: %w", m.Name(), err)
			}
			continue
		}
		if _, err := mw.w.Write(b); err != nil {
			return err
		}
	}
	return firstErr
}

// Line renders one metric as line protocol without the trailing newline, or
// the serializer's error text.
func Line(m telegraf.Metric) (string, error) {
	ser := &influx.Serializer{}
	if err := ser.Init(); err != nil {
		return "", err
	}
	b, err := ser.Serialize(m)
	if err != nil {
		return "", err
	}
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	return string(b), nil
}
