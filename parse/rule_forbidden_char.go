package parse

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

const ruleForbiddenChar = "forbidden-char"

func init() {
	Register(&Rule{
		ID:       ruleForbiddenChar,
		Severity: Info,
		Title:    "a name, tag or string value holds characters that other formats and backends cannot carry",
		Doc: "Telegraf's influx and JSON parsers accept ':', '|', ',', '=', spaces and quotes in measurement " +
			"names, tag keys and values and field keys, and Telegraf's influx output escapes them " +
			"(plugins/serializers/influx/escape.go), so Telegraf and InfluxDB keep every byte: a sender that " +
			"escapes them correctly (line-protocol's own encoder does) is not wrong, and the finding is info. It " +
			"is worth knowing because they break everywhere else: statsd reads ':' and '|' as its separators; " +
			"Telegraf's wavefront serializer rewrites them to '-' (plugins/serializers/wavefront/replacers.go); " +
			"the graphite and prometheus serializers replace them with '_' (plugins/serializers/graphite/graphite.go, " +
			"plugins/serializers/prometheus/convert.go), so two names can merge. It is a warning when the data is " +
			"kept but probably not what the sender meant: a name, key or tag value wrapped in quotes (host=\"web1\" " +
			"or host='web1': line protocol quotes only string field values, so Telegraf keeps the quotes as part of " +
			"the value), or a control character (a newline or tab splits newline-framed records, and in a tag " +
			"Telegraf's influx output writes it as \\n, which InfluxDB reads back as a literal backslash and n; " +
			"string field values are only checked for these). It is an error where Telegraf's wavefront parser " +
			"rejects ':' or '|' unquoted (plugins/parsers/wavefront/scanner.go): the whole record is lost.",
		AlsoAt: []Level{
			{Warning, "when a name, key or tag value is wrapped in quotes, or holds a control character: kept, but probably not what the sender meant"},
			{Error, "when ':' or '|' stands unquoted in a Wavefront name or tag: Telegraf's wavefront parser rejects the record"},
		},
		Bad:      `{"metric_name": "my:metric|name", "value1": 10}`,
		Good:     `{"metric_name": "my_metric_name", "value1": 10}`,
		Requires: []Fact{FactWavefront, FactParts},
		Shape:    everyFormat,
		Check:    checkForbiddenChar,
		Cases: []Case{
			{Name: "json name", Config: caseJSONNamed, Records: []Rec{{Data: `{"metric_name": "my∑:metric|name", "value1": 10}`}}, Want: []Want{{"forbidden-char", Info, 1}}},
			{Name: "influx names escaped as line-protocol's encoder writes them", Config: caseInfluxUDP, Records: []Rec{{Data: "disk\\∑ usage,device=Samsung\\∑ SSD\\ 970 free\\∑ bytes=1024i\n"}}, Want: []Want{{"forbidden-char", Info, 1}, {"forbidden-char", Info, 2}, {"forbidden-char", Info, 3}}},
			{Name: "influx tag key with a colon", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu,a∑:b=c v=1\n"}}, Want: []Want{{"forbidden-char", Info, 1}}},
			{Name: "influx tag value in double quotes", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu,host=∑\"web1\" v=1\n"}}, Want: []Want{{"forbidden-char", Warning, 1}}},
			{Name: "influx tag value in Python's repr quotes", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu,host=∑'web1' v=1\n"}}, Want: []Want{{"forbidden-char", Warning, 1}}},
			{Name: "influx string field with a raw newline", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu msg=\"a∑\nb\"\n"}}, Want: []Want{{"forbidden-char", Warning, 1}}},
			{Name: "json tag value with a tab", Config: caseJSONOverride + "\n" + `tag_keys = ["host"]`, Records: []Rec{{Data: `{"host": ∑"web\t1", "v": 1}`}}, Want: []Want{{"forbidden-char", Warning, 1}}},
			{Name: "wavefront unquoted name", Config: caseWavefrontUDP, Records: []Rec{{Data: "my∑:metric|name 10 {now_s} source=a\n"}}, Want: []Want{{"forbidden-char", Error, 1}, {"parse-error", Error, anyPos}}},
			{Name: "a batch after a clean batch of the same shape", HTTP: caseV2, Records: []Rec{{Query: "org=o&bucket=b", Data: "cpu,host=a v=1\ncpu,host=b v=2\n"}, {Query: "org=o&bucket=b", Data: "cpu,host=a v=1\ncpu,host=b∑:c v=2\n"}}, Want: []Want{{"forbidden-char", Info, 1}}},
			{Name: "near miss: safe names, spaces inside a string field", Config: caseInfluxUDP, Records: []Rec{{Data: "my_metric.name-1,host=web-1 msg=\"a b, c=d\",v=1\n"}}},
			{Name: "near miss: quoted wavefront tag value", Config: caseWavefrontUDP, Records: []Rec{{Data: "a.b 10 {now_s} source=localhost format=\"wavefront\"\n"}}},
		},
	})
}

type trouble struct {
	what  string // "measurement name", "tag key", ...
	text  string
	chars []rune
	off   int // the first offending byte, or -1
	value bool
}

// troubleByte classifies bytes for troubleChars' fast path.
var troubleByte = func() (t [256]byte) {
	for c := 0; c < 256; c++ {
		switch {
		case c < 0x20 || c == 0x7f:
			t[c] = troubleAlways
		case c >= utf8.RuneSelf:
			t[c] = troubleMaybe // part of a multi-byte rune: decode to tell
		case strings.IndexByte(":|,= \"'", byte(c)) >= 0:
			t[c] = troubleInName
		}
	}
	return t
}()

const (
	troubleAlways = 1 << iota // a control character
	troubleInName             // breaks a name, key or tag value, not a string field
	troubleMaybe              // non-ASCII
)

// mayHaveTroubleChars is troubleChars' cheap first look: false means
// troubleChars returns nothing.
func mayHaveTroubleChars(s string, stringValue bool) bool {
	mask := byte(troubleAlways | troubleMaybe)
	if !stringValue {
		mask |= troubleInName
	}
	for i := 0; i < len(s); i++ {
		if troubleByte[s[i]]&mask != 0 {
			return true
		}
	}
	return false
}

func troubleChars(s string, stringValue bool) []rune {
	if !mayHaveTroubleChars(s, stringValue) {
		return nil
	}
	var out []rune
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return troubleCharsSlow(s, stringValue) // non-ASCII: decode runes
		}
		bad := c < 0x20 || c == 0x7f
		if !stringValue {
			bad = bad || c == ':' || c == '|' || c == ',' || c == '=' || c == ' ' || c == '"' || c == '\''
		}
		if bad && !slices.Contains(out, rune(c)) {
			out = append(out, rune(c))
		}
	}
	return out
}

// metricsMayHaveTroubleChars is checkForbiddenChar's first look over every
// name, key and value, before any closure or lexing.
func metricsMayHaveTroubleChars(ms []ParsedMetric, checkName bool) bool {
	for _, m := range ms {
		if checkName && mayHaveTroubleChars(m.Name(), false) {
			return true
		}
		for _, tag := range m.TagList() {
			if mayHaveTroubleChars(tag.Key, false) || mayHaveTroubleChars(tag.Value, false) {
				return true
			}
		}
		for _, f := range m.FieldList() {
			if mayHaveTroubleChars(f.Key, false) {
				return true
			}
			if v, ok := f.Value.(string); ok && mayHaveTroubleChars(v, true) {
				return true
			}
		}
	}
	return false
}

func troubleCharsSlow(s string, stringValue bool) []rune {
	var out []rune
	for _, r := range s {
		bad := unicode.IsControl(r)
		if !stringValue {
			bad = bad || strings.ContainsRune(":|,= \"'", r)
		}
		if bad && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

func charName(r rune) string {
	switch r {
	case ' ':
		return "a space"
	case '\n':
		return "a newline"
	case '\t':
		return "a tab"
	case '\r':
		return "a carriage return"
	}
	if unicode.IsControl(r) {
		return fmt.Sprintf("control character %U", r)
	}
	return fmt.Sprintf("'%c'", r)
}

// breaks says which formats and backends a set of characters breaks.
func breaks(chars []rune) string {
	set := map[string]bool{}
	for _, r := range chars {
		switch {
		case r == ':' || r == '|':
			set["statsd"], set["Wavefront"], set["Prometheus labels"] = true, true, true
			if r == '|' {
				set["Graphite"] = true
			}
		case r == ',' || r == '=' || r == ' ':
			set["Wavefront"], set["Prometheus"] = true, true
			if r != '=' {
				set["Graphite"] = true
			}
			if r == ' ' {
				set["statsd"] = true
			}
		case r == '"' || r == '\'':
			set["Wavefront"], set["Graphite"], set["Prometheus"] = true, true, true
		default:
			set["newline-framed streams"], set["line protocol"] = true, true
		}
	}
	order := []string{"line protocol", "newline-framed streams", "statsd", "Graphite", "Wavefront", "Prometheus", "Prometheus labels"}
	var out []string
	for _, k := range order {
		if set[k] && !(k == "Prometheus labels" && set["Prometheus"]) {
			out = append(out, k)
		}
	}
	return andList(out)
}

var underscores = regexp.MustCompile(`_+`)

// safeName replaces every troublesome character with '_'.
func safeName(s string) string {
	out := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || strings.ContainsRune(":|,= \"'", r) {
			return '_'
		}
		return r
	}, s)
	out = strings.Trim(underscores.ReplaceAllString(out, "_"), "_")
	if out == "" {
		out = "name"
	}
	return out
}

func checkForbiddenChar(ctx *Context) {
	if ctx.Err != nil {
		checkWavefrontRejectedChars(ctx)
		return
	}
	// The common case is a clean record: look for trouble first, and only
	// then lex the record for positions and build the messages.
	override := nameOverride(ctx.Stage)
	if !metricsMayHaveTroubleChars(ctx.Parsed, override == "") {
		return
	}
	var seen map[string]bool
	var found []trouble
	add := func(chars []rune, what func() string, text string, value bool, off func() int) {
		if len(chars) == 0 {
			return
		}
		w := what()
		k := w + "\x00" + text
		if seen == nil {
			seen = map[string]bool{}
		}
		if seen[k] {
			return
		}
		seen[k] = true
		found = append(found, trouble{what: w, text: text, chars: chars, off: off(), value: value})
	}
	word := func(s string) func() string { return func() string { return s } }
	for i, m := range ctx.Parsed {
		if override == "" {
			name := m.Name()
			add(troubleChars(name, false), word("measurement name"), name, false,
				func() int { return offsetOf(ctx, i, partName, "", name) })
		}
		for _, tag := range m.TagList() {
			add(troubleChars(tag.Key, false), word("tag key"), tag.Key, false,
				func() int { return offsetOf(ctx, i, partTagKey, tag.Key, tag.Key) })
			add(troubleChars(tag.Value, false), func() string { return fmt.Sprintf("value of tag %q", tag.Key) }, tag.Value, true,
				func() int { return offsetOf(ctx, i, partTagValue, tag.Key, tag.Value) })
		}
		for _, f := range m.FieldList() {
			add(troubleChars(f.Key, false), word("field key"), f.Key, false,
				func() int { return offsetOf(ctx, i, partFieldKey, f.Key, f.Key) })
			if s, ok := f.Value.(string); ok {
				add(troubleChars(s, true), func() string { return fmt.Sprintf("string field %q", f.Key) }, s, true,
					func() int { return offsetOf(ctx, i, partFieldValue, f.Key, s) })
			}
		}
	}
	const most = 5
	for n, t := range found {
		if n == most {
			break
		}
		pos := Position{}
		if t.off >= 0 {
			pos = offsetPosition(ctx.Record.Data, t.off)
		}
		// The severities are spelt out here, where TestRuleSeverities
		// reads them: forbiddenCharFinding rates a finding Info or Warning.
		if sev, msg, fix := forbiddenCharFinding(t); sev == Warning {
			ctx.ReportAs(Warning, msg, pos, fix).Token = t.text
		} else {
			ctx.Report(msg, pos, fix).Token = t.text
		}
	}
}

// forbiddenCharFinding words one finding, and rates it: what Telegraf and
// InfluxDB keep as sent is info (only other formats and backends suffer);
// what they keep but the sender probably did not mean is a warning.
func forbiddenCharFinding(t trouble) (Severity, string, string) {
	isName := t.what == "measurement name" || t.what == "tag key" || t.what == "field key"
	stringField := strings.HasPrefix(t.what, "string field")
	if q := wrappingQuote(t.text); q != 0 && !stringField {
		quotes := "double quotes"
		if q == '\'' {
			quotes = "single quotes (Python's repr)"
		}
		return Warning,
			fmt.Sprintf("%s %q is wrapped in %s, which Telegraf keeps as part of it: line protocol quotes only string field values", t.what, t.text, quotes),
			fmt.Sprintf("send %q without the quotes", t.text[1:len(t.text)-1])
	}
	names := make([]string, len(t.chars))
	control := false
	for i, r := range t.chars {
		names[i] = charName(r)
		control = control || unicode.IsControl(r)
	}
	var fix string
	switch {
	case stringField:
		fix = "replace the control characters with spaces (or escape them as \\n) before sending"
	case isName:
		fix = fmt.Sprintf("rename it to %q: '_', '-' and '.' are safe in every format", safeName(t.text))
	default:
		fix = fmt.Sprintf("send %q instead: '_', '-' and '.' are safe in every format", safeName(t.text))
	}
	if control {
		return Warning, fmt.Sprintf("%s %q contains %s, which %s cannot carry", t.what, t.text, andList(names), breaks(t.chars)), fix
	}
	return Info, fmt.Sprintf("%s %q contains %s: Telegraf and InfluxDB keep it, but %s cannot carry it", t.what, t.text, andList(names), breaks(t.chars)),
		"if the metric also goes to those, " + fix
}

// wrappingQuote is the quote, double or single, a text is wrapped in, or 0.
func wrappingQuote(s string) byte {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[0]
	}
	return 0
}

// checkWavefrontRejectedChars explains the parse error Telegraf's wavefront
// parser gives for ':' or '|' in an unquoted name or tag: "invalid metric
// value" or "found ":", expected equals".
func checkWavefrontRejectedChars(ctx *Context) {
	if ctx.Format != "wavefront" {
		return
	}
	for _, l := range ctx.wavefront() {
		check := func(what string, tok wfTok) bool {
			if strings.HasPrefix(tok.Text, `"`) {
				return false
			}
			i := strings.IndexAny(tok.Text, ":|")
			if i < 0 {
				return false
			}
			var names []string
			for _, r := range troubleChars(tok.Text, false) {
				if r == ':' || r == '|' {
					names = append(names, charName(r))
				}
			}
			ctx.ReportAs(Error,
				fmt.Sprintf("%s %q contains %s, which Telegraf's wavefront parser rejects unquoted: the whole record is lost", what, tok.Text, andList(names)),
				offsetPosition(ctx.Record.Data, tok.Off+i),
				fmt.Sprintf("rename it to %q: '_', '-' and '.' are safe in every format", safeName(tok.Text)),
				fmt.Sprintf("or quote it: %q", tok.Text))
			return true
		}
		if check("metric name", l.Name) {
			return
		}
		for _, t := range l.Tags {
			kv := ctx.Record.Data[t.KeyOff:min(l.End, len(ctx.Record.Data))]
			if i := bytes.IndexAny(kv, " \t"); i >= 0 {
				kv = kv[:i]
			}
			if check("tag", wfTok{Text: string(kv), Off: t.KeyOff}) {
				return
			}
		}
	}
}

// offsetOf finds where metric i's name, tag or field was written in the
// record, and returns the offset of the first troublesome character in it
// (or of the part itself), or -1.
func offsetOf(ctx *Context, i int, p part, key, text string) int {
	off := ctx.partOffset(i, p, key)
	if off < 0 {
		return -1
	}
	if c := troubleChars(text, p == partFieldValue); len(c) > 0 {
		window := ctx.Record.Data[off:min(len(ctx.Record.Data), off+2*len(text)+8)]
		if j := bytes.IndexRune(window, c[0]); j >= 0 {
			return off + j
		}
	}
	return off
}
