package serve

import (
	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
)

// Sink receives what fakegraf sees: every event of every listener, one call
// at a time, each connection's events in arrival order. It is the one event
// interface: the CLI's report, summary, golden file and expectations,
// `fakegraf check`, fakegraftest and the HTTP API all consume it. Calls may
// come from different goroutines, never two at once.
type Sink interface {
	// Listening announces a listener before any of its events.
	Listening(url, dataFormat string)
	// Result is one record with its metrics and findings. The Result is
	// reused after the call unless the sink calls its Keep method.
	Result(*parse.Result)
	// Conn is a stream connection opening or closing.
	Conn(listener.ConnEvent)
	// Finding is a finding about the socket rather than one record (a
	// refused connection, datagrams the kernel dropped).
	Finding(parse.Diagnostic)
}

// Tee is the one fan-out: it hands every event to each of its sinks, in
// order. A nil entry is skipped, so optional consumers can be listed as they
// are.
type Tee []Sink

// Listening is part of Sink.
func (t Tee) Listening(url, dataFormat string) {
	for _, s := range t {
		if s != nil {
			s.Listening(url, dataFormat)
		}
	}
}

// Result is part of Sink.
func (t Tee) Result(r *parse.Result) {
	for _, s := range t {
		if s != nil {
			s.Result(r)
		}
	}
}

// Conn is part of Sink.
func (t Tee) Conn(ev listener.ConnEvent) {
	for _, s := range t {
		if s != nil {
			s.Conn(ev)
		}
	}
}

// Finding is part of Sink.
func (t Tee) Finding(d parse.Diagnostic) {
	for _, s := range t {
		if s != nil {
			s.Finding(d)
		}
	}
}

// Ignore implements Sink by ignoring every event. A consumer that cares about
// some events embeds it and implements only those.
type Ignore struct{}

// Listening is part of Sink.
func (Ignore) Listening(string, string) {}

// Result is part of Sink.
func (Ignore) Result(*parse.Result) {}

// Conn is part of Sink.
func (Ignore) Conn(listener.ConnEvent) {}

// Finding is part of Sink.
func (Ignore) Finding(parse.Diagnostic) {}
