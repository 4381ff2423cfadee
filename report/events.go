package report

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/influxdata/telegraf"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
)

// The event objects of --output json (docs/events.md), built apart from
// their writing so that every consumer of the event stream writes the same
// objects: the NDJSON printer, and the HTTP API's Server-Sent Events and
// listings.

// WireRecord is a record event.
type WireRecord struct {
	Event      string    `json:"event,omitempty"`
	Time       time.Time `json:"time"`
	Listener   string    `json:"listener"`
	Peer       string    `json:"peer,omitempty"`
	Conn       uint64    `json:"conn,omitempty"`
	Record     uint64    `json:"record"`
	Bytes      int       `json:"bytes"`
	Data       string    `json:"data"`
	DataBase64 []byte    `json:"data_base64,omitempty"`
	Terminated bool      `json:"terminated"`
	Truncated  bool      `json:"truncated,omitempty"`
	Format     string    `json:"data_format"`
	Metrics    int       `json:"metrics"`
	// HTTP is the request and the answer, for a record of an HTTP input
	// (influxdb_listener, influxdb_v2_listener, http_listener_v2).
	HTTP *WireHTTP `json:"http,omitempty"`
}

// WireMetric is a metric event.
type WireMetric struct {
	Event    string            `json:"event,omitempty"`
	Listener string            `json:"listener"`
	Record   uint64            `json:"record"`
	Name     string            `json:"name"`
	Tags     map[string]string `json:"tags"`
	Fields   map[string]any    `json:"fields"`
	// FieldTypes is each field's Telegraf type (float, int, uint,
	// string, bool): a JSON number does not say whether 10 was 10.0 or 10i.
	FieldTypes map[string]string `json:"field_types"`
	// Time is in nanoseconds since the epoch; a JSON reader that reads
	// numbers as float64 (JavaScript, jq) rounds it to about 256 ns.
	// TimeNS is the same number as a string, and TimeRFC3339 the same
	// instant in RFC 3339 with nanoseconds, which neither rounds.
	Time        int64  `json:"time"`
	TimeNS      string `json:"time_ns"`
	TimeRFC3339 string `json:"time_rfc3339"`
	Line        string `json:"line,omitempty"`
}

type wireFinding struct {
	Event string `json:"event"`
	WireDiagnostic
}

// ListeningEvent is the event of a bound socket.
func ListeningEvent(url, dataFormat string) any {
	return map[string]string{"event": "listening", "listener": url, "data_format": dataFormat}
}

// ResultEvents hands emit the events of one processed record, in order: the
// record, a metric event per metric, a finding event per finding. quiet (-q)
// leaves out the record and its metrics.
func ResultEvents(r *parse.Result, quiet bool, emit func(any)) {
	if !quiet {
		rec := RecordEvent(r)
		rec.Event = "record"
		if IsFlush(r) {
			// statsd's flush: metrics the plugin's Gather stored, from no
			// one record (listener.PluginOutput.Flush).
			rec.Event = "flush"
		}
		emit(rec)
		for _, m := range r.Metrics {
			ev := MetricEvent(r.Record.Listener, r.Record.Seq, m)
			ev.Event = "metric"
			emit(ev)
		}
	}
	for _, d := range r.Diagnostics {
		emit(FindingEvent(d))
	}
}

// IsFlush says whether a result is a flush of Telegraf's statsd plugin
// (its Gather on the agent's interval) rather than a record a sender sent.
func IsFlush(r *parse.Result) bool { return r.Record.Plugin != nil && r.Record.Plugin.Flush }

// RecordEvent is the record event of a result, without its event name.
func RecordEvent(r *parse.Result) WireRecord {
	rec := WireRecord{
		Time: r.Record.Received, Listener: r.Record.Listener, Peer: r.Record.Peer,
		Conn: r.Record.Conn, Record: r.Record.Seq, Bytes: r.Record.Size, Data: string(r.Record.Data),
		Terminated: r.Record.Terminated, Truncated: r.Record.Truncated, Format: r.Format, Metrics: len(r.Metrics),
		HTTP: HTTPEvent(r.Record.HTTP),
	}
	if !utf8.Valid(r.Record.Data) {
		rec.DataBase64 = r.Record.Data
	}
	return rec
}

// MetricEvent is the metric event of m, from record seq of the listener
// url, without its event name.
func MetricEvent(url string, seq uint64, m telegraf.Metric) WireMetric {
	line, _ := Line(m)
	fields := m.Fields()
	types := make(map[string]string, len(fields))
	for k, v := range fields {
		types[k] = typeName(v)
		// JSON has no NaN or infinity, and encoding/json refuses them:
		// the whole event would be lost. The wavefront and value parsers
		// accept them, so they are written as strings; the type says float.
		if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			fields[k] = strconv.FormatFloat(f, 'g', -1, 64)
		}
	}
	ns := m.Time().UnixNano()
	return WireMetric{
		Listener: url, Record: seq, Name: m.Name(), Tags: m.Tags(),
		Fields: fields, FieldTypes: types, Time: ns, TimeNS: strconv.FormatInt(ns, 10),
		TimeRFC3339: m.Time().UTC().Format(time.RFC3339Nano), Line: line,
	}
}

// ConnEvent is the conn_open or conn_close event of a connection event.
func ConnEvent(ev listener.ConnEvent) any {
	name := "conn_close"
	if ev.Open {
		name = "conn_open"
	}
	return struct {
		Event string `json:"event"`
		WireConn
	}{name, WireConnEvent(ev)}
}

// FindingEvent is the finding event of a finding.
func FindingEvent(d parse.Diagnostic) any {
	return wireFinding{Event: "finding", WireDiagnostic: Wire(d)}
}

// TypeName is a field value's Telegraf type: float, int, uint, string or
// bool.
func TypeName(v any) string { return typeName(v) }
