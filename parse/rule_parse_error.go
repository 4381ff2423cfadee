package parse

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

const ruleParseError = "parse-error"

func init() {
	Register(&Rule{
		ID:       ruleParseError,
		Severity: Error,
		Title:    "Telegraf's parser rejects the record",
		Doc: "socket_listener hands each record (a datagram, or one line of a stream) to the parser in one " +
			"Parse call and, on an error, logs it and drops the whole record " +
			"(plugins/inputs/socket_listener/socket_listener.go onData). The influx and wavefront parsers stop " +
			"at the first bad line (plugins/parsers/influx/parser.go Parse), so one bad line in a datagram loses " +
			"every good line sent with it. The finding carries Telegraf's own message and counts the good " +
			"metrics that went down with the bad line. Where the bad line (or JSON document) is a usual " +
			"mistake, the fix is the record the sender meant, shown only after the socket's own parser " +
			"accepted it: a space, comma or '=' left unescaped in a name or tag, a string field value left " +
			"bare or in Python's single quotes, None, NaN or inf in line protocol (which has no null: the field " +
			"is left out), Python's True, False and None or json.dumps's NaN and Infinity in JSON (null, which " +
			"the json parser skips), a dict printed with str().",
		Bad:   "cpu,host=a usage=1\ncpu host=b usage=2\n   (one datagram)",
		Good:  "cpu,host=a usage=1\ncpu,host=b usage=2\n",
		Only:  Only{Failed: true},
		Check: checkParseError,
		Cases: []Case{
			{Name: "influx field without a value", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu usage=∑\n"}}, Want: []Want{{"parse-error", Error, 1}}},
			{Name: "influx tag value with an unescaped space", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu,region=us east∑ value=1\n"}}, Want: []Want{{"parse-error", Error, 1}}},
			{Name: "influx_upstream bare string field", Config: caseInfluxUDP + "\n" + `influx_parser_type = "upstream"`, Records: []Rec{{Data: "app status=∑ok\n"}}, Want: []Want{{"parse-error", Error, 1}}},
			{Name: "json NaN from json.dumps", Config: caseJSONOverride, Records: []Rec{{Data: `{"value": N∑aN}`}}, Want: []Want{{"parse-error", Error, 1}}},
			{Name: "near miss: valid line protocol", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu usage=1\n"}}},
			{Name: "near miss: Python's True is a line-protocol boolean", Config: caseInfluxUDP, Records: []Rec{{Data: "app up=True,down=False\n"}}},
		},
	})
}

// wavefrontErrorPosition finds where Telegraf's wavefront parser stopped.
// Its errors carry no position (plugins/parsers/wavefront/element.go).
// The parser reads the record line by line, each on its own, and stops at
// the first line that fails (parser.go Parse), so fakegraf finds that line
// by parsing line by line, then the token the error names after the metric
// name, where the parser was when it failed.
func wavefrontErrorPosition(ctx *Context) Position {
	data := ctx.Record.Data
	f := wavefrontFailureOf(ctx.Err)
	for start := 0; start < len(data); {
		end := bytes.IndexByte(data[start:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += start
		}
		line := data[start:end]
		if len(bytes.TrimSpace(line)) > 0 {
			if _, err := safeParse(ctx.parser(), line); err != nil {
				return offsetPosition(data, start+wavefrontErrorColumn(line, f))
			}
		}
		start = end + 1
	}
	return Position{}
}

// wavefrontErrorColumn is the offset in one line of the token a failure of
// Telegraf's wavefront parser names, or 0 (the start of the line). The
// line's tokens are lexWavefront's (wfTokens), quotes grouping as the
// parser groups them.
func wavefrontErrorColumn(line []byte, f wavefrontFailure) int {
	toks := wfTokens(line, 0)
	nameEnd := len(line)
	if len(toks) > 0 {
		nameEnd = toks[0].Off + len(toks[0].Text)
	}
	switch f.Kind {
	case wfEOF:
		return len(bytes.TrimRight(line, " \t\r")) // the line ended where the parser wanted a value
	case wfDeltaInName:
		return max(bytes.Index(line[:nameEnd], []byte("\u2206")), bytes.Index(line[:nameEnd], []byte("\u0394")), 0)
	case wfQuoteInLiteral:
		return max(bytes.LastIndexByte(line[:nameEnd], '"'), 0)
	case wfBadTimestamp:
		if len(toks) > 2 {
			return toks[2].Off
		}
		return 0
	case wfBadValue, wfFound:
	default:
		return 0
	}
	if strings.TrimSpace(f.Found) != "" {
		if i := bytes.Index(line[nameEnd:], []byte(f.Found)); i >= 0 {
			return nameEnd + i
		}
	}
	if f.Kind == wfBadValue && f.Found == "" {
		// The scanner ended the name at a character it does not take
		// (':' or '|' from statsd habits) and found no value there.
		if i := bytes.IndexAny(line[:nameEnd], ":|"); i >= 0 {
			return i
		}
		return nameEnd
	}
	switch f.Want {
	case "equals":
		// The first token after the value that is neither a timestamp nor
		// key=value: a tag without its '='.
		for _, t := range toks[min(2, len(toks)):] {
			if w := strings.TrimRight(t.Text, "\r"); !strings.Contains(w, "=") && !isDigits(w) {
				return t.Off
			}
		}
	case "quotes":
		if i := bytes.LastIndexByte(line, '"'); i >= 0 {
			return i
		}
	}
	return len(bytes.TrimRight(line, " \t\r\n"))
}

func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(s) > 0
}

func checkParseError(ctx *Context) {
	if ctx.Err == nil {
		return
	}
	pos := errorPosition(ctx.Record.Data, ctx.Err)
	if pos == (Position{}) && ctx.Format == "wavefront" {
		pos = wavefrontErrorPosition(ctx)
	}
	msg := ctx.Err.Error()
	good, lines := salvage(ctx)
	var fixes []string
	if r, ok := repairRecord(ctx); ok {
		fixes = append(fixes, r.fixes()...)
	}
	kind := httpKind(ctx)
	switch {
	case kind == kindV1:
		// influxdb_listener's stream parser stores the good lines and
		// answers 400 for the bad ones (influxdb_listener.go
		// handleWriteInternalParser): nothing good was lost, and
		// http-partial-write says what was stored.
		if good > 0 {
			msg += fmt.Sprintf(" (the %d good line(s) of the batch were stored: see http-partial-write)", good)
		}
	case good > 0:
		msg += fmt.Sprintf(" (%d good metric(s) in the same record were lost with it)", good)
		if kind != "" {
			fixes = append(fixes, fmt.Sprintf("fix the bad line: Telegraf's %s rejects the whole request (400) when one line in it is bad", kind))
		} else {
			fixes = append(fixes, "fix the bad line: Telegraf drops the whole record when one line in it is bad")
		}
	}
	if lines > 1 && !ctx.Record.Stream && ctx.Record.HTTP == nil {
		fixes = append(fixes, "send one record per datagram, so that a bad one loses only itself")
	}
	if len(fixes) == 0 {
		fixes = append(fixes, fmt.Sprintf("make the record valid %s", formatTitle(ctx.Format)))
	}
	ctx.Report(msg, pos, fixes...)
}

// salvage parses a failed multi-line record line by line and counts the
// metrics the good lines would have given: what the bad line cost.
func salvage(ctx *Context) (good, lines int) {
	data := ctx.Record.Data
	if ctx.Format == "value" || !bytes.Contains(bytes.TrimSpace(data), []byte("\n")) {
		return 0, 1
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		lines++
		ms, err := safeParse(ctx.parser(), line)
		if err == nil {
			good += len(ms)
		}
	}
	return good, lines
}

// A repair is the record the sender meant, written so that Telegraf's
// parser takes it: the sender's usual mistakes (an unescaped space or comma
// in a tag, a bare word as a string field, Python's None, NaN and True, a
// dict printed with str()) undone. It is only ever shown after the stage's
// own parser accepted it.
type repair struct {
	line []byte   // the corrected line (or document); nil when none can be sent
	at   int      // where in line the first change is
	why  []string // what was changed, in the imperative, one per kind
}

// fixes are the repair's fixes: the corrected record, then why.
func (r repair) fixes() []string {
	var out []string
	if r.line != nil {
		out = append(out, "send: "+showRecord(r.line, r.at))
	}
	const most = 3
	why := r.why
	if len(why) > most {
		why = append(why[:most:most], fmt.Sprintf("and %d more change(s)", len(r.why)-most))
	}
	return append(out, strings.Join(why, "; "))
}

// repairRecord tries to undo the sender's mistake in the line (influx) or
// document (JSON) Telegraf's parser rejected, and keeps the result only when
// the stage's own parser accepts it.
func repairRecord(ctx *Context) (repair, bool) {
	data := ctx.Record.Data
	switch {
	case isInflux(ctx.Format):
		start, end := failingLine(ctx)
		line := bytes.TrimRight(data[start:end], "\r")
		if sniff(line) != "influx" {
			return repair{}, false // another format: wrong-format says which
		}
		r, ok := repairInfluxLine(line)
		if !ok || r.line == nil {
			return r, ok
		}
		if ms, err := safeParse(ctx.parser(), r.line); err != nil || len(ms) == 0 {
			return repair{}, false
		}
		return r, true
	case ctx.Format == "json" && isJSONSyntaxError(ctx.Err):
		doc := bytes.TrimSpace(data)
		r, ok := repairPythonJSON(doc)
		if !ok {
			return repair{}, false
		}
		if _, err := safeParse(ctx.parser(), r.line); err != nil {
			return repair{}, false
		}
		return r, true
	}
	return repair{}, false
}

// failingLine is the line of the record Telegraf's influx parser stopped
// at: the line its error names, else (a parser panic) the first line that
// fails alone.
func failingLine(ctx *Context) (start, end int) {
	data := ctx.Record.Data
	lineEnd := func(s int) int {
		if e := bytes.IndexByte(data[s:], '\n'); e >= 0 {
			return s + e
		}
		return len(data)
	}
	if pos := errorPosition(data, ctx.Err); pos.Line > 0 {
		s := linePosition(data, pos.Line, 1).Offset
		return s, lineEnd(s)
	}
	for s := 0; s < len(data); {
		e := lineEnd(s)
		if l := data[s:e]; len(bytes.TrimSpace(l)) > 0 {
			if _, err := safeParse(ctx.parser(), l); err != nil {
				return s, e
			}
		}
		s = e + 1
	}
	return 0, len(data)
}

// repairInfluxLine reads a rejected line of line protocol the way its
// sender meant it and writes it again, escaped and quoted as line protocol
// wants. It reads words separated by blanks, a value quoted after '=' being
// one word: a word without '=' continues the part before it (a space in a
// name, tag or string value), a word with '=' after the fields is another
// field, and the last word is the timestamp when it is a number.
func repairInfluxLine(line []byte) (repair, bool) {
	words, tabs := lenientWords(string(line))
	if len(words) < 2 {
		return repair{}, false
	}
	var why whyList
	if tabs {
		why.add("separate the parts with spaces, not tabs (influx_upstream rejects tabs)")
	}
	ts := ""
	rest := words[1:]
	if n := len(rest); n >= 2 && isNumber([]byte(rest[n-1])) {
		ts, rest = rest[n-1], rest[:n-1]
	}
	head, fields := words[0], ""
	for i, w := range rest {
		cont := !hasUnescapedEq(firstElem(w))
		if fields == "" {
			// A tag key the blank cut ("cpu,my tag=a v=1") is continued by
			// the next word only when a field set still follows it: else
			// that word is the field set ("cpu,host=a,b v=1").
			keyCut := lastElemIsKey(head) && slices.ContainsFunc(rest[i+1:], func(w string) bool { return hasUnescapedEq(firstElem(w)) })
			if cont || keyCut {
				why.add(spaceReason(head))
				head += `\ ` + w
				continue
			}
			fields = w
			continue
		}
		switch {
		case lastElemIsKey(fields):
			why.add("escape the space in the field key as \"\\ \"")
			fields += `\ ` + w
		case cont:
			// A space inside the last field's value: a string the sender
			// did not quote. After a number, the word is something else (a
			// second timestamp, a glued record): no guess.
			elems := splitElems(fields)
			if _, v, _ := cutEq(elems[len(elems)-1]); validLPValue(v) {
				return repair{}, false
			}
			fields += " " + w
		default:
			why.add("separate fields with commas, not spaces")
			fields += "," + w
		}
	}
	if fields == "" {
		return repair{}, false
	}
	name := measurementOf(head)
	newHead, ok := repairTags(head, &why)
	if !ok {
		return repair{}, false
	}
	newFields, ok := repairFields(fields, name, &why)
	if !ok {
		return repair{}, false
	}
	if len(why) == 0 {
		return repair{}, false
	}
	if newFields == "" {
		why.add("with no field left, leave the point out")
		return repair{why: why}, true // nothing to send
	}
	out := newHead + " " + newFields
	if ts != "" {
		out += " " + ts
	}
	if out == string(line) {
		return repair{}, false
	}
	return repair{line: []byte(out), at: commonPrefix(string(line), out), why: why}, true
}

// whyList collects the reasons of a repair, each once.
type whyList []string

func (w *whyList) add(s string) {
	if !slices.Contains(*w, s) {
		*w = append(*w, s)
	}
}

// lenientWords splits a line at unescaped blanks outside values quoted
// after '=' ("..." or Python's '...'), and says whether a tab separated two
// of them.
func lenientWords(line string) (words []string, tabs bool) {
	start := -1
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			if start >= 0 {
				words = append(words, line[start:i])
				start = -1
				tabs = tabs || c == '\t'
			}
			continue
		case start < 0:
			start = i
		}
		switch {
		case c == '\\':
			i++
		case c == '=' && i+1 < len(line) && (line[i+1] == '"' || line[i+1] == '\''):
			i = closingQuote(line, i+1)
		}
	}
	if start >= 0 {
		words = append(words, line[start:])
	}
	return words, tabs
}

// closingQuote is the offset of the quote that closes the one at open, or
// the end of s.
func closingQuote(s string, open int) int {
	q := s[open]
	for j := open + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			return j
		}
	}
	return len(s) - 1
}

// splitElems splits a word at unescaped commas outside quoted values.
func splitElems(w string) []string {
	var out []string
	start := 0
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case c == '\\':
			i++
		case c == '=' && i+1 < len(w) && (w[i+1] == '"' || w[i+1] == '\''):
			i = closingQuote(w, i+1)
		case c == ',':
			out = append(out, w[start:i])
			start = i + 1
		}
	}
	return append(out, w[start:])
}

func firstElem(w string) string { return splitElems(w)[0] }

// lastElemIsKey reports whether the last part of a head or field set is a
// key still waiting for its '=': the word after the blank continues it.
func lastElemIsKey(w string) bool {
	elems := splitElems(w)
	return len(elems) > 1 && !hasUnescapedEq(elems[len(elems)-1]) && elems[len(elems)-1] != ""
}

// eqIndex is the offset of the first unescaped '=' in s, or -1.
func eqIndex(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '=':
			return i
		}
	}
	return -1
}

func hasUnescapedEq(s string) bool { return eqIndex(s) >= 0 }

// cutEq splits key=value at the first unescaped '='.
func cutEq(e string) (key, value string, ok bool) {
	i := eqIndex(e)
	if i < 0 {
		return e, "", false
	}
	return e[:i], e[i+1:], true
}

func measurementOf(head string) string { return unescapeLP(splitElems(head)[0]) }

// spaceReason says where the space between head and the next word is.
func spaceReason(head string) string {
	elems := splitElems(head)
	last := elems[len(elems)-1]
	switch k, _, ok := cutEq(last); {
	case len(elems) == 1:
		return "escape the space in the measurement name as \"\\ \""
	case ok:
		return fmt.Sprintf("escape the space in the value of tag %q as \"\\ \"", unescapeLP(k))
	default:
		return "escape the space in the tag key as \"\\ \""
	}
}

// repairTags escapes what the sender left unescaped in the measurement and
// tags: a comma or '=' inside a value, quotes around a value with blanks.
func repairTags(head string, why *whyList) (string, bool) {
	elems := splitElems(head)
	out := []string{elems[0]}
	for _, e := range elems[1:] {
		switch {
		case e == "":
			why.add("remove the stray comma")
		case !hasUnescapedEq(e):
			prev := out[len(out)-1]
			if len(out) == 1 {
				why.add("escape the comma in the measurement name as \"\\,\"")
			} else {
				k, _, _ := cutEq(prev)
				why.add(fmt.Sprintf("escape the comma in the value of tag %q as \"\\,\"", unescapeLP(k)))
			}
			out[len(out)-1] = prev + `\,` + e
		default:
			out = append(out, e)
		}
	}
	tags := out[:1]
	for _, e := range out[1:] {
		k, v, _ := cutEq(e)
		switch {
		case k == "":
			return "", false
		case v == "":
			why.add(fmt.Sprintf("leave out tag %q: a tag value cannot be empty (skip tags whose value is None or \"\")", unescapeLP(k)))
			continue
		case len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] && strings.ContainsAny(v, " \t,="):
			why.add(fmt.Sprintf("drop the quotes around the value of tag %q and escape its blanks: tag values are never quoted", unescapeLP(k)))
			v = escapeTag(v[1 : len(v)-1])
		case hasUnescapedEq(v):
			why.add(fmt.Sprintf("escape the '=' in the value of tag %q as \"\\=\"", unescapeLP(k)))
			v = escapeRest(v, '=')
		}
		tags = append(tags, k+"="+v)
	}
	return strings.Join(tags, ","), true
}

// escapeTag escapes what a tag value must escape, leaving escapes alone.
func escapeTag(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			b.WriteByte(c)
			i++
			c = s[i]
		case c == ' ' || c == ',' || c == '=':
			b.WriteByte('\\')
		case c == '\t':
			b.WriteByte('\\')
			c = ' '
		}
		b.WriteByte(c)
	}
	return b.String()
}

// escapeRest escapes every unescaped c in s.
func escapeRest(s string, c byte) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			b.WriteString(s[i : i+2])
			i++
			continue
		}
		if s[i] == c {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// lpValue matches the field values both influx parsers take, strings aside.
var lpValue = regexp.MustCompile(`^(?:[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+i|[0-9]+u|t|T|true|True|TRUE|f|F|false|False|FALSE)$`)

// validLPValue reports whether v is a number, boolean or properly quoted
// string as Telegraf's influx parser reads them.
func validLPValue(v string) bool {
	if len(v) >= 2 && v[0] == '"' && closingQuote(v, 0) == len(v)-1 && v[len(v)-1] == '"' {
		return !badStringEscape(v[1 : len(v)-1])
	}
	return lpValue.MatchString(v)
}

// badStringEscape reports a backslash Telegraf's influx parser does not
// take in a string field: it knows only \" and \\ (the internal parser
// rejects "C:\temp"; influx_upstream reads \t as a tab).
func badStringEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			if i+1 >= len(s) || (s[i+1] != '"' && s[i+1] != '\\') {
				return true
			}
			i++
		}
	}
	return false
}

// lpNothing are the words senders write for a value line protocol cannot
// carry: Python's None and str(float('nan')), JSON's null and NaN.
var lpNothing = map[string]string{
	"None": "null", "null": "null", "NULL": "null", "nil": "null", "undefined": "null",
	"nan": "NaN", "NaN": "NaN", "inf": "infinity", "+inf": "infinity", "-inf": "infinity",
	"Infinity": "infinity", "-Infinity": "infinity", "+Infinity": "infinity",
}

// repairFields quotes the string values the sender left bare and leaves
// out the values line protocol has no way to say. name is the line's
// measurement: a bare value that starts with a number and then the name is
// the next record glued on (missing-newline), not a string.
func repairFields(fields, name string, why *whyList) (string, bool) {
	var elems []string
	for _, e := range splitElems(fields) {
		switch {
		case e == "":
			why.add("remove the stray comma")
		case !hasUnescapedEq(e):
			if len(elems) == 0 {
				return "", false
			}
			elems[len(elems)-1] += "," + e // a comma inside a bare string value
		default:
			elems = append(elems, e)
		}
	}
	var out []string
	for _, e := range elems {
		k, v, _ := cutEq(e)
		key := unescapeLP(k)
		if k == "" {
			return "", false
		}
		if word, ok := lpNothing[v]; ok || v == "" {
			switch {
			case v == "":
				why.add(fmt.Sprintf("leave out field %q, which has no value", key))
			case word != "null":
				why.add(fmt.Sprintf("leave out field %q: line protocol cannot carry NaN or infinity (check math.isfinite before sending)", key))
			case v == "None":
				why.add(fmt.Sprintf("leave out field %q: line protocol has no null, and None is Python's (skip fields whose value is None)", key))
			default:
				why.add(fmt.Sprintf("leave out field %q: line protocol has no null", key))
			}
			continue
		}
		if validLPValue(v) {
			out = append(out, e)
			continue
		}
		switch {
		case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' && closingQuote(v, 0) == len(v)-1:
			why.add(fmt.Sprintf("double the backslashes in the string value of field %q: a single one escapes the next character, and Telegraf's influx parser takes only \\\" and \\\\", key))
			v = `"` + doubleStrayBackslashes(v[1:len(v)-1]) + `"`
		case len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'':
			why.add(fmt.Sprintf("write the string value of field %q in double quotes: line protocol has no '...' strings (Python's repr writes them)", key))
			v = quoteLPString(v[1 : len(v)-1])
		default:
			if gluedRecord(v, name) {
				return "", false
			}
			why.add(fmt.Sprintf("put the string value of field %q in double quotes", key))
			v = quoteLPString(v)
		}
		out = append(out, k+"="+v)
	}
	return strings.Join(out, ","), true
}

// doubleStrayBackslashes doubles every backslash of a string field value
// that does not start \" or \\.
func doubleStrayBackslashes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			if i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
				b.WriteString(s[i : i+2])
				i++
				continue
			}
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// gluedRecord reports whether a bare value is a number with the next
// record's measurement glued on: "5cpu" in "cpu v=5cpu v=6".
func gluedRecord(v, name string) bool {
	i := 0
	for i < len(v) && (v[i] >= '0' && v[i] <= '9' || v[i] == '.' || v[i] == '-') {
		i++
	}
	return i > 0 && name != "" && strings.HasPrefix(v[i:], name)
}

// quoteLPString writes s as a line-protocol string field value.
func quoteLPString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// repairPythonJSON rewrites what Python writes where JSON is wanted:
// json.dumps's NaN and Infinity, str()'s True, False and None and its
// single-quoted strings.
func repairPythonJSON(doc []byte) (repair, bool) {
	text := string(doc)
	var b bytes.Buffer
	var nan, words, quotes bool
	at := -1
	changed := func() {
		if at < 0 {
			at = b.Len()
		}
	}
	for i := 0; i < len(doc); {
		c := doc[i]
		switch {
		case c == '"':
			j := closingQuote(text, i)
			b.Write(doc[i : j+1])
			i = j + 1
			continue
		case c == '\'':
			j := closingQuote(text, i)
			if i == j || doc[j] != '\'' {
				return repair{}, false
			}
			changed()
			quotes = true
			s, err := json.Marshal(unescapePython(string(doc[i+1 : j])))
			if err != nil {
				return repair{}, false
			}
			b.Write(s)
			i = j + 1
			continue
		case c == '-' || c == '+' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
			j := i + 1
			for j < len(doc) && (doc[j] >= 'A' && doc[j] <= 'Z' || doc[j] >= 'a' && doc[j] <= 'z' || doc[j] >= '0' && doc[j] <= '9' || doc[j] == '_') {
				j++
			}
			word := string(doc[i:j])
			switch word {
			case "True", "False", "None":
				changed()
				words = true
				b.WriteString(map[string]string{"True": "true", "False": "false", "None": "null"}[word])
			case "NaN", "nan", "Infinity", "-Infinity", "+Infinity", "inf", "-inf", "+inf":
				changed()
				nan = true
				b.WriteString("null")
			default:
				b.WriteString(word)
			}
			i = j
			continue
		}
		b.WriteByte(c)
		i++
	}
	if at < 0 {
		return repair{}, false
	}
	var why []string
	switch {
	case quotes:
		why = append(why, "this is Python's str() of a dict, not JSON: send json.dumps(d), which writes double quotes, true, false and null")
	case words:
		why = append(why, "write true, false and null: True, False and None are Python, not JSON (json.dumps writes them right)")
	}
	if nan {
		why = append(why, "send null (Telegraf skips the field) or leave the key out: JSON has no NaN or Infinity, which Python's json.dumps writes unless allow_nan=False")
	}
	return repair{line: b.Bytes(), at: at, why: why}, true
}

// unescapePython undoes the escapes of a Python string literal that JSON
// writes differently.
func unescapePython(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	return strings.NewReplacer(`\\`, `\`, `\'`, `'`, `\"`, `"`, `\n`, "\n", `\t`, "\t", `\r`, "\r").Replace(s)
}

// showRecord is a corrected record as a fix shows it: verbatim, so that
// its escapes read exactly as the sender must write them (%q would double
// every backslash), unless it holds bytes a terminal would act on; longer
// than a line of the report, it is cut around the first change.
func showRecord(b []byte, at int) string {
	const width = 100
	s := string(b)
	if len(s) > width {
		start := max(0, min(at-width/3, len(s)-width))
		end := min(len(s), start+width)
		for start > 0 && !utf8.RuneStart(s[start]) {
			start--
		}
		for end < len(s) && !utf8.RuneStart(s[end]) {
			end++
		}
		cut := s[start:end]
		if start > 0 {
			cut = "…" + cut
		}
		if end < len(s) {
			cut += "…"
		}
		s = cut
	}
	if !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}
