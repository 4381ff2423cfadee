package web

import (
	"sync"
	"time"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/serve"
)

// DefaultKeep is how many events a Recorder keeps unless told otherwise:
// as many as api.DefaultKeep records.
const DefaultKeep = 100000

// Recorder is a serve.Sink that keeps the newest events for the page's
// golden file and NDJSON downloads. The API's store keeps metrics, not what
// a golden file needs (which timestamps the sender set, each finding's
// token), nor connection events; the recorder keeps the processed records
// themselves, whose metrics the store shares.
type Recorder struct {
	keep int

	mu        sync.Mutex
	listeners []listening
	items     []item // oldest first
}

type listening struct{ url, dataFormat string }

// item is one event with the time it arrived here, which the API's reset
// time is compared with.
type item struct {
	at      time.Time
	res     *parse.Result
	conn    *listener.ConnEvent
	finding *parse.Diagnostic
}

// NewRecorder returns a recorder that keeps the newest keep events (0:
// DefaultKeep).
func NewRecorder(keep int) *Recorder {
	if keep <= 0 {
		keep = DefaultKeep
	}
	return &Recorder{keep: keep}
}

// Listening is part of serve.Sink.
func (rec *Recorder) Listening(url, dataFormat string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.listeners = append(rec.listeners, listening{url, dataFormat})
}

// Result is part of serve.Sink.
func (rec *Recorder) Result(r *parse.Result) {
	// SenderSetTime lexes the record on first use and remembers the
	// answer in r: ask now, while no download can read r at the same time.
	for i := range r.Metrics {
		r.SenderSetTime(i)
	}
	rec.add(item{res: r})
}

// Conn is part of serve.Sink.
func (rec *Recorder) Conn(ev listener.ConnEvent) { rec.add(item{conn: &ev}) }

// Finding is part of serve.Sink.
func (rec *Recorder) Finding(d parse.Diagnostic) { rec.add(item{finding: &d}) }

func (rec *Recorder) add(it item) {
	it.at = time.Now()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.items) >= rec.keep {
		// Drop the oldest tenth at once: one copy per keep/10 events.
		n := copy(rec.items, rec.items[len(rec.items)-rec.keep+rec.keep/10+1:])
		clear(rec.items[n:])
		rec.items = rec.items[:n]
	}
	rec.items = append(rec.items, it)
}

// replay hands sink the listeners, then every kept event that arrived at or
// after since, in arrival order.
func (rec *Recorder) replay(since time.Time, sink serve.Sink) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, l := range rec.listeners {
		sink.Listening(l.url, l.dataFormat)
	}
	for _, it := range rec.items {
		if it.at.Before(since) {
			continue
		}
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
