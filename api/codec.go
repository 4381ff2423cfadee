package api

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
)

// A kept record is encoded into bytes, not held as the parser's objects:
// 100,000 records as Telegraf metrics are some 65 MB of small objects full
// of pointers, which the garbage collector would scan on every cycle. That
// made ingestion a third dearer (bench/loopback); as bytes in large
// pointer-free chunks they cost it about nothing, and a third of the
// memory. The listings decode what they read, when asked.
//
// A record is, in order (numbers as varints but times, which are 8 bytes
// (appendTime), strings as a length and the bytes, names as an index into
// the store's names):
//
//	listener name, peer, conn, seq, size, flags, received, format name,
//	Telegraf's error (when rejected), the HTTP exchange (for a request to
//	an HTTP input: method, path, query, status, Content-Type,
//	Content-Encoding, User-Agent, Authorization sent (0 or 1),
//	Content-Length, body size, response body), data,
//	number of metrics, length of the metrics in bytes, the metrics,
//	number of findings, the findings.
//
// A metric starts with a kind byte. In full (metricFull): name, tags
// (count, then key and value each), fields (count, then key, type byte and
// value each), time in nanoseconds, value type. A metric of the same series
// and the same field keys and types as one written in full earlier in the
// same arena chunk (metricRef): how far back that one starts, then only the
// values, the time and the value type; with the same keys in another order
// (metricRefOrder), each value follows its field's index in that one. Most
// metrics repeat a series: the
// reference spares the strings, a third of the bytes and the series
// index's work on the field keys. A reference never leaves its chunk, and a
// chunk goes only when its last record does, so what a kept record refers
// to is kept.
// A finding: rule name, severity, message, source (listener name, peer,
// conn, record), position (offset, line, column), fixes (count, each),
// count, token.

// Record flags.
const (
	flagStream = 1 << iota
	flagTerminated
	flagTruncated
	flagAuto
	flagRejected
	flagReceived // Received is set
	flagHTTP     // the record was an HTTP request (listener.Record.HTTP)
)

// Metric kinds.
const (
	metricFull = iota + 1
	metricRef
	metricRefOrder
)

// Field value types.
const (
	typeFloat = iota + 1
	typeInt
	typeUint
	typeString
	typeBool
)

// names interns the few strings every record repeats: listener URLs, data
// formats and rule IDs. It only grows; a reader may use a copy of list
// outside the store's lock, since entries never change.
type names struct {
	index map[string]uint64
	list  []string
	// The last two asked for: a record's listener and format repeat from
	// one record to the next, and the same string compares at once.
	last [2]struct {
		s  string
		id uint64
		ok bool
	}
}

func (n *names) id(s string) uint64 {
	if l := &n.last[0]; l.ok && l.s == s {
		return l.id
	}
	if l := &n.last[1]; l.ok && l.s == s {
		return l.id
	}
	i, ok := n.index[s]
	if !ok {
		i = n.add(s)
	}
	n.last[1], n.last[0] = n.last[0], n.last[1]
	n.last[0].s, n.last[0].id, n.last[0].ok = s, i, true
	return i
}

func (n *names) add(s string) uint64 {
	if n.index == nil {
		n.index = map[string]uint64{}
	}
	i := uint64(len(n.list))
	n.index[s] = i
	n.list = append(n.list, s)
	return i
}

// appendString encodes s, a string or bytes, as its length and its bytes.
func appendString[S ~string | ~[]byte](b []byte, s S) []byte {
	if len(s) < 0x80 { // the usual: a one-byte length
		return append(append(b, byte(len(s))), s...)
	}
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// place is where the record being encoded will be in the arena: which
// chunk, and the offset of its first byte. A metric may refer to one in
// the same chunk. noPlace allows no reference.
type place struct {
	chunk uint64
	off   int
	ok    bool
}

var noPlace place

// appendRecord encodes a processed record, every metric in full. When x is
// set, it counts each metric in its series (id is the record's).
func appendRecord(b []byte, r *parse.Result, n *names, x *seriesIndex, id uint64) []byte {
	return appendRecordAt(b, r, n, x, id, noPlace, false)
}

// appendRecordAt is appendRecord for a record that will be at at in the
// arena, whose metrics may refer to the series index's templates there.
// again says that the record was encoded before for another place, and
// counted then (appendBody).
func appendRecordAt(b []byte, r *parse.Result, n *names, x *seriesIndex, id uint64, at place, again bool) []byte {
	base := len(b)
	b = appendHeader(b, r, n)
	return appendBody(b, base, r.Metrics, r.Diagnostics, r.Record.Listener, n, x, id, at, again)
}

// appendHeader encodes a record up to its metrics: from its listener to
// its data. The store encodes it as a record arrives, and the rest
// (appendBody) a batch at a time.
func appendHeader(b []byte, r *parse.Result, n *names) []byte {
	rec := &r.Record
	b = binary.AppendUvarint(b, n.id(rec.Listener))
	b = appendString(b, rec.Peer)
	b = binary.AppendUvarint(b, rec.Conn)
	b = binary.AppendUvarint(b, rec.Seq)
	b = binary.AppendUvarint(b, uint64(rec.Size))
	var flags byte
	if rec.Stream {
		flags |= flagStream
	}
	if rec.Terminated {
		flags |= flagTerminated
	}
	if rec.Truncated {
		flags |= flagTruncated
	}
	if r.Auto {
		flags |= flagAuto
	}
	if r.Err != nil {
		flags |= flagRejected
	}
	if !rec.Received.IsZero() {
		flags |= flagReceived
	}
	if rec.HTTP != nil {
		flags |= flagHTTP
	}
	b = append(b, flags)
	if flags&flagReceived != 0 {
		b = appendTime(b, rec.Received.UnixNano())
	}
	b = binary.AppendUvarint(b, n.id(r.Format))
	if r.Err != nil {
		b = appendString(b, r.Err.Error())
	}
	if ex := rec.HTTP; ex != nil {
		b = appendExchange(b, ex)
	}
	return appendString(b, rec.Data)
}

// appendBody encodes the rest of a record whose header (appendHeader)
// starts at b[base:]: its metrics and findings. When x is set, it counts
// each metric in its series as it goes: the series key is the metric's
// encoded name and tags, which the encoding needs too, so the index costs
// a map lookup and no second pass over the metric. again says that the
// record was encoded before for another place, and counted then: the
// series are those of that pass (x.seen).
func appendBody(b []byte, base int, metrics []telegraf.Metric, diags []parse.Diagnostic, listener string, n *names, x *seriesIndex, id uint64, at place, again bool) []byte {
	b = binary.AppendUvarint(b, uint64(len(metrics)))
	// The metrics' length, so that a reader of findings can skip them:
	// written once they are, in the room left for it.
	lenAt := len(b)
	b = append(b, 0, 0, 0, 0, 0)
	start := len(b)
	if x == nil {
		for _, m := range metrics {
			b = appendMetric(b, m)
		}
	} else {
		if !again {
			x.seen = x.seen[:0]
		}
		for i, m := range metrics {
			var s *seriesAgg
			t := m.Time().UnixNano()
			if again {
				s = x.seen[i]
			} else {
				s = x.add(m, t, listener, id)
				x.seen = append(x.seen, s)
			}
			b = x.appendMetric(b, s, m, t, at, at.off+len(b)-base)
		}
	}
	putFixedUvarint(b[lenAt:start], uint64(len(b)-start)) // below 2^35

	b = binary.AppendUvarint(b, uint64(len(diags)))
	for i := range diags {
		b = appendDiagnostic(b, &diags[i], n)
	}
	return b
}

// appendTime encodes t, unix nanoseconds, in 8 bytes: a time of this
// century takes 9 as a varint, and a tenth of a record's encoding went to
// writing them a byte at a time.
func appendTime(b []byte, t int64) []byte {
	return binary.LittleEndian.AppendUint64(b, uint64(t))
}

// putFixedUvarint writes v, below 2^35, as a varint of 5 bytes, padding
// with continuation bytes, so that a length can be written after the fact.
func putFixedUvarint(dst []byte, v uint64) {
	_ = dst[4]
	dst[0] = byte(v) | 0x80
	dst[1] = byte(v>>7) | 0x80
	dst[2] = byte(v>>14) | 0x80
	dst[3] = byte(v>>21) | 0x80
	dst[4] = byte(v>>28) & 0x7f
}

// appendKey encodes m's name and tags: the series key, as a metric in full
// starts (after its kind).
func appendKey(b []byte, m telegraf.Metric) []byte {
	b = appendString(b, m.Name())
	tags := m.TagList()
	b = binary.AppendUvarint(b, uint64(len(tags)))
	for _, t := range tags {
		b = appendString(b, t.Key)
		b = appendString(b, t.Value)
	}
	return b
}

// appendMetric encodes m in full.
func appendMetric(b []byte, m telegraf.Metric) []byte {
	b = append(b, metricFull)
	b = appendKey(b, m)
	fields := m.FieldList()
	b = binary.AppendUvarint(b, uint64(len(fields)))
	for _, f := range fields {
		b = appendString(b, f.Key)
		b = appendValue(b, valueType(f.Value), f.Value)
	}
	b = appendTime(b, m.Time().UnixNano())
	return append(b, byte(m.Type()))
}

// appendValue encodes v, of type typ (valueType), with its type byte.
func appendValue(b []byte, typ uint8, v any) []byte {
	return appendRawValue(append(b, typ), typ, v)
}

// appendRawValue encodes v, of type typ, without its type byte.
func appendRawValue(b []byte, typ uint8, v any) []byte {
	switch typ {
	case typeFloat:
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(v.(float64)))
	case typeInt:
		return binary.AppendVarint(b, v.(int64))
	case typeUint:
		return binary.AppendUvarint(b, v.(uint64))
	case typeBool:
		if v.(bool) {
			return append(b, 1)
		}
		return append(b, 0)
	}
	if s, ok := v.(string); ok {
		return appendString(b, s)
	}
	return appendString(b, fmt.Sprint(v)) // MakeMetric leaves none of these
}

// appendMetric encodes m, of series s, to be at offset pos of chunk
// at.chunk: as a reference to s's template when its fields have the
// template's keys and types, else in full, as s's template from now on. It
// records the fields in s.
func (x *seriesIndex) appendMetric(b []byte, s *seriesAgg, m telegraf.Metric, t int64, at place, pos int) []byte {
	fields := m.FieldList()
	tp := &s.tmpl
	if at.ok && tp.ok && tp.chunk == at.chunk && len(fields) == len(tp.fields) {
		same := true
		for i, f := range fields {
			tf := tp.fields[i]
			if f.Key != s.fields[tf.index].key || valueType(f.Value) != tf.typ {
				same = false
				break
			}
		}
		var order []int
		if !same {
			order, same = x.templateOrder(s, fields)
		}
		if same {
			if order == nil {
				b = append(b, metricRef)
			} else {
				b = append(b, metricRefOrder)
			}
			b = binary.AppendUvarint(b, uint64(pos-tp.off))
			for i, f := range fields {
				j := i
				if order != nil {
					j = order[i]
					b = binary.AppendUvarint(b, uint64(j))
				}
				tf := tp.fields[j]
				b = appendRawValue(b, tf.typ, f.Value)
				x.setValue(s, &s.fields[tf.index], tf.typ, f.Value)
			}
			x.trim(s)
			b = appendTime(b, t)
			return append(b, byte(m.Type()))
		}
	}
	b = append(b, metricFull)
	b = append(b, s.key...)
	b = binary.AppendUvarint(b, uint64(len(fields)))
	tp.fields = tp.fields[:0]
	for i, f := range fields {
		b = appendString(b, f.Key)
		typ := valueType(f.Value)
		b = appendValue(b, typ, f.Value)
		k := x.setField(s, i, f, typ)
		tp.fields = append(tp.fields, tmplField{index: int32(k), typ: typ})
	}
	b = appendTime(b, t)
	b = append(b, byte(m.Type()))
	tp.chunk, tp.off, tp.ok = at.chunk, pos, at.ok
	x.trim(s)
	return b
}

// templateOrder says whether fields have the keys and types of s's
// template in another order, and which: the template's index of each
// field. Telegraf's JSON parser makes a metric's fields from a map, so that
// one series' fields come in a new order from one metric to the next; a
// reference that names the order keeps them as they came.
func (x *seriesIndex) templateOrder(s *seriesAgg, fields []*telegraf.Field) (order []int, same bool) {
	tp := &s.tmpl
	order = x.order[:0]
	for _, f := range fields {
		// The keys of a metric, and of its template, are distinct: each
		// field finds a template field of its own.
		j := slices.IndexFunc(tp.fields, func(tf tmplField) bool { return s.fields[tf.index].key == f.Key })
		if j < 0 || valueType(f.Value) != tp.fields[j].typ {
			return nil, false
		}
		order = append(order, j)
	}
	x.order = order
	return order, true
}

func appendDiagnostic(b []byte, d *parse.Diagnostic, n *names) []byte {
	b = binary.AppendUvarint(b, n.id(d.Rule))
	b = append(b, byte(d.Severity))
	b = appendString(b, d.Message)
	b = binary.AppendUvarint(b, n.id(d.Source.Listener))
	b = appendString(b, d.Source.Peer)
	b = binary.AppendUvarint(b, d.Source.Conn)
	b = binary.AppendUvarint(b, d.Source.Record)
	b = binary.AppendVarint(b, int64(d.Position.Offset))
	b = binary.AppendVarint(b, int64(d.Position.Line))
	b = binary.AppendVarint(b, int64(d.Position.Column))
	b = binary.AppendUvarint(b, uint64(len(d.Fixes)))
	for _, f := range d.Fixes {
		b = appendString(b, f)
	}
	b = binary.AppendUvarint(b, d.Count)
	return appendString(b, d.Token)
}

var errCorrupt = errors.New("api: a kept record does not decode")

// reader decodes what appendRecord wrote. The first error sticks; the
// values read after it are zero.
type reader struct {
	b     []byte
	names []string
	err   error
	// The chunk up to the end of the record, of which b is the end: where
	// a metric's template is (metricRef). Nil allows no reference.
	chunk []byte
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// fixed64 reads 8 bytes little-endian: a float's bits, or a time
// (appendTime).
func (r *reader) fixed64() uint64 {
	if len(r.b) < 8 {
		r.fail()
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *reader) time() int64 { return int64(r.fixed64()) }

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) byte() byte {
	if len(r.b) < 1 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// bytes is a string's bytes, still in the chunk: no copy.
func (r *reader) bytes() []byte {
	n := r.uvarint()
	if uint64(len(r.b)) < n {
		r.fail()
		return nil
	}
	s := r.b[:n:n]
	r.b = r.b[n:]
	return s
}

func (r *reader) string() string { return string(r.bytes()) }

func (r *reader) name() string {
	i := r.uvarint()
	if i >= uint64(len(r.names)) {
		r.fail()
		return ""
	}
	return r.names[i]
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = errCorrupt
	}
	r.b = nil
}

// header is a kept record without its metrics and findings, its bytes
// still in the chunk.
type header struct {
	listener string
	peer     []byte
	conn     uint64
	seq      uint64
	size     int
	flags    byte
	received int64
	format   string
	err      []byte
	data     []byte
	metrics  int
	http     *listener.Exchange
}

// readHeader reads the record up to its metrics, leaving r at them.
func (r *reader) readHeader() header {
	var h header
	h.listener = r.name()
	h.peer = r.bytes()
	h.conn = r.uvarint()
	h.seq = r.uvarint()
	h.size = int(r.uvarint())
	h.flags = r.byte()
	if h.flags&flagReceived != 0 {
		h.received = r.time()
	}
	h.format = r.name()
	if h.flags&flagRejected != 0 {
		h.err = r.bytes()
	}
	if h.flags&flagHTTP != 0 {
		h.http = r.readExchange()
	}
	h.data = r.bytes()
	h.metrics = int(r.uvarint())
	return h
}

// record is the listener.Record of h, its data copied.
func (h *header) record() listener.Record {
	rec := listener.Record{Listener: h.listener, Peer: string(h.peer), Conn: h.conn, Seq: h.seq, Data: append([]byte(nil), h.data...),
		Size: h.size, Stream: h.flags&flagStream != 0, Terminated: h.flags&flagTerminated != 0, Truncated: h.flags&flagTruncated != 0}
	if h.flags&flagReceived != 0 {
		rec.Received = time.Unix(0, h.received)
	}
	rec.HTTP = h.http
	return rec
}

// skipMetrics leaves r, just after readHeader, at the findings.
func (r *reader) skipMetrics() {
	n := r.uvarint()
	if uint64(len(r.b)) < n {
		r.fail()
		return
	}
	r.b = r.b[n:]
}

// metricsLen reads the metrics' length, leaving r at the first metric.
func (r *reader) metricsLen() { r.uvarint() }

// rawField is a field as stored: its value is decoded only when asked.
type rawField struct {
	key []byte
	typ byte
	num uint64 // float bits, int, uint or bool
	str []byte
}

// rawMetric is a metric as stored, its strings still in the chunk, read
// into buffers the reader reuses: filtering a listing allocates nothing.
type rawMetric struct {
	key    []byte // the encoded name and tags: the series index's key
	name   []byte
	tags   [][2][]byte
	fields []rawField
	time   int64
	vtype  telegraf.ValueType
	tmpl   []rawField // a metricRefOrder's template fields, in their order
}

// readMetric reads the next metric into m, reusing its slices.
func (r *reader) readMetric(m *rawMetric) {
	pos := len(r.chunk) - len(r.b)
	switch kind := r.byte(); kind {
	case metricFull:
		r.readFull(m)
	case metricRef, metricRefOrder:
		d := r.uvarint()
		if r.err != nil || pos <= 0 || d == 0 || d > uint64(pos) {
			r.fail()
			return
		}
		// The template's name, tags, field keys and types; this metric's
		// values, time and value type, and with metricRefOrder the order
		// of its fields.
		t := reader{b: r.chunk[pos-int(d) : pos]}
		if t.byte() != metricFull {
			r.fail()
			return
		}
		t.readFull(m)
		if t.err != nil {
			r.fail()
			return
		}
		if kind == metricRefOrder {
			m.tmpl = append(m.tmpl[:0], m.fields...)
		}
		for i := range m.fields {
			if kind == metricRefOrder {
				j := r.uvarint()
				if r.err != nil || j >= uint64(len(m.tmpl)) {
					r.fail()
					return
				}
				m.fields[i] = rawField{key: m.tmpl[j].key, typ: m.tmpl[j].typ}
			}
			r.readValue(&m.fields[i])
		}
		m.time = r.time()
		m.vtype = telegraf.ValueType(r.byte())
	default:
		r.fail()
	}
}

// readFull reads a metric in full, after its kind.
func (r *reader) readFull(m *rawMetric) {
	start := r.b
	m.name = r.bytes()
	m.tags = m.tags[:0]
	for n := r.uvarint(); n > 0 && r.err == nil; n-- {
		m.tags = append(m.tags, [2][]byte{r.bytes(), r.bytes()})
	}
	m.key = start[:len(start)-len(r.b)]
	m.fields = m.fields[:0]
	for n := r.uvarint(); n > 0 && r.err == nil; n-- {
		f := rawField{key: r.bytes(), typ: r.byte()}
		r.readValue(&f)
		m.fields = append(m.fields, f)
	}
	m.time = r.time()
	m.vtype = telegraf.ValueType(r.byte())
}

// readValue reads f's value, of type f.typ.
func (r *reader) readValue(f *rawField) {
	f.num, f.str = 0, nil
	switch f.typ {
	case typeFloat:
		f.num = r.fixed64()
	case typeInt:
		f.num = uint64(r.varint())
	case typeUint:
		f.num = r.uvarint()
	case typeBool:
		f.num = uint64(r.byte())
	case typeString:
		f.str = r.bytes()
	default:
		r.fail()
	}
}

func (f *rawField) value() any {
	switch f.typ {
	case typeFloat:
		return math.Float64frombits(f.num)
	case typeInt:
		return int64(f.num)
	case typeUint:
		return f.num
	case typeBool:
		return f.num != 0
	}
	return string(f.str)
}

func (m *rawMetric) tag(key string) ([]byte, bool) {
	for _, t := range m.tags {
		if string(t[0]) == key {
			return t[1], true
		}
	}
	return nil, false
}

func (m *rawMetric) field(key string) *rawField {
	for i := range m.fields {
		if string(m.fields[i].key) == key {
			return &m.fields[i]
		}
	}
	return nil
}

// metric makes a Telegraf metric of m, tags and fields in their order.
func (m *rawMetric) metric() telegraf.Metric {
	out := metric.New(string(m.name), nil, nil, time.Unix(0, m.time), m.vtype)
	for _, t := range m.tags {
		out.AddTag(string(t[0]), string(t[1]))
	}
	for i := range m.fields {
		out.AddField(string(m.fields[i].key), m.fields[i].value())
	}
	return out
}

// readDiagnostic reads the next finding.
func (r *reader) readDiagnostic() parse.Diagnostic {
	var d parse.Diagnostic
	d.Rule = r.name()
	d.Severity = parse.Severity(r.byte())
	d.Message = r.string()
	d.Source.Listener = r.name()
	d.Source.Peer = r.string()
	d.Source.Conn = r.uvarint()
	d.Source.Record = r.uvarint()
	d.Position.Offset = int(r.varint())
	d.Position.Line = int(r.varint())
	d.Position.Column = int(r.varint())
	for n := r.uvarint(); n > 0 && r.err == nil; n-- {
		d.Fixes = append(d.Fixes, r.string())
	}
	d.Count = r.uvarint()
	d.Token = r.string()
	return d
}

// appendExchange encodes what the reports show of an HTTP exchange
// (report.WireHTTP): the Authorization header only as sent or not, never
// its value, and not the response's headers.
func appendExchange(b []byte, ex *listener.Exchange) []byte {
	// The method is a sender's string, not a name: interned, a sender
	// making up methods would grow the names for ever.
	b = appendString(b, ex.Method)
	b = appendString(b, ex.Path)
	b = appendString(b, ex.Query)
	b = binary.AppendUvarint(b, uint64(ex.Status))
	b = appendString(b, ex.ContentType)
	b = appendString(b, ex.ContentEncoding)
	b = appendString(b, ex.UserAgent)
	auth := byte(0)
	if ex.Authorization {
		auth = 1
	}
	b = append(b, auth)
	b = binary.AppendVarint(b, ex.ContentLength)
	b = binary.AppendUvarint(b, uint64(ex.RawSize))
	return appendString(b, ex.ResponseBody)
}

// readExchange reads what appendExchange wrote, its bytes copied.
func (r *reader) readExchange() *listener.Exchange {
	ex := &listener.Exchange{Method: string(r.bytes()), Path: string(r.bytes()), Query: string(r.bytes())}
	ex.Status = int(r.uvarint())
	ex.ContentType = string(r.bytes())
	ex.ContentEncoding = string(r.bytes())
	ex.UserAgent = string(r.bytes())
	ex.Authorization = r.byte() == 1
	ex.ContentLength = r.varint()
	ex.RawSize = int(r.uvarint())
	ex.ResponseBody = append([]byte(nil), r.bytes()...)
	return ex
}
