package parse

import (
	"bytes"
	"container/list"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/models"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
	"github.com/influxdata/telegraf/plugins/parsers/influx/influx_upstream"
	jsonparser "github.com/influxdata/telegraf/plugins/parsers/json"
	"github.com/influxdata/telegraf/plugins/parsers/value"
	"github.com/tidwall/gjson"
)

// This file holds what the gotcha rules share: the parser options of a
// stage, a lexer per format that finds where in the record a name, a tag or
// a timestamp was written (Telegraf's parsers keep no positions: line
// protocol is lexed with Telegraf's own influx machine, JSON with gjson,
// Wavefront by hand), a per-record cache of those lexings, and a bounded LRU
// for rules that remember records.

// BareParser unwraps models.RunningParser, which config.addParser puts
// around every parser and which only adds parse-time statistics
// (models/running_parsers.go Parse). A Stage's parser may be either.
func BareParser(p telegraf.Parser) telegraf.Parser {
	if rp, ok := p.(*models.RunningParser); ok {
		return rp.Parser
	}
	return p
}

func jsonOptions(st *Stage) *jsonparser.Parser {
	if st == nil {
		return nil
	}
	p, _ := BareParser(st.Parser).(*jsonparser.Parser)
	return p
}

// inputConfig is the [[inputs.socket_listener]] table's name_override,
// prefixes, tags and filters, or nil when the stage has no RunningInput.
func inputConfig(st *Stage) *models.InputConfig {
	if st == nil {
		return nil
	}
	if ri, ok := st.Maker.(*models.RunningInput); ok {
		return ri.Config
	}
	return nil
}

func nameOverride(st *Stage) string {
	if c := inputConfig(st); c != nil {
		return c.NameOverride
	}
	return ""
}

// defaultName is the measurement name a parser gives when the data names
// none: the plugin's name (config.go addParser passes it to the creator).
func defaultName(st *Stage) string {
	switch p := BareParser(st.Parser).(type) {
	case *jsonparser.Parser:
		return p.MetricName
	case *value.Parser:
		return p.MetricName
	}
	return ""
}

// influxPrecision is the unit Telegraf reads line-protocol timestamps in
// (influx_timestamp_precision; plugins/parsers/influx/handler.go: ns when unset).
func influxPrecision(st *Stage) time.Duration {
	var d time.Duration
	switch p := BareParser(st.Parser).(type) {
	case *influx.Parser:
		d = time.Duration(p.InfluxTimestampPrecision)
	case *influx_upstream.Parser:
		d = time.Duration(p.InfluxTimestampPrecision)
	}
	if d <= 0 {
		d = time.Nanosecond
	}
	return d
}

// safeParse runs a stage's parser on bytes a rule made up (a line without
// its '#', two datagrams joined). Telegraf's influx parser panics on some
// input (a measurement ending in a backslash at the end of the buffer,
// plugins/parsers/influx/handler.go Metric); Telegraf's parse pool survives
// that (pond's panic handler) and so must the rules.
func safeParse(p telegraf.Parser, data []byte) ([]telegraf.Metric, error) {
	return parseRecovering(p, data)
}

func isInflux(format string) bool { return format == "influx" || format == "influx_upstream" }

// recordSyntax caches the lexing of the record being processed, so that the
// rules of one record lex it once. It lives in the pipeline's State and holds
// only the last record.
type recordSyntax struct {
	res *Result

	lpDone bool
	lp     []lpLine
	wfDone bool
	wf     []wfLine
	jsDone bool
	js     *jsonDoc
}

func syntaxOf(ctx *Context) *recordSyntax {
	s := stateOf(ctx.State, "syntax", func() *recordSyntax { return &recordSyntax{} })
	if s.res != ctx.Result {
		*s = recordSyntax{res: ctx.Result}
	}
	return s
}

func (s *recordSyntax) influx() []lpLine {
	if !s.lpDone {
		s.lp, s.lpDone = lexInflux(s.res.Record.Data), true
	}
	return s.lp
}

// influxMetricLines are the lines that give a metric, in order: what the
// parser's output maps to one to one when the record parsed.
func (s *recordSyntax) influxMetricLines() []lpLine {
	var out []lpLine
	for _, l := range s.influx() {
		if !l.Comment {
			out = append(out, l)
		}
	}
	return out
}

func (s *recordSyntax) wavefront() []wfLine {
	if !s.wfDone {
		s.wf, s.wfDone = lexWavefront(s.res.Record.Data), true
	}
	return s.wf
}

// json lexes the record as JSON the way the json parser reads it, honouring
// json_query. It is nil when the record is not valid JSON.
func (s *recordSyntax) json(st *Stage) *jsonDoc {
	if !s.jsDone {
		s.jsDone = true
		query := ""
		if p := jsonOptions(st); p != nil {
			query = p.Query
		}
		s.js = lexJSON(s.res.Record.Data, query)
	}
	return s.js
}

// --- influx line protocol -------------------------------------------------

// lpKV is one tag or field as written, still escaped.
type lpKV struct {
	Key, Value       string
	KeyOff, ValueOff int
}

// lpLine is one line of line protocol as written. Offsets are into the record.
type lpLine struct {
	Off, End int // the line, without its terminator
	Comment  bool
	Name     string
	NameOff  int
	Tags     []lpKV
	Fields   []lpKV
	TS       string
	TSOff    int
}

// lexInflux splits line protocol into its parts with Telegraf's own influx
// machine (plugins/parsers/influx/machine.go, the one the influx parser
// runs), so lines, escapes and string fields that span lines are exactly the
// parser's. Telegraf keeps no positions; lpHandler records where each part
// ends as the machine reads it (its Position). The machine skips blank and
// comment lines without telling its handler, so lexInflux finds comment
// lines in the gaps between metric lines. A line the machine rejects is kept
// with the parts read before the error (for a bad timestamp, the token the
// machine stopped in), and lexing goes on with the next line, as the machine
// recovers. The influx_upstream parser (line-protocol v2) exposes no
// positions at all; its records are lexed with this machine too.
func lexInflux(data []byte) []lpLine {
	h := &lpHandler{data: data, lines: make([]lpLine, 0, 1+bytes.Count(data, []byte("\n")))}
	m := influx.NewMachine(h)
	h.m = m
	m.SetData(data)
	next := 0 // where the gap after the last line starts
	for {
		err := m.Next()
		if errors.Is(err, influx.EOF) {
			break
		}
		if err == nil && !h.open {
			continue
		}
		if !h.open { // rejected before its name
			h.start = m.LineOffset()
			off := h.start
			for off < len(data) && isLPSpace(data[off]) {
				off++
			}
			h.line = lpLine{Off: off, NameOff: off, TSOff: -1}
		}
		h.comments(next, h.start)
		l := h.line
		if err == nil {
			next = m.Position() // past the line's newline
			l.End = next
			if l.End > 0 && data[l.End-1] == '\n' {
				l.End--
			}
		} else {
			l.End = len(data)
			if i := bytes.IndexByte(data[m.Position():], '\n'); i >= 0 {
				l.End = m.Position() + i
			}
			next = min(l.End+1, len(data)) // the machine discards the rest of the line
			if errors.Is(err, influx.ErrTimestampParse) && l.TSOff < 0 {
				l.TS, l.TSOff = badTimestamp(data, m.Position())
			}
		}
		h.lines = append(h.lines, trimCR(data, l))
		h.open = false
	}
	h.comments(next, len(data))
	return h.lines
}

// isLPSpace is the machine's ws: [\t\v\f ].
func isLPSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\v' || c == '\f' }

// badTimestamp is the blank-separated token around off, where the machine
// stopped reading a timestamp (1700000000.5, 1e9).
func badTimestamp(data []byte, off int) (string, int) {
	start, end := off, off
	for start > 0 && !isLPSpace(data[start-1]) && data[start-1] != '\n' {
		start--
	}
	for end < len(data) && !isLPSpace(data[end]) && data[end] != '\r' && data[end] != '\n' {
		end++
	}
	return string(data[start:end]), start
}

// lpHandler is an influx.Handler that keeps where the machine read each
// part of a line. The machine calls it when a part ends, with the part's
// bytes as written (still escaped) and its Position just past them; a key
// ends at the '=' before its value.
type lpHandler struct {
	data  []byte
	m     lpMachine // the machine reading data
	lines []lpLine
	line  lpLine // the line being read
	open  bool   // line has its name
	start int    // where line's first physical line starts
}

// lpMachine is what lpHandler asks of the influx machine (whose type
// influx.NewMachine returns unexported).
type lpMachine interface {
	Position() int   // the offset the machine is at
	LineOffset() int // the offset of the line it is in
}

func (h *lpHandler) SetMeasurement(name []byte) error {
	off := h.m.Position() - len(name)
	h.line = lpLine{Off: off, Name: string(name), NameOff: off, TSOff: -1}
	h.open, h.start = true, h.m.LineOffset()
	return nil
}

func (h *lpHandler) AddTag(key, value []byte) error {
	h.line.Tags = append(h.line.Tags, h.kv(key, value, h.m.Position()-len(value)))
	return nil
}

func (h *lpHandler) field(key, value []byte) error {
	h.line.Fields = append(h.line.Fields, h.kv(key, value, h.m.Position()-len(value)))
	return nil
}

func (h *lpHandler) AddInt(key, value []byte) error   { return h.field(key, value) }
func (h *lpHandler) AddUint(key, value []byte) error  { return h.field(key, value) }
func (h *lpHandler) AddFloat(key, value []byte) error { return h.field(key, value) }
func (h *lpHandler) AddBool(key, value []byte) error  { return h.field(key, value) }

// AddString gets the string without its quotes; the machine stands on the
// closing one.
func (h *lpHandler) AddString(key, value []byte) error {
	end := h.m.Position() + 1
	off := end - len(value) - 2
	h.line.Fields = append(h.line.Fields, h.kv(key, h.data[off:end], off))
	return nil
}

func (h *lpHandler) SetTimestamp(ts []byte) error {
	h.line.TS, h.line.TSOff = string(ts), h.m.Position()-len(ts)
	return nil
}

func (h *lpHandler) kv(key, value []byte, valueOff int) lpKV {
	return lpKV{Key: string(key), Value: string(value), KeyOff: valueOff - 1 - len(key), ValueOff: valueOff}
}

// comments adds the comment lines in data[from:to], a run of lines the
// machine skipped: blank lines and comments (machine.go.rl align).
func (h *lpHandler) comments(from, to int) {
	for from < to {
		end := bytes.IndexByte(h.data[from:to], '\n')
		if end < 0 {
			end = to
		} else {
			end += from
		}
		i := from
		for i < end && isLPSpace(h.data[i]) {
			i++
		}
		if i < end && h.data[i] == '#' {
			h.lines = append(h.lines, trimCR(h.data, lpLine{Off: i, End: end, Comment: true, TSOff: -1}))
		}
		from = end + 1
	}
}

func trimCR(data []byte, l lpLine) lpLine {
	if l.End > l.Off && data[l.End-1] == '\r' {
		l.End--
	}
	return l
}

// --- wavefront ------------------------------------------------------------

// wfTok is one whitespace-separated token of a Wavefront line, quotes kept.
type wfTok struct {
	Text string
	Off  int
}

// wfLine is one Wavefront line: name value [timestamp] [tag=value ...].
type wfLine struct {
	Off, End int
	Name     wfTok
	Value    wfTok
	TS       wfTok // Off is -1 when the line has none
	Tags     []wfTag
}

type wfTag struct {
	Key, Value       string // unquoted
	KeyOff, ValueOff int
}

// lexWavefront reads Wavefront lines as plugins/parsers/wavefront/parser.go
// does: one point per line, tokens separated by blanks, double quotes group a
// token. The timestamp is the third token when it is made of digits (and
// dots, to catch fractional seconds, which Telegraf rejects).
//
// It is written by hand because Telegraf's wavefront parser hides what it
// would take: its scanner and element parsers are unexported, it reads
// each line through a bufio.Reader that keeps no offsets, and a Point
// carries its tags in a map, so neither the grouping of quoted tokens nor
// any position can be had from it.
func lexWavefront(data []byte) []wfLine {
	var out []wfLine
	off := 0
	for _, raw := range bytes.SplitAfter(data, []byte("\n")) {
		start := off
		off += len(raw)
		line := bytes.TrimRight(raw, "\r\n")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		toks := wfTokens(line, start)
		l := wfLine{Off: start, End: start + len(line), TS: wfTok{Off: -1}}
		if len(toks) > 0 {
			l.Name = toks[0]
		}
		if len(toks) > 1 {
			l.Value = toks[1]
		}
		rest := toks[min(2, len(toks)):]
		if len(rest) > 0 && isNumber([]byte(rest[0].Text)) && !strings.Contains(rest[0].Text, "=") {
			l.TS, rest = rest[0], rest[1:]
		}
		for _, t := range rest {
			k, v, _ := strings.Cut(t.Text, "=")
			l.Tags = append(l.Tags, wfTag{Key: unquoteWF(k), Value: unquoteWF(v), KeyOff: t.Off, ValueOff: t.Off + len(k) + 1})
		}
		out = append(out, l)
	}
	return out
}

func wfTokens(line []byte, base int) []wfTok {
	var out []wfTok
	i := 0
	for i < len(line) {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			break
		}
		j, quoted := i, false
		for j < len(line) && (quoted || (line[j] != ' ' && line[j] != '\t')) {
			switch {
			case line[j] == '\\' && quoted && j+1 < len(line):
				j++
			case line[j] == '"':
				quoted = !quoted
			}
			j++
		}
		out = append(out, wfTok{Text: string(line[i:j]), Off: base + i})
		i = j
	}
	return out
}

func unquoteWF(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// --- JSON -----------------------------------------------------------------

// jsonLeaf is one scalar of a JSON object, under the key Telegraf's
// json_flattener.go gives it (parent_child, array_0).
type jsonLeaf struct {
	Key       string
	Kind      byte   // 's' string, 'n' number, 'b' bool, 'z' null
	Raw       string // the literal as written
	Str       string // the decoded string, for 's'
	KeyOff    int    // the innermost member name (its opening quote), or the value for array items
	ValueOff  int
	TopMember bool // a member of the object itself, not nested
}

// jsonObject is one object that becomes one metric: the document, or one
// element of a top-level array.
type jsonObject struct {
	Off    int
	Leaves []jsonLeaf
}

type jsonDoc struct {
	Objects []jsonObject
}

// lexJSON walks the JSON the json parser would parse (after json_query, the
// whitespace and BOM trim of plugins/parsers/json/parser.go Parse) with
// gjson, which keeps every value's offset (Result.Index). It returns nil for
// invalid JSON or a shape the parser rejects.
func lexJSON(data []byte, query string) *jsonDoc {
	base := 0
	buf := data
	if query != "" {
		r := gjson.GetBytes(data, query)
		if !r.IsObject() && !r.IsArray() {
			return nil
		}
		buf = []byte(r.Raw)
		base = r.Index
		if base <= 0 || base+len(buf) > len(data) || !bytes.Equal(data[base:base+len(buf)], buf) {
			base = 0 // a computed result (a gjson modifier) has no place in the record
		}
	}
	start := jsonStart(buf)
	if !json.Valid(bytes.TrimSpace(buf[start:])) {
		return nil
	}
	root := gjson.Parse(string(buf[start:])) // skips the blanks after a BOM
	base += start
	doc := &jsonDoc{}
	switch {
	case root.IsObject():
		doc.Objects = append(doc.Objects, jsonObjectAt(root, base))
	case root.IsArray():
		ok := true
		root.ForEach(func(_, v gjson.Result) bool {
			if ok = v.IsObject(); ok {
				doc.Objects = append(doc.Objects, jsonObjectAt(v, base))
			}
			return ok
		})
		if !ok {
			return nil
		}
	default:
		return nil
	}
	return doc
}

// jsonObjectAt is the object o, whose offsets count from base.
func jsonObjectAt(o gjson.Result, base int) jsonObject {
	obj := jsonObject{Off: base + o.Index}
	o.ForEach(func(k, m gjson.Result) bool {
		jsonLeaves(m, jsonString(k), base+k.Index, true, base, &obj.Leaves)
		return true
	})
	return obj
}

// jsonLeaves appends the scalars in v under the keys json_flattener.go
// gives them (parent_child, array_0). keyOff is the offset of v's member
// name, -1 for an array item; top says v is a member of the metric object.
func jsonLeaves(v gjson.Result, key string, keyOff int, top bool, base int, out *[]jsonLeaf) {
	off := base + v.Index
	switch {
	case v.IsObject():
		v.ForEach(func(k, m gjson.Result) bool {
			jsonLeaves(m, flatKey(key, jsonString(k)), base+k.Index, false, base, out)
			return true
		})
		return
	case v.IsArray():
		n := 0
		v.ForEach(func(_, item gjson.Result) bool {
			jsonLeaves(item, flatKey(key, strconv.Itoa(n)), -1, false, base, out)
			n++
			return true
		})
		return
	}
	if keyOff < 0 {
		keyOff = off
	}
	leaf := jsonLeaf{Key: key, Raw: v.Raw, KeyOff: keyOff, ValueOff: off, TopMember: top}
	switch v.Type {
	case gjson.String:
		leaf.Kind, leaf.Str = 's', jsonString(v)
	case gjson.Number:
		leaf.Kind = 'n'
	case gjson.True, gjson.False:
		leaf.Kind = 'b'
	default:
		leaf.Kind = 'z'
	}
	*out = append(*out, leaf)
}

// flatKey is json_flattener.go's name for member k of parent.
func flatKey(parent, k string) string {
	if parent == "" {
		return k
	}
	return parent + "_" + k
}

// jsonString is a string's value as encoding/json (which Telegraf's json
// parser uses) decodes it: gjson's own decoding differs on invalid UTF-8
// and lone surrogates, so anything but plain text goes through encoding/json.
func jsonString(r gjson.Result) string {
	if strings.IndexByte(r.Raw, '\\') < 0 && utf8.ValidString(r.Raw) {
		return r.Str
	}
	var s string
	_ = json.Unmarshal([]byte(r.Raw), &s)
	return s
}

// --- bounded memory ---------------------------------------------------------

// lru is a map with a fixed capacity that forgets the least recently used
// entry when full, so that rules that remember records hold bounded memory
// however long fakegraf runs.
type lru[K comparable, V any] struct {
	cap   int
	order *list.List // front = most recent; elements hold *lruEntry[K, V]
	items map[K]*list.Element
}

type lruEntry[K comparable, V any] struct {
	key K
	val V
}

func newLRU[K comparable, V any](capacity int) *lru[K, V] {
	return &lru[K, V]{cap: capacity, order: list.New(), items: map[K]*list.Element{}}
}

// Get returns the entry for key and marks it used.
func (c *lru[K, V]) Get(key K) (V, bool) {
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*lruEntry[K, V]).val, true
	}
	var zero V
	return zero, false
}

// Put sets key, evicting the least recently used entry when full.
func (c *lru[K, V]) Put(key K, v V) {
	if e, ok := c.items[key]; ok {
		e.Value.(*lruEntry[K, V]).val = v
		c.order.MoveToFront(e)
		return
	}
	c.items[key] = c.order.PushFront(&lruEntry[K, V]{key: key, val: v})
	for c.order.Len() > c.cap {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.items, old.Value.(*lruEntry[K, V]).key)
	}
}

// Len is the number of entries.
func (c *lru[K, V]) Len() int { return c.order.Len() }

// --- wording ----------------------------------------------------------------

// andList joins items as "a", "a and b" or "a, b and c".
func andList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// tomlList renders a TOML array of strings.
func tomlList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		b, _ := json.Marshal(s)
		q[i] = string(b)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// ago says how far t is from now in words: "56 years before", "3h0m0s after".
func ago(t, now time.Time) string {
	d := t.Sub(now)
	dir := "after"
	if d < 0 {
		d, dir = -d, "before"
	}
	const year = 365*24*time.Hour + 6*time.Hour
	switch {
	case d >= 2*year:
		return fmt.Sprintf("%d years %s", int(d/year), dir)
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days %s", int(d/(24*time.Hour)), dir)
	}
	return fmt.Sprintf("%s %s", d.Round(time.Second), dir)
}

// section names the config table a fix changes.
func section(ctx *Context) string {
	if ctx.Pipeline != nil && ctx.Pipeline.Listener != "" {
		return "the [[inputs.socket_listener]] for " + ctx.Pipeline.Listener
	}
	return "[[inputs.socket_listener]]"
}

func receiveTime(ctx *Context) time.Time {
	if t := ctx.Record.Received; !t.IsZero() {
		return t
	}
	return time.Now()
}
