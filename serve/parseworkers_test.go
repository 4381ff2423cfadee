package serve

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/setup"
)

// logSink writes down, in the order the engine hands them over, what each
// event became: a record's connection, sequence number, stored metrics
// (without the arrival-time timestamps a parser stamps) and findings.
type logSink struct {
	mu  sync.Mutex // the sink is called one event at a time; -race checks that
	log []string
}

func (l *logSink) Listening(string, string) {}
func (l *logSink) Result(res *parse.Result) {
	var b strings.Builder
	fmt.Fprintf(&b, "conn %d #%d %s", res.Record.Conn, res.Record.Seq, stored(res))
	for _, d := range res.Diagnostics {
		fmt.Fprintf(&b, " [%s: %s]", d.Rule, d.Message)
	}
	l.add(b.String())
}
func (l *logSink) Conn(ev listener.ConnEvent) {
	l.add(fmt.Sprintf("conn %d open=%v", ev.Conn, ev.Open))
}
func (l *logSink) Finding(d parse.Diagnostic) { l.add(d.Rule + ": " + d.Message) }
func (l *logSink) add(s string) {
	if !l.mu.TryLock() {
		panic("the sink was called concurrently")
	}
	l.log = append(l.log, s)
	l.mu.Unlock()
}

func stored(res *parse.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "err=%v:", res.Err != nil)
	for _, m := range res.Metrics {
		fmt.Fprintf(&b, " %s%v%v", m.Name(), m.Tags(), m.Fields())
	}
	return b.String()
}

// interleaved is what 8 connections send at once, in one arrival order:
// records whose findings depend on the records before them, of the same
// connection (missing-newline, timestamp-unit's per-connection view) or of
// any (field-type-conflict: v is an integer, then a string, then a float),
// a parse error, and connection events between them.
func interleaved(url string, n int) []event {
	lines := []string{
		"cpu,host=a v=1i 1700000000000000000",
		"cpu,host=b v=\"x\" 1700000000000000000",
		"mem free=2 1700000000",
		"cpu v=1.5",
		"cpu v=",
		"disk\\ io,host=a used=7i,s=\"a=b\" 1700000000000000001",
		"cpu,host=a v=2i 1700000000000",
	}
	var evs []event
	seq := map[uint64]uint64{}
	for conn := range uint64(8) {
		evs = append(evs, event{conn: &listener.ConnEvent{Listener: url, Conn: conn, Open: true}})
	}
	for i := range n {
		conn := uint64(i*5%8) ^ uint64(i/97%2) // runs of one connection, and mixes
		seq[conn]++
		evs = append(evs, event{isRec: true, rec: listener.Record{Listener: url, Peer: "127.0.0.1:2", Conn: conn, Seq: seq[conn],
			Data: []byte(lines[(i+int(conn))%len(lines)]), Stream: true, Terminated: i%11 != 0, Received: time.Unix(1700000000, 0)}})
	}
	for conn := range uint64(8) {
		evs = append(evs, event{conn: &listener.ConnEvent{Listener: url, Conn: conn, Records: int(seq[conn])}})
	}
	return evs
}

// The loop hands the sink what processing the events one at a time, in the
// order they were queued, hands it, with one goroutine parsing ahead of the
// rules or several: each parse goroutine has its own copy of the influx
// parser (parse.Stage), and the rules take the chunks in the queue's
// order, so every finding that depends on the records before it, of the
// same connection or another, is the same.
func TestParseWorkersChangeNothing(t *testing.T) {
	cfg, err := setup.Load([]byte("[[inputs.socket_listener]]\n  service_address = \"tcp://127.0.0.1:0\"\n  name_prefix = \"p_\"\n"), "test")
	require.NoError(t, err)
	const url = "tcp://127.0.0.1:1"
	events := interleaved(url, 3*queueCap) // more than one batch

	serial := &logSink{}
	e := NewEngine(serial)
	e.Add(url, "influx", parse.NewPipeline(url, nil, Stages(cfg.Inputs[0])...))
	s := &Server{engine: e}
	for i := range events {
		s.handle(&events[i])
	}
	require.NotEmpty(t, serial.log)
	for _, r := range []string{"field-type-conflict", "parse-error", "missing-newline", "timestamp-unit"} {
		require.Contains(t, strings.Join(serial.log, "\n"), "["+r+":", "the records should give %s findings", r)
	}

	for _, workers := range []int{1, 2, 5} {
		t.Run(fmt.Sprint(workers, " parse goroutines"), func(t *testing.T) {
			sink := &logSink{}
			s := &Server{engine: NewEngine(sink), events: newQueue(), done: make(chan struct{}), workers: workers}
			s.engine.Add(url, "influx", parse.NewPipeline(url, nil, Stages(cfg.Inputs[0])...))
			go s.loop()
			for _, ev := range interleaved(url, 3*queueCap) {
				s.events.push(ev)
			}
			s.events.close()
			<-s.done
			if diff := cmp.Diff(serial.log, sink.log); diff != "" {
				t.Errorf("what the sink was handed (-one at a time +parsed ahead):\n%s", diff)
			}
		})
	}
}

// parseAhead parses a batch ahead when it mixes senders, or when several
// stream connections are open and one of them filled more than a chunk of
// the queue alone (its reader ran while the others waited).
func TestParseAhead(t *testing.T) {
	one := make([]event, parseChunk+1)
	for i := range one {
		one[i] = event{isRec: true, rec: listener.Record{Listener: "tcp://a", Conn: 1}}
	}
	mixed := []event{one[0], {isRec: true, rec: listener.Record{Listener: "tcp://a", Conn: 2}}}
	for _, c := range []struct {
		batch   []event
		streams int64
		want    bool
	}{
		{mixed, 0, true},
		{one, 1, false}, // one connection's reader processes inline anyway
		{one, 2, true},
		{one[:parseChunk], 2, false}, // a chunk is parsed no sooner ahead
	} {
		s := &Server{}
		s.streams.Store(c.streams)
		if got := s.parseAhead(c.batch); got != c.want {
			t.Errorf("parseAhead(%d events, %d streams open) = %v, want %v", len(c.batch), c.streams, got, c.want)
		}
	}
}
