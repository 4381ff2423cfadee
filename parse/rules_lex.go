package parse

import (
	"bytes"
	"container/list"
	"encoding/json"
	"fmt"
	"strings"
	"time"

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
// a timestamp was written (Telegraf's parsers keep no positions), a per-record
// cache of those lexings, and a bounded LRU for rules that remember records.

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
	if s.res != ctx.result {
		*s = recordSyntax{res: ctx.result}
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

// lexInflux splits line protocol into its parts the way
// plugins/parsers/influx/machine.go.rl reads it: blank lines are skipped, a
// line whose first non-blank byte is '#' is a comment, a backslash escapes the
// next byte, and a quoted string field may span lines. It never fails: on
// malformed input the parts are whatever was found.
func lexInflux(data []byte) []lpLine {
	var out []lpLine
	n := len(data)
	i := 0
	isBlank := func(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }
	// token scans to the first unescaped byte in stop (or a newline).
	token := func(j int, stop string) int {
		for j < n && data[j] != '\n' && strings.IndexByte(stop, data[j]) < 0 {
			if data[j] == '\\' && j+1 < n && data[j+1] != '\n' {
				j += 2
				continue
			}
			j++
		}
		return min(j, n)
	}
	for i < n {
		for i < n && isBlank(data[i]) {
			i++
		}
		if i < n && data[i] == '\n' {
			i++
			continue
		}
		if i >= n {
			break
		}
		l := lpLine{Off: i, TSOff: -1}
		if data[i] == '#' {
			l.Comment = true
			e := bytes.IndexByte(data[i:], '\n')
			if e < 0 {
				e = n - i
			}
			l.End = i + e
			out = append(out, trimCR(data, l))
			i += e + 1
			continue
		}
		j := token(i, " ,\t")
		l.Name, l.NameOff = string(data[i:j]), i
		for j < n && data[j] == ',' {
			k := token(j+1, "=, \t")
			kv := lpKV{Key: string(data[j+1 : k]), KeyOff: j + 1, ValueOff: k}
			j = k
			if j < n && data[j] == '=' {
				v := token(j+1, ", \t\r")
				kv.Value, kv.ValueOff = string(data[j+1:v]), j+1
				j = v
			}
			l.Tags = append(l.Tags, kv)
		}
		for j < n && (data[j] == ' ' || data[j] == '\t') {
			j++
		}
		for j < n && data[j] != '\n' {
			k := token(j, "= \t,")
			kv := lpKV{Key: string(data[j:k]), KeyOff: j, ValueOff: k}
			j = k
			if j < n && data[j] == '=' {
				j++
				v := j
				if v < n && data[v] == '"' {
					v++
					for v < n && data[v] != '"' {
						if data[v] == '\\' && v+1 < n {
							v++
						}
						v++
					}
					v = min(v+1, n)
				} else {
					v = token(v, ", \t\r")
				}
				kv.Value, kv.ValueOff = string(data[j:v]), j
				j = v
			}
			l.Fields = append(l.Fields, kv)
			if j < n && data[j] == ',' {
				j++
				continue
			}
			break
		}
		for j < n && (data[j] == ' ' || data[j] == '\t') {
			j++
		}
		if j < n && data[j] != '\n' && data[j] != '\r' {
			k := j
			for k < n && data[k] != '\n' && !isBlank(data[k]) {
				k++
			}
			l.TS, l.TSOff = string(data[j:k]), j
			j = k
		}
		for j < n && data[j] != '\n' {
			j++
		}
		l.End = j
		out = append(out, trimCR(data, l))
		i = j + 1
	}
	return out
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
// whitespace and BOM trim of plugins/parsers/json/parser.go Parse). It returns
// nil for invalid JSON or a shape the parser rejects.
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
	if !json.Valid(bytes.TrimPrefix(bytes.TrimSpace(buf), []byte("\xef\xbb\xbf"))) {
		return nil
	}
	w := &jsonWalker{data: buf, base: base}
	w.skip()
	if w.i+3 <= len(buf) && string(buf[w.i:w.i+3]) == "\xef\xbb\xbf" {
		w.i += 3
	}
	w.skip()
	doc := &jsonDoc{}
	switch {
	case w.i < len(buf) && buf[w.i] == '{':
		doc.Objects = append(doc.Objects, w.object())
	case w.i < len(buf) && buf[w.i] == '[':
		w.i++
		for {
			w.skip()
			if w.i >= len(buf) || buf[w.i] == ']' {
				break
			}
			if buf[w.i] != '{' {
				return nil
			}
			doc.Objects = append(doc.Objects, w.object())
			w.skip()
			if w.i < len(buf) && buf[w.i] == ',' {
				w.i++
			}
		}
	default:
		return nil
	}
	return doc
}

// jsonWalker reads JSON that json.Valid accepted, keeping offsets.
type jsonWalker struct {
	data []byte
	base int
	i    int
}

func (w *jsonWalker) skip() {
	for w.i < len(w.data) {
		switch w.data[w.i] {
		case ' ', '\t', '\r', '\n':
			w.i++
		default:
			return
		}
	}
}

func (w *jsonWalker) object() jsonObject {
	o := jsonObject{Off: w.base + w.i}
	w.value("", -1, true, &o.Leaves)
	return o
}

// str reads a string literal and returns it decoded and raw.
func (w *jsonWalker) str() (string, string) {
	start := w.i
	w.i++
	for w.i < len(w.data) && w.data[w.i] != '"' {
		if w.data[w.i] == '\\' {
			w.i++
		}
		w.i++
	}
	w.i = min(w.i+1, len(w.data))
	raw := string(w.data[start:w.i])
	var s string
	_ = json.Unmarshal([]byte(raw), &s)
	return s, raw
}

func (w *jsonWalker) value(key string, keyOff int, top bool, out *[]jsonLeaf) {
	w.skip()
	if w.i >= len(w.data) {
		return
	}
	start := w.i
	leaf := func(kind byte, raw, s string) {
		ko := keyOff
		if ko < 0 {
			ko = w.base + start
		}
		*out = append(*out, jsonLeaf{Key: key, Kind: kind, Raw: raw, Str: s, KeyOff: ko, ValueOff: w.base + start, TopMember: top})
	}
	join := func(k string) string {
		if key == "" {
			return k
		}
		return key + "_" + k
	}
	switch c := w.data[w.i]; {
	case c == '{':
		w.i++
		for {
			w.skip()
			if w.i >= len(w.data) || w.data[w.i] == '}' {
				w.i++
				return
			}
			if w.data[w.i] == ',' {
				w.i++
				continue
			}
			ko := w.base + w.i
			name, _ := w.str()
			w.skip()
			if w.i < len(w.data) && w.data[w.i] == ':' {
				w.i++
			}
			w.value(join(name), ko, keyOff < 0, out)
		}
	case c == '[':
		w.i++
		for n := 0; ; {
			w.skip()
			if w.i >= len(w.data) || w.data[w.i] == ']' {
				w.i++
				return
			}
			if w.data[w.i] == ',' {
				w.i++
				continue
			}
			w.value(join(fmt.Sprint(n)), -1, false, out)
			n++
		}
	case c == '"':
		s, raw := w.str()
		leaf('s', raw, s)
	case c == 't' || c == 'f':
		n := 4
		if c == 'f' {
			n = 5
		}
		w.i = min(w.i+n, len(w.data))
		leaf('b', string(w.data[start:w.i]), "")
	case c == 'n':
		w.i = min(w.i+4, len(w.data))
		leaf('z', "null", "")
	default:
		for w.i < len(w.data) && strings.IndexByte("+-0123456789.eE", w.data[w.i]) >= 0 {
			w.i++
		}
		if w.i == start {
			w.i++ // cannot happen on valid JSON; never loop
		}
		leaf('n', string(w.data[start:w.i]), "")
	}
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
