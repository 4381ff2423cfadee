package api

import (
	"encoding/binary"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/influxdata/telegraf"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
)

// DefaultKeep is how many records and metrics a Store keeps unless told
// otherwise (--keep).
const DefaultKeep = 100000

// DefaultKeepBytes is the most a Store keeps, in encoded bytes, unless
// told otherwise: with the garbage collector's headroom, fakegraf stays
// well under 256 MiB however large the records are.
const DefaultKeepBytes = 64 << 20

// Options configure a Store.
type Options struct {
	// Keep is how many of the newest records, and of the newest metrics,
	// are kept for the listings; 0 means DefaultKeep. Counters are exact
	// whatever it is.
	Keep int
	// KeepBytes bounds the bytes the kept records take, encoded (their
	// data, metrics and findings); 0 means DefaultKeepBytes. It matters
	// only for large records: 100,000 lines of line protocol take some
	// 25 MB. The findings about a socket rather than a record (refused
	// connections, forward losses) get an eighth of it besides.
	KeepBytes int
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
	keep      int
	keepBytes int
	coll      *report.Collector

	mu        sync.Mutex
	records   ring[entry]
	arena     arena            // the records' bytes
	names     names            // what the bytes name by number
	scratch   []byte           // a record being encoded
	hdr       []byte           // its header, when it is not batched
	metrics   int              // metrics in records
	findings  int              // findings in records
	bytes     int              // the records' encoded size
	views     int              // views being read outside the lock
	socket    ring[socketNote] // findings about a socket, not a record
	noteBytes int              // their size, as noteSize counts it
	series    seriesIndex      // every metric since the reset, by series
	pend      pending          // records not yet in records (flushLocked)
	lastID    uint64           // record ids: a sequence over every listener
	dropped   dropped          // since the last reset
	base      *report.Summary  // the collector at the last reset; nil: none
	since     time.Time        // the start or the last reset
	listeners []listening
	waits     map[*wait]struct{}
	subs      map[*subscriber]struct{}
	heavySubs int // subscribers that are not light
	closed    bool
	done      chan struct{} // closed by Close
}

// entry is one kept record: where its encoding is (codec.go) and what the
// listings filter on without decoding it. It holds no pointer, nor does the
// ring of entries or the arena: the garbage collector never scans them.
type entry struct {
	id       uint64
	chunk    uint64 // the arena chunk's number
	off, n   uint32 // where in it
	metrics  uint32
	findings uint32
	listener uint64 // a names index
	received int64  // unix nanoseconds; 0: unknown
}

// socketNote is a finding about a socket (a refused connection, kernel
// drops), kept in arrival order among the records: after is the id of the
// last record before it.
type socketNote struct {
	after uint64
	d     parse.Diagnostic
}

// noteSize is about what a kept socket note takes on the heap: its slot
// in the ring and its strings. A flood of refused connections makes some
// 450 bytes a note; 100,000 of them were 45 MB outside KeepBytes, full of
// pointers the garbage collector scans (found by bench/soak).
func noteSize(d *parse.Diagnostic) int {
	// The rule and the listener are strings every note shares.
	n := int(unsafe.Sizeof(socketNote{})) + len(d.Message) + len(d.Source.Peer) + len(d.Token)
	for _, f := range d.Fixes {
		n += int(unsafe.Sizeof(f)) + len(f)
	}
	return n
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
	if opt.KeepBytes <= 0 {
		opt.KeepBytes = DefaultKeepBytes
	}
	if opt.Collector == nil {
		opt.Collector = report.NewCollector()
	}
	return &Store{keep: opt.Keep, keepBytes: opt.KeepBytes, coll: opt.Collector, since: time.Now(),
		series: newSeriesIndex(opt.Keep, opt.KeepBytes/2),
		waits:  map[*wait]struct{}{}, subs: map[*subscriber]struct{}{}, done: make(chan struct{})}
}

// Collector is the store's collector.
func (s *Store) Collector() *report.Collector { return s.coll }

// Listening is part of serve.Sink.
func (s *Store) Listening(url, dataFormat string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.coll.Listening(url, dataFormat)
	s.listeners = append(s.listeners, listening{url, dataFormat})
	s.publish(event{kind: "listening", obj: report.ListeningEvent(url, dataFormat)})
}

// Result is part of serve.Sink: it counts the record, keeps it (dropping the
// oldest beyond Keep), and wakes the waits and subscribers.
func (s *Store) Result(r *parse.Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.coll.Result(r)
	s.lastID++
	if !s.pend.add(r, s.lastID, &s.names) {
		s.flushLocked() // in order
		s.hdr = appendHeader(s.hdr[:0], r, &s.names)
		s.keepLocked(s.hdr, r.Metrics, r.Diagnostics, s.lastID, unixNano(r.Record.Received))
		if cap(s.hdr) > 1<<20 {
			s.hdr = nil // one huge record: let it go
		}
	} else if len(s.pend.recs) >= pendingRecords || len(s.pend.data) >= pendingBytes {
		s.flushLocked()
	}
	if len(s.waits) > 0 && len(r.Metrics) > 0 {
		s.feedWaits(r.Metrics)
	}
	// A page's light subscribers take no clean record: with only them, a
	// clean record is not published at all (ranging over the subscribers
	// cost 2 % of fakegraf's CPU with a page open).
	if len(s.subs) > 0 && (s.heavySubs > 0 || len(r.Diagnostics) > 0) {
		s.publish(event{id: s.lastID, res: r})
	}
}

// flushLocked keeps the pending records. Whatever reads what is kept
// calls it first, under the lock.
func (s *Store) flushLocked() {
	p := &s.pend
	if len(p.recs) == 0 {
		return
	}
	data, metrics, diags := p.data, p.metrics, p.diags
	for i := range p.recs {
		pr := &p.recs[i]
		var hdr []byte
		hdr, data = data[:pr.hdr:pr.hdr], data[pr.hdr:]
		s.keepLocked(hdr, metrics[:pr.metrics:pr.metrics], diags[:pr.diags:pr.diags], pr.id, pr.received)
		metrics, diags = metrics[pr.metrics:], diags[pr.diags:]
	}
	clear(p.metrics) // what they hold, for the garbage collector
	clear(p.diags)
	p.recs, p.data, p.metrics, p.diags = p.recs[:0], p.data[:0], p.metrics[:0], p.diags[:0]
}

// keepLocked encodes the record of id whose header is hdr (appendHeader),
// with its metrics and findings, into the arena and the ring, dropping the
// oldest records beyond the bounds.
func (s *Store) keepLocked(hdr []byte, metrics []telegraf.Metric, diags []parse.Diagnostic, id uint64, received int64) {
	listener, _ := binary.Uvarint(hdr) // the header starts with it
	name := s.names.list[listener]
	// Encoded straight into the room at the end of the last chunk, where it
	// goes if it fits, its metrics may refer to others there. If it does
	// not fit, or the drops emptied the arena, it goes at the start of a
	// new chunk, and is encoded again for it.
	at, room := s.arena.room()
	b := appendBody(append(room, hdr...), 0, metrics, diags, name, &s.names, &s.series, id, at, false)
	s.makeRoom(len(b), len(metrics))
	var chunk uint64
	var off uint32
	if s.arena.wrote(at, b) {
		chunk, off = s.arena.grow(len(b))
	} else {
		at = place{chunk: s.arena.first + uint64(len(s.arena.chunks)), ok: true}
		b = appendBody(append(s.scratch[:0], hdr...), 0, metrics, diags, name, &s.names, &s.series, id, at, true)
		s.makeRoom(len(b), len(metrics)) // it may have grown
		chunk, off = s.arena.add(b)
		if s.scratch = b[:0]; cap(b) > 1<<20 {
			s.scratch = nil // one huge record: let it go
		}
	}
	n := len(b)
	e := entry{id: id, chunk: chunk, off: off, n: uint32(n), metrics: uint32(len(metrics)), findings: uint32(len(diags)), listener: listener, received: received}
	s.records.push(e, s.keep)
	s.metrics += len(metrics)
	s.findings += len(diags)
	s.bytes += n
}

// Records are kept in batches: Result encodes a record's header and data
// (appendHeader) and copies its metrics, which are never reused, and its
// findings; the rest of the encoding (appendBody: the series index and the
// references to templates) runs a batch at once, or when something reads
// what is kept. The encoding of one record between the parsing of two ran
// with its code and data out of the caches, at twice its cost in a loop
// (bench/loopback against BenchmarkResultSeries).
const (
	pendingRecords = 256
	pendingBytes   = 64 << 10
)

// pending holds the records not yet kept: their headers, metrics and
// findings one after another.
type pending struct {
	recs    []pendingRecord
	data    []byte // the headers
	metrics []telegraf.Metric
	diags   []parse.Diagnostic
}

type pendingRecord struct {
	id                  uint64
	received            int64 // unixNano
	hdr, metrics, diags int   // how many of each
}

// add encodes the header of r, of record id, into p and copies its metrics
// and findings; false when it is not for a batch: a large record, or a
// request to an HTTP input.
func (p *pending) add(r *parse.Result, id uint64, n *names) bool {
	if r.Record.HTTP != nil || len(r.Record.Data) > pendingBytes/4 {
		return false
	}
	start := len(p.data)
	p.data = appendHeader(p.data, r, n)
	p.recs = append(p.recs, pendingRecord{id: id, received: unixNano(r.Record.Received), hdr: len(p.data) - start, metrics: len(r.Metrics), diags: len(r.Diagnostics)})
	if len(r.Metrics) == 1 { // the usual; a slice append is a call
		p.metrics = append(p.metrics, r.Metrics[0])
	} else {
		p.metrics = append(p.metrics, r.Metrics...)
	}
	if len(r.Diagnostics) > 0 {
		p.diags = append(p.diags, r.Diagnostics...)
	}
	return true
}

// unixNano is t in unix nanoseconds, as an entry keeps it; 0: unknown.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// makeRoom drops the oldest records until a record of n bytes and metrics
// metrics fits the bounds.
func (s *Store) makeRoom(n, metrics int) {
	for s.records.n > 0 && (s.records.n >= s.keep || s.metrics+metrics > s.keep || s.bytes+n > s.keepBytes) {
		s.dropOldest()
	}
}

func (s *Store) dropOldest() {
	e := s.records.pop()
	s.metrics -= int(e.metrics)
	s.findings -= int(e.findings)
	s.bytes -= int(e.n)
	s.dropped.records++
	s.dropped.metrics += uint64(e.metrics)
	s.dropped.findings += uint64(e.findings)
	if s.records.n == 0 {
		s.arena.reset() // no spare: a view may hold the last chunk
	} else {
		// A chunk may be filled again only when no reader can hold it.
		s.arena.release(s.records.at(0).chunk, s.views == 0)
	}
}

// Conn is part of serve.Sink.
func (s *Store) Conn(ev listener.ConnEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.coll.Conn(ev)
	if len(s.subs) > 0 {
		kind := "conn_close"
		if ev.Open {
			kind = "conn_open"
		}
		s.publish(event{kind: kind, obj: report.ConnEvent(ev)})
	}
}

// Finding is part of serve.Sink.
func (s *Store) Finding(d parse.Diagnostic) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.coll.Finding(d)
	size := noteSize(&d)
	for s.socket.n > 0 && (s.socket.n >= s.keep || s.noteBytes+size > s.keepBytes/8) {
		old := s.socket.pop()
		s.noteBytes -= noteSize(&old.d)
		s.dropped.findings++
	}
	s.socket.push(socketNote{after: s.lastID, d: d}, s.keep)
	s.noteBytes += size
	if len(s.subs) > 0 {
		s.publish(event{kind: "finding", obj: report.FindingEvent(d)})
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
	s.flushLocked()
	sum := s.coll.Summary()
	c := Cleared{Records: s.records.n, Metrics: s.metrics, Findings: s.findings + s.socket.n, Summary: sum.Since(s.base)}
	s.base = sum
	s.records.reset()
	s.arena.reset()
	s.socket.reset()
	s.series.reset()
	s.metrics, s.findings, s.bytes, s.noteBytes, s.dropped = 0, 0, 0, 0, dropped{}
	s.since = time.Now()
	if len(s.subs) > 0 {
		s.publish(event{kind: "reset", obj: struct {
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
	s.flushLocked()
	return window{Keep: s.keep, KeptRecords: s.records.n, KeptMetrics: s.metrics, KeptFindings: s.findings + s.socket.n,
		DroppedRecords: s.dropped.records, DroppedMetrics: s.dropped.metrics, DroppedFindings: s.dropped.findings, Since: s.since}
}

// chunkSize is the size of an arena chunk; a larger record gets a chunk
// of its own.
const chunkSize = 1 << 20

// arena holds the kept records' bytes in chunks, oldest first: records are
// dropped oldest first, so a chunk goes once its last record has.
type arena struct {
	chunks [][]byte
	first  uint64 // the number of chunks[0]
	spare  []byte // a released chunk, to be filled again
}

// room is where the next record goes if it fits in the last chunk, and
// the room left there, as an empty slice to append to. With no chunk there
// is no room, and noPlace: the record will go to a new chunk, and nothing
// it writes now may be referred to there.
func (a *arena) room() (place, []byte) {
	if k := len(a.chunks); k > 0 {
		last := a.chunks[k-1]
		return place{chunk: a.first + uint64(k-1), off: len(last), ok: true}, last[len(last):len(last):cap(last)]
	}
	return noPlace, nil
}

// wrote says whether b, appended to the room that room gave for p, is
// still in that room: the record fits there, and the last chunk is the
// one it was encoded for.
func (a *arena) wrote(p place, b []byte) bool {
	k := len(a.chunks)
	if k == 0 || len(b) == 0 {
		return false
	}
	last := a.chunks[k-1]
	return p.chunk == a.first+uint64(k-1) && p.off == len(last) && cap(last)-len(last) >= len(b) &&
		unsafe.SliceData(b) == unsafe.SliceData(last[len(last):cap(last)])
}

// grow keeps the n bytes written into the last chunk's room, and says
// where they are.
func (a *arena) grow(n int) (chunk uint64, off uint32) {
	last := len(a.chunks) - 1
	off = uint32(len(a.chunks[last]))
	a.chunks[last] = a.chunks[last][:int(off)+n]
	return a.first + uint64(last), off
}

// add copies b into the arena, at the start of a new chunk, and says where
// it is.
func (a *arena) add(b []byte) (chunk uint64, off uint32) {
	c := a.spare
	if cap(c) < len(b) {
		c = make([]byte, 0, max(chunkSize, len(b)))
	}
	a.spare = nil
	a.chunks = append(a.chunks, append(c[:0], b...))
	return a.first + uint64(len(a.chunks)-1), 0
}

// release lets go of the chunks before chunk; with reuse, it keeps one
// to fill again rather than allocate another.
func (a *arena) release(chunk uint64, reuse bool) {
	if chunk <= a.first {
		return
	}
	k := int(chunk - a.first)
	if c := a.chunks[k-1]; reuse && cap(c) == chunkSize {
		a.spare = c
	}
	clear(a.chunks[:k])
	a.chunks = a.chunks[k:]
	a.first = chunk
}

func (a *arena) reset() {
	a.first += uint64(len(a.chunks))
	a.chunks = nil
}

// view is what a reader needs of the store to decode outside the lock:
// copies of the entries asked for, and of the chunk and names lists, whose
// written bytes never change while a view is open. Close it when done: a
// chunk is filled again only when no view is open.
type view struct {
	store   *Store
	entries []entry
	chunks  [][]byte
	first   uint64
	names   []string
	win     window
	// For reading newest first in batches (older): which entries the
	// view keeps, and the id of its oldest entry; 0: nothing before it.
	keep      func(*entry) bool
	olderThan uint64
}

// viewLocked copies the entries for which keep says yes, newest last. The
// caller holds s.mu.
func (s *Store) viewLocked(keep func(*entry) bool) *view {
	s.flushLocked()
	return s.viewNewestLocked(keep, s.records.n)
}

// viewNewestLocked is viewLocked for at most the newest n entries; the
// view's older fetches the ones before them. The caller holds s.mu and
// flushed the pending records before it counted n.
func (s *Store) viewNewestLocked(keep func(*entry) bool, n int) *view {
	s.views++
	v := &view{store: s, chunks: slices.Clone(s.arena.chunks), first: s.arena.first, names: s.names.list, win: s.windowLocked(), keep: keep}
	v.copyLocked(s.records.n-n, s.records.n)
	return v
}

// copyLocked sets the view's entries to those of ring positions [from,
// to) that it keeps, and remembers where the older ones end.
func (v *view) copyLocked(from, to int) {
	from = max(from, 0)
	if cap(v.entries) < to-from {
		v.entries = make([]entry, 0, to-from)
	}
	v.entries = v.entries[:0]
	for i := from; i < to; i++ {
		if e := v.store.records.at(i); v.keep == nil || v.keep(e) {
			v.entries = append(v.entries, *e)
		}
	}
	v.olderThan = 0 // none
	if from > 0 {
		v.olderThan = v.store.records.at(from).id
	}
}

// older replaces the view's entries with up to n entries before them,
// for reading newest first in batches; false when there are none (or
// they were dropped meanwhile). The view's chunks hold their bytes:
// entries only get older, and no chunk is filled again while a view is
// open.
func (v *view) older(n int) bool {
	if v.olderThan == 0 {
		return false
	}
	s := v.store
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked()
	if s.records.n == 0 || s.records.at(0).id >= v.olderThan {
		return false
	}
	to := int(v.olderThan - s.records.at(0).id) // record ids are consecutive in the ring
	v.copyLocked(to-n, to)
	return true
}

// close lets the store fill released chunks again.
func (v *view) close() {
	v.store.mu.Lock()
	v.store.views--
	v.store.mu.Unlock()
}

// reader reads an entry's encoding, given the chunks of a view.
func (v *view) reader(e *entry) *reader {
	c := v.chunks[e.chunk-v.first]
	end := e.off + e.n
	return &reader{b: c[e.off:end:end], names: v.names, chunk: c[:end:end]}
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
	*r.at(r.n) = v
	r.n++
}

func (r *ring[T]) pop() T {
	var zero T
	v := r.buf[r.head]
	r.buf[r.head] = zero // let the garbage collector have it
	r.head++
	if r.head == len(r.buf) {
		r.head = 0
	}
	r.n--
	return v
}

// at is the i-th item from the oldest (i < len(r.buf)); a subtraction
// rather than a division, which each record paid for three times.
func (r *ring[T]) at(i int) *T {
	k := r.head + i
	if k >= len(r.buf) {
		k -= len(r.buf)
	}
	return &r.buf[k]
}

func (r *ring[T]) reset() { *r = ring[T]{} }
