package web

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/serve"
)

// DefaultKeep is how many events a recording keeps unless told otherwise:
// as many as api.DefaultKeep records.
const DefaultKeep = 100000

// Recorder is a serve.Sink that records, when asked, what the page's golden
// file and NDJSON downloads are made of: the processed records themselves,
// connection events and socket findings.
//
// It records only between Start and Stop (the page's Record button). The
// API's store keeps records as compact bytes because holding the parser's
// objects made ingestion about a third dearer (api/codec.go); a golden file
// needs those objects (which timestamps the sender set, each finding's
// token), and asking which timestamps the sender set lexes the record
// again. A recording pays that; an idle recorder costs an atomic load per
// event.
type Recorder struct {
	keep int
	on   atomic.Bool

	mu        sync.Mutex
	listeners []listening
	items     []item // oldest first
	started   time.Time
	stopped   time.Time
	dropped   int // events dropped from the front: the recording is incomplete
}

type listening struct{ url, dataFormat string }

// item is one recorded event.
type item struct {
	res     *parse.Result
	conn    *listener.ConnEvent
	finding *parse.Diagnostic
}

// NewRecorder returns an idle recorder that, recording, keeps the newest
// keep events (0: DefaultKeep).
func NewRecorder(keep int) *Recorder {
	if keep <= 0 {
		keep = DefaultKeep
	}
	return &Recorder{keep: keep}
}

// RecordingStatus says what a recorder holds.
type RecordingStatus struct {
	Recording bool       `json:"recording"`
	Started   *time.Time `json:"started,omitempty"` // the last Start; nil: never
	Stopped   *time.Time `json:"stopped,omitempty"` // the Stop after it, if any
	Records   int        `json:"records"`           // records in the recording
	Events    int        `json:"events"`            // records, connection events and socket findings
	Dropped   int        `json:"dropped"`           // the oldest events, dropped beyond Keep
	Keep      int        `json:"keep"`
}

// Start begins a new recording, forgetting the last one.
func (rec *Recorder) Start() {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	clear(rec.items)
	rec.items, rec.dropped = rec.items[:0], 0
	rec.started, rec.stopped = time.Now(), time.Time{}
	rec.on.Store(true)
}

// Stop ends the recording and keeps it for the downloads.
func (rec *Recorder) Stop() {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.on.Load() {
		rec.on.Store(false)
		rec.stopped = time.Now()
	}
}

// Status says whether the recorder records and what it holds.
func (rec *Recorder) Status() RecordingStatus {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	st := RecordingStatus{Recording: rec.on.Load(), Events: len(rec.items), Dropped: rec.dropped, Keep: rec.keep}
	if !rec.started.IsZero() {
		t := rec.started
		st.Started = &t
	}
	if !rec.stopped.IsZero() {
		t := rec.stopped
		st.Stopped = &t
	}
	for _, it := range rec.items {
		if it.res != nil {
			st.Records++
		}
	}
	return st
}

// Listening is part of serve.Sink. Listeners are known whether or not the
// recorder records: every download starts with them.
func (rec *Recorder) Listening(url, dataFormat string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.listeners = append(rec.listeners, listening{url, dataFormat})
}

// Result is part of serve.Sink.
func (rec *Recorder) Result(r *parse.Result) {
	if !rec.on.Load() {
		return
	}
	// SenderSetTime lexes the record on first use and remembers the
	// answer in r: ask now, while no download can read r at the same time.
	for i := range r.Metrics {
		r.SenderSetTime(i)
	}
	r.Keep() // the recording holds it until it is downloaded
	rec.add(item{res: r})
}

// Conn is part of serve.Sink.
func (rec *Recorder) Conn(ev listener.ConnEvent) {
	if rec.on.Load() {
		rec.add(item{conn: &ev})
	}
}

// Finding is part of serve.Sink.
func (rec *Recorder) Finding(d parse.Diagnostic) {
	if rec.on.Load() {
		rec.add(item{finding: &d})
	}
}

func (rec *Recorder) add(it item) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if !rec.on.Load() { // stopped since the caller looked
		return
	}
	if len(rec.items) >= rec.keep {
		// Drop the oldest tenth at once: one copy per keep/10 events.
		n := copy(rec.items, rec.items[len(rec.items)-rec.keep+rec.keep/10+1:])
		rec.dropped += len(rec.items) - n
		clear(rec.items[n:])
		rec.items = rec.items[:n]
	}
	rec.items = append(rec.items, it)
}

// ReplayRecording is replay for the API's golden comparison
// (api.Recording): whether a recording was ever started, and how many of
// its oldest events it dropped beyond keep.
func (rec *Recorder) ReplayRecording(sink serve.Sink) (started bool, dropped int) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.replayLocked(sink)
	return !rec.started.IsZero(), rec.dropped
}

// replay hands sink the listeners, then every recorded event in arrival
// order.
func (rec *Recorder) replay(sink serve.Sink) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.replayLocked(sink)
}

func (rec *Recorder) replayLocked(sink serve.Sink) {
	for _, l := range rec.listeners {
		sink.Listening(l.url, l.dataFormat)
	}
	for _, it := range rec.items {
		switch {
		case it.res != nil:
			sink.Result(it.res)
		case it.conn != nil:
			sink.Conn(*it.conn)
		case it.finding != nil:
			sink.Finding(*it.finding)
		}
	}
}
