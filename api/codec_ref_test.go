package api

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
)

// wantMetric is what a kept metric must decode to.
type wantMetric struct {
	Name   string
	Tags   []*telegraf.Tag
	Fields []*telegraf.Field
	Time   int64
	Type   telegraf.ValueType
}

func asWant(m telegraf.Metric) wantMetric {
	return wantMetric{m.Name(), m.TagList(), m.FieldList(), m.Time().UnixNano(), m.Type()}
}

// keptMetrics decodes every metric the store keeps, oldest first, and
// counts those kept as references.
func keptMetrics(t *testing.T, s *Store) (got []wantMetric, refs int) {
	t.Helper()
	s.mu.Lock()
	v := s.viewLocked(nil)
	s.mu.Unlock()
	defer v.close()
	var m rawMetric
	for i := range v.entries {
		r := v.reader(&v.entries[i])
		h := r.readHeader()
		r.metricsLen()
		for k := 0; k < h.metrics && r.err == nil; k++ {
			if len(r.b) > 0 && (r.b[0] == metricRef || r.b[0] == metricRefOrder) {
				refs++
			}
			r.readMetric(&m)
			got = append(got, asWant(m.metric()))
		}
		if r.err != nil {
			t.Fatalf("record %d: %v", v.entries[i].id, r.err)
		}
	}
	return got, refs
}

func result(seq int, data []byte, ms ...telegraf.Metric) *parse.Result {
	return &parse.Result{Record: listener.Record{Listener: "tcp://127.0.0.1:8094", Peer: "127.0.0.1:5000", Conn: 1, Seq: uint64(seq),
		Data: data, Size: len(data), Stream: true, Terminated: true, Received: time.Unix(1795608000, int64(seq))},
		Format: "influx", Metrics: ms}
}

// cpu is a metric with the fields kv (key, value, ...) in that order.
func cpu(host string, ns int64, kv ...any) telegraf.Metric {
	m := metric.New("cpu", map[string]string{"host": host, "region": "eu"}, nil, time.Unix(1795608000, ns))
	for i := 0; i < len(kv); i += 2 {
		m.AddField(kv[i].(string), kv[i+1])
	}
	return m
}

// Metrics that repeat a series are kept as references to the last of it
// written in full, and decode to what they were, whatever changed from one
// to the next: a tag value, the fields' keys, their types, their order
// (Telegraf's JSON parser orders them at random).
func TestCodecReferences(t *testing.T) {
	ms := []telegraf.Metric{
		cpu("a", 1, "idle", 99.5, "user", 1.25),
		cpu("a", 2, "idle", 98.5, "user", 2.25),                                                          // a reference
		cpu("b", 3, "idle", 97.5, "user", 3.25),                                                          // another tag value: in full
		cpu("a", 4, "idle", 96.5, "user", 4.25),                                                          // a reference again
		cpu("a", 5, "idle", 95.5),                                                                        // fewer fields: in full
		cpu("a", 6, "idle", 94.5, "user", 5.25),                                                          // back to two: in full
		cpu("a", 7, "idle", int64(94), "user", 6.25),                                                     // a type changes: in full
		cpu("a", 8, "idle", int64(93), "user", 7.25),                                                     // a reference to that one
		cpu("a", 9, "idle", "x", "user", true, "u", uint64(3)),                                           // other types
		cpu("a", 10, "idle", "yz", "user", false, "u", uint64(4)),                                        // a reference with them
		metric.New("cpu", map[string]string{"host": "a"}, map[string]any{"idle": 1.0}, time.Unix(0, 11)), // a tag fewer
	}
	ms = append(ms, cpu("a", 12, "u", uint64(5), "user", true, "idle", "w"))  // the same keys in another order: a reference with the order
	ms = append(ms, cpu("a", 13, "user", false, "u", uint64(6), "idle", "v")) // and in a third
	ms = append(ms, cpu("a", 14, "u", "s", "user", true, "idle", "w"))        // another order and another type: in full
	counter := cpu("b", 15, "idle", 1.5, "user", 0.5)
	counter.SetType(telegraf.Counter) // a reference keeps its own value type
	ms = append(ms, counter)

	s := NewStore(Options{})
	var want []wantMetric
	for i, m := range ms {
		s.Result(result(i+1, fmt.Appendf(nil, "line %d", i), m))
		want = append(want, asWant(m))
	}
	// A record of several metrics, some of the same series: the later ones
	// refer to the earlier ones in the record itself.
	batch := []telegraf.Metric{cpu("c", 20, "idle", 1.0), cpu("d", 21, "idle", 2.0),
		cpu("c", 22, "idle", 3.0), cpu("d", 23, "idle", 4.0)}
	s.Result(result(len(ms)+1, []byte("batch"), batch...))
	for _, m := range batch {
		want = append(want, asWant(m))
	}
	got, refs := keptMetrics(t, s)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("kept metrics (-want +got):\n%s", d)
	}
	if refs != 9 { // the six marked above, the counter, the batch's later two
		t.Errorf("%d metrics kept as references, want 9", refs)
	}
}

// A reference never leaves its chunk: a record that does not fit the last
// chunk starts a new one and is written again for it, in full; records
// dropped while a view is open leave the view's references whole; a store
// that keeps one record (every drop empties the arena) still decodes.
func TestCodecReferencesAcrossChunks(t *testing.T) {
	for _, keep := range []int{1, 3, 1000} {
		t.Run(fmt.Sprint(keep), func(t *testing.T) {
			s := NewStore(Options{Keep: keep})
			var want []wantMetric
			data := make([]byte, chunkSize/5) // five records a chunk, or nearly
			var views []*view
			for i := range 40 {
				m := cpu(fmt.Sprint("h", i%3), int64(i), "idle", float64(i))
				s.Result(result(i+1, data, m))
				want = append(want, asWant(m))
				if i%7 == 0 {
					s.mu.Lock()
					views = append(views, s.viewLocked(nil))
					s.mu.Unlock()
				}
			}
			got, refs := keptMetrics(t, s)
			if d := cmp.Diff(want[len(want)-min(keep, len(want)):], got); d != "" {
				t.Errorf("kept metrics (-want +got):\n%s", d)
			}
			if keep == 1000 && refs == 0 {
				t.Errorf("no reference made")
			}
			// What each view copied still decodes to what it was.
			for _, v := range views {
				var m rawMetric
				for i := range v.entries {
					e := &v.entries[i]
					r := v.reader(e)
					h := r.readHeader()
					r.metricsLen()
					r.readMetric(&m)
					if r.err != nil || h.metrics != 1 {
						t.Fatalf("record %d: %v", e.id, r.err)
					}
					if d := cmp.Diff(want[e.id-1], asWant(m.metric())); d != "" {
						t.Errorf("record %d in a view (-want +got):\n%s", e.id, d)
					}
				}
				v.close()
			}
		})
	}
}

// A series the index let go and then sees again is written in full again,
// not as a reference to its old template; so is every series after a
// reset.
func TestCodecReferencesSeriesDropped(t *testing.T) {
	s := NewStore(Options{Keep: 4}) // the index holds four series
	var want []wantMetric
	hosts := []string{"a", "a", "b", "c", "d", "e", "a", "a"} // a is let go at e
	for i, h := range hosts {
		m := cpu(h, int64(i), "idle", float64(i))
		s.Result(result(i+1, []byte("x"), m))
		want = append(want, asWant(m))
	}
	got, refs := keptMetrics(t, s)
	if d := cmp.Diff(want[len(want)-4:], got); d != "" {
		t.Errorf("kept metrics (-want +got):\n%s", d)
	}
	if refs != 1 { // the last a, to the one before it
		t.Errorf("%d references, want 1", refs)
	}
	s.Reset()
	m := cpu("a", 100, "idle", 1.0)
	s.Result(result(100, []byte("x"), m))
	got, refs = keptMetrics(t, s)
	if d := cmp.Diff([]wantMetric{asWant(m)}, got); d != "" || refs != 0 {
		t.Errorf("after a reset, %d references; kept metrics (-want +got):\n%s", refs, d)
	}
}

// A reference that points nowhere is an error, never a panic.
func TestCodecBadReference(t *testing.T) {
	for _, b := range [][]byte{{metricRef, 0}, {metricRef, 5}, {metricRef, 1}, {metricRef, 0xff, 0xff, 0xff, 0xff, 0x0f}} {
		chunk := append([]byte{metricRef, 9, 9}, b...) // nothing in full before it
		r := &reader{b: chunk[3:], chunk: chunk}
		var m rawMetric
		r.readMetric(&m)
		if r.err == nil {
			t.Errorf("%q: no error", b)
		}
	}
}

// Records wait in a batch to be encoded (pending), except large ones and
// HTTP requests, which are kept at once: whatever reads the store sees
// every record, in the order they came.
func TestPendingOrder(t *testing.T) {
	s := NewStore(Options{})
	var want []wantMetric
	for i := range 2*pendingRecords + 10 {
		data := []byte("x")
		switch {
		case i%37 == 5:
			data = make([]byte, pendingBytes/4+1) // kept at once
		case i%41 == 7:
			data = make([]byte, pendingBytes/8) // fills the batch's bytes
		}
		r := result(i+1, data, cpu(fmt.Sprint("h", i%5), int64(i), "idle", float64(i)))
		if i%43 == 9 {
			r.Record.HTTP = &listener.Exchange{Method: "POST", Path: "/write", Status: 204}
		}
		s.Result(r)
		want = append(want, asWant(r.Metrics[0]))
		if i%100 == 99 { // a reader in the middle
			got, _ := keptMetrics(t, s)
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("after %d records (-want +got):\n%s", i+1, d)
			}
		}
	}
	got, _ := keptMetrics(t, s)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("kept metrics (-want +got):\n%s", d)
	}
	s.mu.Lock()
	v := s.viewLocked(nil)
	s.mu.Unlock()
	defer v.close()
	for i, e := range v.entries {
		if h := v.reader(&e).readHeader(); e.id != uint64(i+1) || h.seq != uint64(i+1) {
			t.Fatalf("entry %d: record %d, seq %d", i, e.id, h.seq)
		}
	}
	if c := s.Reset(); c.Records != len(want) {
		t.Errorf("a reset forgot %d records, want %d", c.Records, len(want))
	}
}
