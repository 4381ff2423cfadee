package report

import (
	"time"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
)

// The JSON wire format of fakegraf's events. It lives here, not as tags on
// the listener's and parser's types, so that it changes only on purpose:
// testdata/golden/report-events.ndjson pins it.

// WireDiagnostic is a finding as --output json writes it.
type WireDiagnostic struct {
	Rule     string       `json:"rule"`
	Severity string       `json:"severity"`
	Message  string       `json:"message"`
	Source   WireSource   `json:"source"`
	Position WirePosition `json:"position"`
	Fixes    []string     `json:"fixes,omitempty"`
	Count    uint64       `json:"count,omitempty"`
}

// WireSource says where a finding's record came from.
type WireSource struct {
	Listener string `json:"listener"`
	Peer     string `json:"peer,omitempty"`
	Conn     uint64 `json:"conn,omitempty"`
	Record   uint64 `json:"record"`
}

// WirePosition is a place inside a record.
type WirePosition struct {
	Offset int `json:"offset"`
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
}

// Wire converts a finding to its wire form.
func Wire(d parse.Diagnostic) WireDiagnostic {
	return WireDiagnostic{
		Rule:     d.Rule,
		Severity: d.Severity.String(),
		Message:  d.Message,
		Source:   WireSource{Listener: d.Source.Listener, Peer: d.Source.Peer, Conn: d.Source.Conn, Record: d.Source.Record},
		Position: WirePosition{Offset: d.Position.Offset, Line: d.Position.Line, Column: d.Position.Column},
		Fixes:    d.Fixes,
		Count:    d.Count,
	}
}

// WireConn is a connection event.
type WireConn struct {
	Listener     string    `json:"listener"`
	Peer         string    `json:"peer"`
	Conn         uint64    `json:"conn"`
	Time         time.Time `json:"time"`
	Records      int       `json:"records"`
	Bytes        int64     `json:"bytes"`
	PendingBytes int64     `json:"pending_bytes"`
	Reason       string    `json:"reason,omitempty"`
	ReadTimeout  bool      `json:"read_timeout,omitempty"`
}

// WireConnEvent converts a connection event to its wire form.
func WireConnEvent(ev listener.ConnEvent) WireConn {
	return WireConn{
		Listener: ev.Listener, Peer: ev.Peer, Conn: ev.Conn, Time: ev.Time, Records: ev.Records,
		Bytes: ev.Bytes, PendingBytes: ev.PendingBytes, Reason: ev.Reason, ReadTimeout: ev.ReadTimeout,
	}
}
