package api

import (
	"sync"
	"time"

	"github.com/influxdata/telegraf"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
)

// DefaultKeep is how many records and metrics a Store keeps unless told
// otherwise (--keep).
const DefaultKeep = 100000

// Options configure a Store.
type Options struct {
	// Keep is how many of the newest records, and of the newest metrics,
	// are kept for the listings; 0 means DefaultKeep. Counters are exact
	// whatever it is.
	Keep int
	// Collector counts for the summary and fakegraf's own metrics. The
	// store hands it every event, so it must not be in the same fan-out
	// as the store; nil means a collector of the store's own. The CLI
	// shares its collector so that nothing is counted twice.
	Collector *report.Collector
}

// Store keeps what the API serves: the newest records with their metrics
// and findings (a bounded ring), the socket's own findings, the counters
// (a report.Collector, with a baseline since the last reset), and the
// pending waits and event subscribers it wakes. It is a serve.Sink.
type Store struct {
	keep int
	coll *report.Collector

	mu        sync.Mutex
	records   ring[entry]
	metrics   int              // metrics in records
	findings  int              // findings in records
	socket    ring[socketNote] // findings about a socket, not a record
	lastID    uint64           // record ids: a sequence over every listener
	dropped   dropped          // since the last reset
	base      *report.Summary  // the collector at the last reset; nil: none
	since     time.Time        // the start or the last reset
	listeners []listening
	waits     map[*wait]struct{}
	subs      map[*subscriber]struct{}
	closed    bool
	done      chan struct{} // closed by Close
}

// entry is one record as kept: what the listings and waits read. It holds
// the metrics Telegraf's code made, not copies; nothing changes them once
// the record has been processed.
type entry struct {
	id       uint64
	rec      listener.Record
	format   string
	auto     bool
	err      error
	metrics  []telegraf.Metric
	findings []parse.Diagnostic
}

// socketNote is a finding about a socket (a refused connection, kernel
// drops), kept in arrival order among the records: after is the id of the
// last record before it.
type socketNote struct {
	after uint64
	d     parse.Diagnostic
}

type dropped struct {
	records, metrics, findings uint64
}

type listening struct{ url, dataFormat string }

// NewStore returns an empty store.
func NewStore(opt Options) *Store {
	if opt.Keep <= 0 {
		opt.Keep = DefaultKeep
	}
	if opt.Collector == nil {
		opt.Collector = report.NewCollector()
	}
	return &Store{keep: opt.Keep, coll: opt.Collector, since: time.Now(),
		waits: map[*wait]struct{}{}, subs: map[*subscriber]struct{}{}, done: make(chan struct{})}
}

// Collector is the store's collector.
func (s *Store) Collector() *report.Collector { return s.coll }

// Listening is part of serve.Sink.
func (s *Store) Listening(url, dataFormat string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.coll.Listening(url, dataFormat)
	s.listeners = append(s.listeners, listening{url, dataFormat})
	s.publish(event{obj: report.ListeningEvent(url, dataFormat)})
}

// Result is part of serve.Sink: it counts the record, keeps it (dropping the
// oldest beyond Keep), and wakes the waits and subscribers.
func (s *Store) Result(r *parse.Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.coll.Result(r)
	s.lastID++
	for s.records.n > 0 && (s.records.n >= s.keep || s.metrics+len(r.Metrics) > s.keep) {
		s.dropOldest()
	}
	s.records.push(entry{id: s.lastID, rec: r.Record, format: r.Format, auto: r.Auto, err: r.Err,
		metrics: r.Metrics, findings: r.Diagnostics}, s.keep)
	s.metrics += len(r.Metrics)
	s.findings += len(r.Diagnostics)
	if len(s.waits) > 0 && len(r.Metrics) > 0 {
		s.feedWaits(r.Metrics)
	}
	if len(s.subs) > 0 {
		s.publish(event{id: s.lastID, res: r})
	}
}

func (s *Store) dropOldest() {
	e := s.records.pop()
	s.metrics -= len(e.metrics)
	s.findings -= len(e.findings)
	s.dropped.records++
	s.dropped.metrics += uint64(len(e.metrics))
	s.dropped.findings += uint64(len(e.findings))
}

// Conn is part of serve.Sink.
func (s *Store) Conn(ev listener.ConnEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.coll.Conn(ev)
	if len(s.subs) > 0 {
		s.publish(event{obj: report.ConnEvent(ev)})
	}
}

// Finding is part of serve.Sink.
func (s *Store) Finding(d parse.Diagnostic) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.coll.Finding(d)
	if s.socket.n >= s.keep {
		s.socket.pop()
		s.dropped.findings++
	}
	s.socket.push(socketNote{after: s.lastID, d: d}, s.keep)
	if len(s.subs) > 0 {
		s.publish(event{obj: report.FindingEvent(d)})
	}
}

// Cleared is what a reset forgot.
type Cleared struct {
	Records  int `json:"records"`  // records that were kept
	Metrics  int `json:"metrics"`  // metrics that were kept
	Findings int `json:"findings"` // findings that were kept
	// Summary holds the counters since the previous reset (or the start),
	// which start again from zero.
	Summary *report.Summary `json:"summary"`
}

// Reset forgets every kept record, metric and finding and starts the
// counters of the summary again from zero. The collector itself keeps
// counting: the run's own summary and fakegraf's Prometheus counters stay
// whole. Pending waits keep what they have counted.
func (s *Store) Reset() Cleared {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := s.coll.Summary()
	c := Cleared{Records: s.records.n, Metrics: s.metrics, Findings: s.findings + s.socket.n, Summary: sum.Since(s.base)}
	s.base = sum
	s.records.reset()
	s.socket.reset()
	s.metrics, s.findings, s.dropped = 0, 0, dropped{}
	s.since = time.Now()
	if len(s.subs) > 0 {
		s.publish(event{obj: struct {
			Event string `json:"event"`
			Cleared
		}{"reset", c}})
	}
	return c
}

// Summary is the summary since the last reset.
func (s *Store) Summary() *report.Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.coll.Summary().Since(s.base)
}

// Close ends the event streams and the pending waits (which answer that
// fakegraf is stopping); the store keeps counting whatever still arrives.
func (s *Store) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
}

// window says how much is kept and how much was dropped since the reset.
type window struct {
	Keep            int       `json:"keep"`
	KeptRecords     int       `json:"kept_records"`
	KeptMetrics     int       `json:"kept_metrics"`
	KeptFindings    int       `json:"kept_findings"`
	DroppedRecords  uint64    `json:"dropped_records"`
	DroppedMetrics  uint64    `json:"dropped_metrics"`
	DroppedFindings uint64    `json:"dropped_findings"`
	Since           time.Time `json:"since"` // the start or the last reset
}

func (s *Store) windowLocked() window {
	return window{Keep: s.keep, KeptRecords: s.records.n, KeptMetrics: s.metrics, KeptFindings: s.findings + s.socket.n,
		DroppedRecords: s.dropped.records, DroppedMetrics: s.dropped.metrics, DroppedFindings: s.dropped.findings, Since: s.since}
}

// ring is a queue of at most max items that grows as it fills: a store
// with little traffic holds little.
type ring[T any] struct {
	buf     []T
	head, n int
}

func (r *ring[T]) push(v T, max int) {
	if r.n == len(r.buf) {
		if len(r.buf) >= max {
			panic("api: ring full")
		}
		buf := make([]T, min(max, 2*len(r.buf)+64))
		for i := range r.n {
			buf[i] = *r.at(i)
		}
		r.buf, r.head = buf, 0
	}
	r.buf[(r.head+r.n)%len(r.buf)] = v
	r.n++
}

func (r *ring[T]) pop() T {
	var zero T
	v := r.buf[r.head]
	r.buf[r.head] = zero // let the garbage collector have it
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	return v
}

// at is the i-th item from the oldest.
func (r *ring[T]) at(i int) *T { return &r.buf[(r.head+i)%len(r.buf)] }

func (r *ring[T]) reset() { *r = ring[T]{} }
