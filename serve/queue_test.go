package serve

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/setup"
)

// Every pushed event comes out once, each producer's in its order.
func TestQueueKeepsEveryEventInOrder(t *testing.T) {
	q := newQueue()
	const producers, each = 4, 20000
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				q.push(event{isRec: true, rec: listener.Record{Conn: uint64(p), Seq: uint64(i)}})
			}
		}()
	}
	go func() { wg.Wait(); q.close() }()

	got := make([][]uint64, producers)
	for {
		batch, ok := q.next()
		if !ok {
			break
		}
		require.LessOrEqual(t, len(batch), queueCap)
		for _, ev := range batch {
			got[ev.rec.Conn] = append(got[ev.rec.Conn], ev.rec.Seq)
		}
		q.done(batch)
	}
	want := make([][]uint64, producers)
	for p := range want {
		for i := range each {
			want[p] = append(want[p], uint64(i))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sequence numbers out of the queue, by producer (-want +got):\n%s", diff)
	}
}

// A full queue holds its producer until the loop takes a batch, and close
// releases a held producer without queueing its event.
func TestQueueBoundsAndCloses(t *testing.T) {
	q := newQueue()
	for i := range queueCap {
		q.push(event{isRec: true, rec: listener.Record{Seq: uint64(i)}})
	}
	pushed := make(chan struct{})
	go func() {
		q.push(event{isRec: true, rec: listener.Record{Seq: queueCap}})
		close(pushed)
	}()
	batch, ok := q.next()
	require.True(t, ok)
	require.Len(t, batch, queueCap, "a push went past the cap")
	q.done(batch)
	<-pushed // released by next

	batch, ok = q.next()
	require.True(t, ok)
	require.Len(t, batch, 1)
	if diff := cmp.Diff(uint64(queueCap), batch[0].rec.Seq); diff != "" {
		t.Errorf("the held producer's event (-want +got):\n%s", diff)
	}
	q.done(batch)

	q.push(event{isRec: true})
	q.close()
	q.push(event{isRec: true}) // after close: dropped, and does not block
	batch, ok = q.next()
	require.True(t, ok, "an event queued before close is still delivered")
	require.Len(t, batch, 1)
	q.done(batch)
	_, ok = q.next()
	require.False(t, ok)
}

// A record of queueBytes alone enters an empty queue, and the next one
// waits until the loop has taken it: an HTTP record is a whole body.
func TestQueueBoundsBytes(t *testing.T) {
	q := newQueue()
	q.push(event{isRec: true, rec: listener.Record{Seq: 1, Data: make([]byte, queueBytes)}})
	pushed := make(chan struct{})
	go func() {
		q.push(event{isRec: true, rec: listener.Record{Seq: 2, Data: []byte("cpu v=1\n")}})
		close(pushed)
	}()
	batch, ok := q.next()
	require.True(t, ok)
	require.Len(t, batch, 1, "a push went past the bytes' bound")
	q.done(batch)
	<-pushed // released by next

	batch, ok = q.next()
	require.True(t, ok)
	require.Len(t, batch, 1)
	if diff := cmp.Diff(uint64(2), batch[0].rec.Seq); diff != "" {
		t.Errorf("the held producer's event (-want +got):\n%s", diff)
	}
	q.done(batch)
}

// orderSink records the events it is given and fails on concurrent calls.
type orderSink struct {
	busy atomic.Bool
	got  map[uint64][]int
	t    *testing.T
}

func (o *orderSink) Listening(string, string) {}
func (o *orderSink) Finding(parse.Diagnostic) {}
func (o *orderSink) Result(res *parse.Result) {
	o.add(res.Record.Conn, int(res.Record.Seq))
	if len(res.Metrics) != 1 {
		o.t.Errorf("record %q stored %d metrics, want 1", res.Record.Data, len(res.Metrics))
	}
}
func (o *orderSink) Conn(ev listener.ConnEvent) { o.add(ev.Conn, ev.Records) }

func (o *orderSink) add(conn uint64, n int) {
	if !o.busy.CompareAndSwap(false, true) {
		o.t.Error("the sink was called concurrently")
	}
	o.got[conn] = append(o.got[conn], n)
	o.busy.Store(false)
}

// Producers that deliver inline or through the queue, whichever is free,
// still have every event processed once, one at a time, each producer's
// in order: its records, parsed ahead of the rules in the queue's case,
// and its connection events between them. One producer waits for the loop
// instead of queuing, as the only stream connection's reader does.
func TestDeliverKeepsEachProducersOrder(t *testing.T) {
	cfg, err := setup.Load([]byte("[[inputs.socket_listener]]\n  service_address = \"tcp://127.0.0.1:0\"\n"), "test")
	require.NoError(t, err)
	const url = "tcp://127.0.0.1:1"
	sink := &orderSink{got: map[uint64][]int{}, t: t}
	s := &Server{engine: NewEngine(sink), events: newQueue(), done: make(chan struct{})}
	s.engine.Add(url, "influx", parse.NewPipeline(url, nil, Stages(cfg.Inputs[0])...))
	go s.loop()
	const producers, each = 4, 5000
	var wg sync.WaitGroup
	for p := range producers {
		wait := p == 0
		wg.Go(func() {
			for i := range each {
				if i%2 == 0 {
					s.deliver(event{conn: &listener.ConnEvent{Listener: url, Conn: uint64(p), Records: i}}, wait)
					continue
				}
				s.deliver(event{isRec: true, rec: listener.Record{Listener: url, Conn: uint64(p), Seq: uint64(i),
					Data: []byte("cpu v=1"), Stream: true, Terminated: true}}, wait)
			}
		})
	}
	wg.Wait()
	s.events.close()
	<-s.done
	want := map[uint64][]int{}
	for p := range producers {
		for i := range each {
			want[uint64(p)] = append(want[uint64(p)], i)
		}
	}
	if diff := cmp.Diff(want, sink.got); diff != "" {
		t.Errorf("events processed, by producer (-want +got):\n%s", diff)
	}
}

// next waits for events and returns all that are queued; ok is false when
// the queue is closed and empty.
func (q *queue) next() (batch []event, ok bool) {
	for q.wait() {
		if batch = q.take(); len(batch) > 0 {
			return batch, true
		}
	}
	return nil, false
}

// severalSenders tells a batch of one connection's records, which the loop
// parses itself, from one of several connections or datagram listeners.
func TestSeveralSenders(t *testing.T) {
	rec := func(l string, conn uint64) event {
		return event{isRec: true, rec: listener.Record{Listener: l, Conn: conn}}
	}
	conn := event{conn: &listener.ConnEvent{}}
	for _, c := range []struct {
		batch []event
		want  bool
	}{
		{nil, false},
		{[]event{rec("tcp://a", 1), conn, rec("tcp://a", 1), rec("tcp://a", 1)}, false},
		{[]event{rec("udp://a", 0), rec("udp://a", 0)}, false},
		{[]event{rec("tcp://a", 1), conn, rec("tcp://a", 2)}, true},
		{[]event{rec("udp://a", 0), rec("udp://b", 0)}, true},
		{[]event{rec("tcp://a", 1), rec("unix:///s", 1)}, true},
	} {
		if got := severalSenders(c.batch); got != c.want {
			t.Errorf("severalSenders(%v) = %v, want %v", c.batch, got, c.want)
		}
	}
}
