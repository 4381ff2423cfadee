package api

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
)

// What a record is kept as decodes to what it was: every field type, tags
// and fields in their order, the time to the nanosecond, the findings.
func TestCodecRoundTrip(t *testing.T) {
	m1 := metric.New("cpu", map[string]string{"host": "a", "dc": "eu"}, nil, time.Unix(1795608000, 123456789), telegraf.Counter)
	for _, f := range []struct {
		k string
		v any
	}{{"z", 1.5}, {"nan", math.NaN()}, {"i", int64(-7)}, {"u", uint64(math.MaxUint64)}, {"s", "x\x00y"}, {"b", true}, {"f", false}} {
		m1.AddField(f.k, f.v)
	}
	m2 := metric.New("mem", nil, map[string]any{"used": int64(1)}, time.Unix(0, -5))
	res := &parse.Result{
		Record: listener.Record{Listener: "tcp://127.0.0.1:1", Peer: "127.0.0.1:2", Conn: 3, Seq: 4, Data: []byte("\xffdata"), Size: 9,
			Stream: true, Truncated: true, Received: time.Unix(1795608000, 5)},
		Format: "influx", Auto: true, Err: errors.New("bad"), Metrics: []telegraf.Metric{m1, m2},
		Diagnostics: []parse.Diagnostic{{Rule: "parse-error", Severity: parse.Error, Message: "m", Source: parse.Source{Listener: "tcp://127.0.0.1:1", Peer: "p", Conn: 3, Record: 4},
			Position: parse.Position{Offset: 1, Line: 2, Column: 3}, Fixes: []string{"a", "b"}, Count: 6, Token: "t"}},
	}
	var n names
	b := appendRecord(nil, res, &n, nil, 0)
	r := &reader{b: b, names: n.list}
	h := r.readHeader()
	got := h.record()
	if d := cmp.Diff(res.Record, got); d != "" {
		t.Errorf("record (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]any{"influx", true, "bad", 2}, []any{h.format, h.flags&flagAuto != 0, string(h.err), h.metrics}); d != "" {
		t.Errorf("header (-want +got):\n%s", d)
	}
	r.metricsLen()
	var ms []telegraf.Metric
	var raw rawMetric
	for range h.metrics {
		r.readMetric(&raw)
		ms = append(ms, raw.metric())
	}
	if len(ms) != len(res.Metrics) {
		t.Fatalf("%d metrics, want %d", len(ms), len(res.Metrics))
	}
	for i := range ms {
		want, got := res.Metrics[i], ms[i]
		if d := cmp.Diff([]any{want.Name(), want.Tags(), want.Time().UnixNano()}, []any{got.Name(), got.Tags(), got.Time().UnixNano()}); d != "" {
			t.Errorf("metric %d (-want +got):\n%s", i, d)
		}
		if d := cmp.Diff(res.Metrics[i].FieldList(), ms[i].FieldList(), cmp.Comparer(func(a, b float64) bool { return a == b || a != a && b != b })); d != "" {
			t.Errorf("fields in order (-want +got):\n%s", d)
		}
		if d := cmp.Diff(res.Metrics[i].Type(), ms[i].Type()); d != "" {
			t.Errorf("value type (-want +got):\n%s", d)
		}
	}
	var ds []parse.Diagnostic
	for k := r.uvarint(); k > 0; k-- {
		ds = append(ds, r.readDiagnostic())
	}
	if d := cmp.Diff(res.Diagnostics, ds); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
	if r.err != nil || len(r.b) != 0 {
		t.Errorf("%v, %d bytes left", r.err, len(r.b))
	}
	// A reader of findings skips the metrics.
	r = &reader{b: b, names: n.list}
	r.readHeader()
	r.skipMetrics()
	if k := r.uvarint(); k != 1 || r.readDiagnostic().Rule != "parse-error" {
		t.Errorf("skipping the metrics lands elsewhere")
	}
}

// A record of an HTTP input keeps its exchange, as the reports show it:
// not the response's headers.
func TestCodecExchange(t *testing.T) {
	rec := listener.Record{Listener: "influxdb-v2://127.0.0.1:8086", Peer: "127.0.0.1:2", Conn: 1, Seq: 1, Data: []byte("cpu value=1\n"), Size: 30,
		Terminated: true, Received: time.Unix(1795608000, 5),
		HTTP: &listener.Exchange{Method: "POST", Path: "/api/v2/write", Query: "org=o&bucket=b", ContentType: "text/plain", ContentEncoding: "gzip",
			UserAgent: "influxdb-client-go", Authorization: true, ContentLength: -1, RawSize: 30, Status: 400,
			ResponseHeader: map[string][]string{"X-Influxdb-Error": {"bad"}}, ResponseBody: []byte(`{"code":"invalid"}`)}}
	var n names
	b := appendRecord(nil, &parse.Result{Record: rec, Format: "influx"}, &n, nil, 0)
	r := &reader{b: b, names: n.list}
	h := r.readHeader()
	got := h.record()
	want := rec
	ex := *rec.HTTP
	ex.ResponseHeader = nil
	want.HTTP = &ex
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("record (-want +got):\n%s", d)
	}
	if r.err != nil {
		t.Error(r.err)
	}
}

// A record that does not decode is an error, never a panic.
func FuzzReader(f *testing.F) {
	var n names
	f.Add(appendRecord(nil, &parse.Result{Record: listener.Record{Listener: "udp://a", Data: []byte("x")},
		Metrics: []telegraf.Metric{metric.New("m", map[string]string{"t": "v"}, map[string]any{"f": 1.0}, time.Unix(0, 1))}}, &n, nil, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := &reader{b: b, names: []string{"udp://a", "influx"}}
		h := r.readHeader()
		r.metricsLen()
		var m rawMetric
		for k := 0; k < h.metrics && r.err == nil && k < 1000; k++ {
			r.readMetric(&m)
		}
		for k := r.uvarint(); k > 0 && r.err == nil && k < 1000; k-- {
			r.readDiagnostic()
		}
	})
}

// A view read outside the lock sees the records it copied intact while the
// store drops them and fills chunks again.
func TestViewOutlivesChunks(t *testing.T) {
	s := NewStore(Options{Keep: 4})
	rec := func(i int) *parse.Result {
		data := make([]byte, chunkSize/3) // three records a chunk
		for k := range data {
			data[k] = byte('a' + i%26)
		}
		return &parse.Result{Record: listener.Record{Listener: "udp://a", Seq: uint64(i), Data: data}}
	}
	for i := range 8 {
		s.Result(rec(i))
	}
	s.mu.Lock()
	v := s.viewLocked(nil)
	s.mu.Unlock()
	for i := 8; i < 40; i++ { // every chunk of v is dropped, and more
		s.Result(rec(i))
	}
	if len(v.entries) != 4 {
		t.Fatalf("%d entries in the view", len(v.entries))
	}
	for k, e := range v.entries {
		r := v.reader(&e)
		h := r.readHeader()
		if r.err != nil || h.seq != uint64(4+k) || len(h.data) != chunkSize/3 {
			t.Fatalf("entry %d: record %d of %d bytes, %v", k, h.seq, len(h.data), r.err)
		}
		want := byte('a' + int(h.seq)%26)
		for _, c := range h.data {
			if c != want {
				t.Fatalf("record %d: %q where %q was", h.seq, c, want)
			}
		}
	}
	v.close()
	// With no view open, a released chunk is filled again.
	for i := 40; i < 60; i++ {
		s.Result(rec(i))
	}
	if s.arena.spare == nil && len(s.arena.chunks) > 3 {
		t.Errorf("%d chunks and none spare", len(s.arena.chunks))
	}
}

// A metrics' length is written after the metrics, in the 5 bytes left for
// it, and must read back as a varint of any length up to 2^35.
func TestPutFixedUvarint(t *testing.T) {
	for _, v := range []uint64{0, 1, 0x7f, 0x80, 0x3fff, 0x4000, 1<<21 - 1, 1 << 21, 1<<28 + 5, 1<<35 - 1} {
		b := make([]byte, 5)
		putFixedUvarint(b, v)
		got, n := binary.Uvarint(b)
		if got != v || n != 5 {
			t.Errorf("putFixedUvarint(%d) = % x, which reads as %d in %d bytes", v, b, got, n)
		}
	}
}
