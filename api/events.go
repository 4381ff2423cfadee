package api

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
)

// subBuffer is how many events a subscriber may fall behind before it is
// dropped: ingestion never waits for a client.
const subBuffer = 1024

// keepAlive is how often an idle event stream gets a comment, so that
// proxies and clients do not time it out.
const keepAlive = 15 * time.Second

// writeTimeout is how long one write to an event stream may take before
// the client is given up on (a variable for the tests).
var writeTimeout = 10 * time.Second

// event is one item for the subscribers: a processed record (encoded by
// each subscriber, off the ingest path) or a ready event object.
type event struct {
	id   uint64        // the record's id, with res
	res  *parse.Result // a record with its metrics and findings
	obj  any           // any other event
	kind string        // obj's event kind, for ?kinds=
}

type subscriber struct {
	ch       chan event
	overflow chan struct{} // closed when ch was full and the store let go of it
	// light subscribers take no record or metric events: a record without
	// findings is not even handed to them, so that an open page costs the
	// ingest path nothing per clean record.
	light bool
}

// publish hands an event to every subscriber without waiting: one whose
// buffer is full is dropped and told so. The caller holds s.mu.
func (s *Store) publish(ev event) {
	for sub := range s.subs {
		if sub.light && ev.res != nil && len(ev.res.Diagnostics) == 0 {
			continue
		}
		if ev.res != nil {
			ev.res.Keep() // the subscriber's goroutine reads it later
		}
		select {
		case sub.ch <- ev:
		default:
			s.dropSub(sub)
			close(sub.overflow)
		}
	}
}

// dropSub removes sub from the subscribers, if it is one. The caller
// holds s.mu.
func (s *Store) dropSub(sub *subscriber) {
	if _, ok := s.subs[sub]; ok {
		delete(s.subs, sub)
		if !sub.light {
			s.heavySubs--
		}
	}
}

// subscribe registers a subscriber and returns the listeners so far, to be
// announced first.
func (s *Store) subscribe(light bool) (*subscriber, []listening, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, false
	}
	sub := &subscriber{ch: make(chan event, subBuffer), overflow: make(chan struct{}), light: light}
	s.subs[sub] = struct{}{}
	if !light {
		s.heavySubs++
	}
	return sub, append([]listening(nil), s.listeners...), true
}

func (s *Store) unsubscribe(sub *subscriber) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropSub(sub)
}

// findingEvent is a finding event with its record's id, for a stream that
// leaves the record events out.
type findingEvent struct {
	Event string `json:"event"`
	report.WireDiagnostic
	RecordID uint64 `json:"record_id"`
}

// recordEvent is a record event with the record's id in this API.
type recordEvent struct {
	report.WireRecord
	ID uint64 `json:"id"`
}

// events serves GET /api/v1/events: Server-Sent Events, each a data line
// holding the same object as --output json writes (record events also
// carry their id here), beginning with a listening event per listener.
//
// ?kinds=finding,conn_open,… limits the stream to those event kinds; then a
// finding event carries its record's id (record_id), and a record's other
// events are not even encoded. The page asks for the light kinds: encoding
// every record and metric for a browser cost a third more CPU per metric
// under load.
func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	var only map[string]bool
	if k := r.URL.Query().Get("kinds"); k != "" {
		only = map[string]bool{"dropped": true} // a client is always told it was let go
		for _, kind := range strings.Split(k, ",") {
			only[strings.TrimSpace(kind)] = true
		}
	}
	light := only != nil && !only["record"] && !only["metric"]
	sub, listeners, ok := h.store.subscribe(light)
	if !ok {
		writeError(w, http.StatusServiceUnavailable, errStopping.Error())
		return
	}
	defer h.store.unsubscribe(sub)
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	send := func(v any) {
		bw.WriteString("data: ")
		_ = enc.Encode(v) // ends the line
		bw.WriteString("\n")
	}
	emit := func(ev event) {
		if ev.res == nil {
			if only == nil || only[ev.kind] {
				send(ev.obj)
			}
			return
		}
		if light {
			if only["finding"] {
				for _, d := range ev.res.Diagnostics {
					send(findingEvent{"finding", report.Wire(d), ev.id})
				}
			}
			return
		}
		report.ResultEvents(ev.res, false, func(v any) {
			if rec, ok := v.(report.WireRecord); ok {
				v = recordEvent{rec, ev.id}
			}
			send(v)
		})
	}
	flush := func() bool {
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		return bw.Flush() == nil && rc.Flush() == nil
	}
	for _, l := range listeners {
		send(report.ListeningEvent(l.url, l.dataFormat))
	}
	if !flush() {
		return
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case ev := <-sub.ch:
			emit(ev)
			for n := len(sub.ch); n > 0; n-- { // what else is there, in one write
				emit(<-sub.ch)
			}
			if !flush() {
				return
			}
		case <-sub.overflow:
			for n := len(sub.ch); n > 0; n-- {
				emit(<-sub.ch)
			}
			send(map[string]any{"event": "dropped", "message": "this client fell more than " + itoa(subBuffer) +
				" events behind and is dropped: events after this one were not sent; reconnect, and read /api/v1/records for what was missed"})
			flush()
			return
		case <-tick.C:
			bw.WriteString(": keep-alive\n\n")
			if !flush() {
				return
			}
		case <-r.Context().Done():
			return
		case <-h.store.done:
			for n := len(sub.ch); n > 0; n-- {
				emit(<-sub.ch)
			}
			flush()
			return
		}
	}
}
