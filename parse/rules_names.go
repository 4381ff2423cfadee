package parse

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/influxdata/telegraf"
)

// Rules about names: measurement names, tag keys and values, field keys.

const (
	ruleForbiddenChar    = "forbidden-char"
	ruleDefaultName      = "default-measurement-name"
	ruleJSONNameKeyType  = "json-name-key-type"
	ruleTimeKeyName      = "time-key-name"
	ruleTagTrailingSlash = "tag-trailing-backslash"
)

func init() {
	Register(&Rule{
		ID:       ruleForbiddenChar,
		Severity: Warning,
		Title:    "a name, tag or string value holds characters that other formats and backends cannot carry",
		Doc: "Telegraf's influx and JSON parsers accept ':', '|', ',', '=', spaces, quotes and control characters " +
			"in measurement names, tag keys and values and field keys, so the metric is stored, but it breaks " +
			"everywhere else: statsd reads ':' and '|' as its separators; line protocol needs ',', '=' and spaces " +
			"escaped (plugins/serializers/influx/escape.go) and keeps quotes as part of the name; Telegraf's " +
			"wavefront parser rejects them unquoted (plugins/parsers/wavefront/scanner.go, so the whole record is " +
			"lost) and its serializer rewrites them to '-' (plugins/serializers/wavefront/replacers.go); the " +
			"graphite and prometheus serializers replace them with '_' (plugins/serializers/graphite/graphite.go, " +
			"plugins/serializers/prometheus/convert.go), so two names can merge. A newline or tab in a value " +
			"splits newline-framed records and comes back from InfluxDB as a literal \\n. String field values " +
			"are only checked for control characters: line protocol quotes them.",
		Bad:   `{"metric_name": "my:metric|name", "value1": 10}`,
		Good:  `{"metric_name": "my_metric_name", "value1": 10}`,
		Check: checkForbiddenChar,
		Cases: []Case{
			{Name: "json name", Config: caseJSONNamed, Records: []Rec{{Data: `{"metric_name": "my∑:metric|name", "value1": 10}`}}, Want: []Want{{"forbidden-char", Warning, 1}}},
			{Name: "influx tag value with an escaped space", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu,host=my\\∑ host v=1\n"}}, Want: []Want{{"forbidden-char", Warning, 1}}},
			{Name: "influx string field with a raw newline", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu msg=\"a∑\nb\"\n"}}, Want: []Want{{"forbidden-char", Warning, 1}}},
			{Name: "influx tag key with a colon", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu,a∑:b=c v=1\n"}}, Want: []Want{{"forbidden-char", Warning, 1}}},
			{Name: "wavefront unquoted name", Config: caseWavefrontUDP, Records: []Rec{{Data: "my∑:metric|name 10 {now_s} source=a\n"}}, Want: []Want{{"forbidden-char", Error, 1}, {"parse-error", Error, AnyPos}}},
			{Name: "near miss: safe names, spaces inside a string field", Config: caseInfluxUDP, Records: []Rec{{Data: "my_metric.name-1,host=web-1 msg=\"a b, c=d\",v=1\n"}}},
			{Name: "near miss: quoted wavefront tag value", Config: caseWavefrontUDP, Records: []Rec{{Data: "a.b 10 {now_s} source=localhost format=\"wavefront\"\n"}}},
		},
	})
	Register(&Rule{
		ID:       ruleDefaultName,
		Severity: Warning,
		Title:    "the measurement is named after the plugin (socket_listener)",
		Doc: "The json and value parsers name every metric after the plugin that owns them, socket_listener " +
			"(config/config.go addParser passes the plugin name to the parser's creator; " +
			"plugins/parsers/json/parser.go parseObject), unless json_name_key finds a string in the object or " +
			"name_override renames it (models/makemetric.go). Every sender on the socket then writes into one " +
			"measurement called socket_listener, where their fields mix and dashboards cannot tell them apart.",
		Bad:   "data_format = \"json\"   # and no json_name_key or name_override\n{\"metric_name\": \"speed\", \"value\": 10}",
		Good:  "data_format = \"json\"\njson_name_key = \"metric_name\"\n{\"metric_name\": \"speed\", \"value\": 10}",
		Check: checkDefaultName,
		Cases: []Case{
			{Name: "json without name", Config: caseJSON, Records: []Rec{{Data: `∑{"value1": 10}`}}, Want: []Want{{"default-measurement-name", Warning, 1}}},
			{Name: "json with an unused name member", Config: caseJSON, Records: []Rec{{Data: `∑{"metric_name": "speed", "value": 10}`}}, Want: []Want{{"default-measurement-name", Warning, 1}}},
			{Name: "value format", Config: "data_format = \"value\"\ndata_type = \"integer\"", Records: []Rec{{Data: "42"}}, Want: []Want{{"default-measurement-name", Warning, 0}}},
			{Name: "near miss: name_override", Config: caseJSONOverride, Records: []Rec{{Data: `{"value1": 10}`}}},
		},
	})
	Register(&Rule{
		ID:       ruleJSONNameKeyType,
		Severity: Warning,
		Title:    "json_name_key is missing from the object or is not a non-empty string",
		Doc: "The json parser uses the json_name_key member as the measurement name only when it is a string " +
			"(plugins/parsers/json/parser.go parseObject). A missing member, a number or a bool silently keeps " +
			"the plugin's name, socket_listener, and a number is stored as a field as well. An empty string " +
			"gives an empty measurement name, which the influx output refuses (\"invalid name\", " +
			"plugins/serializers/influx/influx.go), so that metric is lost: an error.",
		Bad:   `json_name_key = "metric_name"` + "\n" + `{"metric_name": 42, "value": 1}`,
		Good:  `json_name_key = "metric_name"` + "\n" + `{"metric_name": "speed", "value": 1}`,
		Check: checkJSONNameKeyType,
		Cases: []Case{
			{Name: "number", Config: caseJSONNamed, Records: []Rec{{Data: `{"metric_name": ∑5, "v": 1}`}}, Want: []Want{{"json-name-key-type", Warning, 1}}},
			{Name: "empty string", Config: caseJSONNamed, Records: []Rec{{Data: `{"metric_name": ∑"", "v": 1}`}}, Want: []Want{{"json-name-key-type", Error, 1}}},
			{Name: "missing", Config: caseJSONNamed, Records: []Rec{{Data: `∑{"v": 1}`}}, Want: []Want{{"json-name-key-type", Warning, 1}}},
			{Name: "another name member", Config: caseJSONNamed, Records: []Rec{{Data: `∑{"name": "speed", "v": 1}`}}, Want: []Want{{"json-name-key-type", Warning, 1}}},
			{Name: "near miss: nested name key", Config: caseJSON + "\n" + `json_name_key = "meta_name"`, Records: []Rec{{Data: `{"meta": {"name": "speed"}, "v": 1}`}}},
		},
	})
	Register(&Rule{
		ID:       ruleTimeKeyName,
		Severity: Warning,
		Title:    "a key named time, or a JSON timestamp that is not read as the metric's time",
		Doc: "InfluxDB 1.x refuses a tag key named time and drops a field named time, refusing the point when " +
			"it was the only field (\"partial write: invalid field name: input field \\\"time\\\" ...\"), so such " +
			"data never arrives. And the json parser reads the metric's time only from json_time_key with " +
			"json_time_format (plugins/parsers/json/parser.go parseObject): without them a \"time\" or " +
			"\"timestamp\" member is stored as an ordinary field (or dropped, if it is a string) and the metric " +
			"gets the time Telegraf parsed it.",
		Bad:   `{"metric_name": "speed", "value": 1, "timestamp": 1700000000}`,
		Good:  "json_time_key = \"timestamp\"\njson_time_format = \"unix\"\n" + `{"metric_name": "speed", "value": 1, "timestamp": 1700000000}`,
		Check: checkTimeKeyName,
		Cases: []Case{
			{Name: "json timestamp member", Config: caseJSONNamed, Records: []Rec{{Data: `{"metric_name": "m", "v": 1, ∑"timestamp": {now_s}}`}}, Want: []Want{{"time-key-name", Warning, 1}}},
			{Name: "json rfc3339 string", Config: caseJSONNamed, Records: []Rec{{Data: `{"metric_name": "m", "v": 1, ∑"time": "2026-01-02T03:04:05Z"}`}}, Want: []Want{{"time-key-name", Warning, 1}}},
			{Name: "influx tag time", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu,∑time=a v=1\n"}}, Want: []Want{{"time-key-name", Error, 1}}},
			{Name: "influx field time beside another", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1,∑time=2\n"}}, Want: []Want{{"time-key-name", Warning, 1}}},
			{Name: "near miss: json_time_key", Config: caseJSONNamed + "\n" + `json_time_key = "timestamp"` + "\n" + `json_time_format = "unix"`, Records: []Rec{{Data: `{"metric_name": "m", "v": 1, "timestamp": {now_s}}`}}},
		},
	})
	Register(&Rule{
		ID:       ruleTagTrailingSlash,
		Severity: Error,
		Title:    "a tag value that ends in a backslash",
		Doc: "Line protocol cannot express a tag value that ends in a backslash: the backslash escapes the space " +
			"after it, so Telegraf's influx parser reads on into the fields and rejects the line (\"expected " +
			"tag\", plugins/parsers/influx/machine.go.rl), losing the whole record. A trailing backslash that " +
			"arrives another way (a JSON tag, a Wavefront tag) is trimmed by Telegraf's influx output " +
			"(plugins/serializers/influx/influx.go buildHeader), so InfluxDB stores a different value: a warning.",
		Bad:   `disk,path=C:\ free=10`,
		Good:  `disk,path=C: free=10`,
		Check: checkTagTrailingBackslash,
		Cases: []Case{
			{Name: "influx", Config: caseInfluxUDP, Records: []Rec{{Data: "disk,path=C:∑\\ free=10\n"}}, Want: []Want{{"parse-error", Error, AnyPos}, {"tag-trailing-backslash", Error, 1}}},
			{Name: "json tag", Config: caseJSONOverride + "\n" + `tag_keys = ["path"]`, Records: []Rec{{Data: `{"path": ∑"logs\\", "free": 10}`}}, Want: []Want{{"tag-trailing-backslash", Warning, 1}}},
			{Name: "near miss: escaped comma", Config: caseInfluxUDP, Records: []Rec{{Data: "disk,path=C:/\\,x free=10\n"}}, Want: []Want{{"forbidden-char", Warning, AnyPos}}},
			{Name: "near miss: slash", Config: caseInfluxUDP, Records: []Rec{{Data: "disk,path=C:/ free=10\n"}}, Want: []Want{{"forbidden-char", Warning, AnyPos}}},
		},
	})
}

// --- forbidden-char ---------------------------------------------------------

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
			set["line protocol (unless escaped)"], set["Wavefront"], set["Prometheus"] = true, true, true
			if r != '=' {
				set["Graphite"] = true
			}
			if r == ' ' {
				set["statsd"] = true
			}
		case r == '"' || r == '\'':
			set["line protocol (kept as part of the name)"], set["Wavefront"], set["Graphite"], set["Prometheus"] = true, true, true, true
		default:
			set["newline-framed streams"], set["line protocol"] = true, true
		}
	}
	order := []string{"line protocol (unless escaped)", "line protocol (kept as part of the name)", "line protocol",
		"newline-framed streams", "statsd", "Graphite", "Wavefront", "Prometheus", "Prometheus labels"}
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
	var syn *recordSyntax
	var seen map[string]bool
	var found []trouble
	add := func(chars []rune, what func() string, text string, value bool, off func(*recordSyntax) int) {
		if len(chars) == 0 {
			return
		}
		w := what()
		k := w + "\x00" + text
		if seen == nil {
			seen = map[string]bool{}
			syn = syntaxOf(ctx)
		}
		if seen[k] {
			return
		}
		seen[k] = true
		found = append(found, trouble{what: w, text: text, chars: chars, off: off(syn), value: value})
	}
	word := func(s string) func() string { return func() string { return s } }
	for i, m := range ctx.Parsed {
		if override == "" {
			name := m.Name()
			add(troubleChars(name, false), word("measurement name"), name, false,
				func(syn *recordSyntax) int { return syn.offsetOf(ctx, i, partName, "", name) })
		}
		for _, tag := range m.TagList() {
			add(troubleChars(tag.Key, false), word("tag key"), tag.Key, false,
				func(syn *recordSyntax) int { return syn.offsetOf(ctx, i, partTagKey, tag.Key, tag.Key) })
			add(troubleChars(tag.Value, false), func() string { return fmt.Sprintf("value of tag %q", tag.Key) }, tag.Value, true,
				func(syn *recordSyntax) int { return syn.offsetOf(ctx, i, partTagValue, tag.Key, tag.Value) })
		}
		for _, f := range m.FieldList() {
			add(troubleChars(f.Key, false), word("field key"), f.Key, false,
				func(syn *recordSyntax) int { return syn.offsetOf(ctx, i, partFieldKey, f.Key, f.Key) })
			if s, ok := f.Value.(string); ok {
				add(troubleChars(s, true), func() string { return fmt.Sprintf("string field %q", f.Key) }, s, true,
					func(syn *recordSyntax) int { return syn.offsetOf(ctx, i, partFieldValue, f.Key, s) })
			}
		}
	}
	const most = 5
	for n, t := range found {
		if n == most {
			break
		}
		names := make([]string, len(t.chars))
		for i, r := range t.chars {
			names[i] = charName(r)
		}
		msg := fmt.Sprintf("%s %q contains %s, which %s cannot carry", t.what, t.text, andList(names), breaks(t.chars))
		var fix string
		switch {
		case t.what == "measurement name" || t.what == "tag key" || t.what == "field key":
			fix = fmt.Sprintf("rename it to %q: '_', '-' and '.' are safe in every format", safeName(t.text))
		case strings.HasPrefix(t.what, "string field"):
			fix = "replace the control characters with spaces (or escape them as \\n) before sending"
		default:
			fix = fmt.Sprintf("send %q instead: '_', '-' and '.' are safe in every format", safeName(t.text))
		}
		pos := Position{}
		if t.off >= 0 {
			pos = OffsetPosition(ctx.Record.Data, t.off)
		}
		ctx.Report(msg, pos, fix)
	}
}

// checkWavefrontRejectedChars explains the parse error Telegraf's wavefront
// parser gives for ':' or '|' in an unquoted name or tag: "invalid metric
// value" or "found ":", expected equals".
func checkWavefrontRejectedChars(ctx *Context) {
	if ctx.Format != "wavefront" {
		return
	}
	for _, l := range syntaxOf(ctx).wavefront() {
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
				OffsetPosition(ctx.Record.Data, tok.Off+i),
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

type part int

const (
	partName part = iota
	partTagKey
	partTagValue
	partFieldKey
	partFieldValue
)

// offsetOf finds where metric i's name, tag or field was written in the
// record, and returns the offset of the first troublesome character in it
// (or of the part itself), or -1.
func (s *recordSyntax) offsetOf(ctx *Context, i int, p part, key, text string) int {
	off := s.partOffset(ctx, i, p, key)
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

// partOffset finds where metric i's part was written, or -1. It maps parser
// output to lines (influx, wavefront) or objects (json) by order, which holds
// when the record parsed.
func (s *recordSyntax) partOffset(ctx *Context, i int, p part, key string) int {
	switch {
	case isInflux(ctx.Format):
		lines := s.influxMetricLines()
		if len(lines) != len(ctx.Parsed) || i >= len(lines) {
			return -1
		}
		l := lines[i]
		switch p {
		case partName:
			return l.NameOff
		case partTagKey, partTagValue:
			for _, t := range l.Tags {
				if unescapeLP(t.Key) == key {
					if p == partTagKey {
						return t.KeyOff
					}
					return t.ValueOff
				}
			}
		case partFieldKey, partFieldValue:
			for _, f := range l.Fields {
				if unescapeLP(f.Key) == key {
					if p == partFieldKey {
						return f.KeyOff
					}
					return f.ValueOff
				}
			}
		}
	case ctx.Format == "wavefront":
		lines := s.wavefront()
		if len(lines) != len(ctx.Parsed) || i >= len(lines) {
			return -1
		}
		l := lines[i]
		switch p {
		case partName:
			return l.Name.Off
		case partTagKey, partTagValue:
			for _, t := range l.Tags {
				if t.Key == key {
					if p == partTagKey {
						return t.KeyOff
					}
					return t.ValueOff
				}
			}
		case partFieldValue:
			return l.Value.Off
		}
	case ctx.Format == "json":
		doc := s.json(ctx.Stage)
		if doc == nil || len(doc.Objects) != len(ctx.Parsed) || i >= len(doc.Objects) {
			return -1
		}
		if p == partName {
			if jp := jsonOptions(ctx.Stage); jp != nil && jp.NameKey != "" {
				key = jp.NameKey
			} else {
				return doc.Objects[i].Off
			}
		}
		for _, lf := range doc.Objects[i].Leaves {
			if lf.Key == key {
				if p == partTagKey || p == partFieldKey {
					return lf.KeyOff
				}
				return lf.ValueOff
			}
		}
	}
	return -1
}

func unescapeLP(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	return strings.NewReplacer(`\,`, `,`, `\ `, ` `, `\=`, `=`).Replace(s)
}

// --- default-measurement-name ----------------------------------------------

func checkDefaultName(ctx *Context) {
	if ctx.Err != nil || (ctx.Format != "json" && ctx.Format != "value") || nameOverride(ctx.Stage) != "" {
		return
	}
	jp := jsonOptions(ctx.Stage)
	if jp != nil && jp.NameKey != "" {
		return // json-name-key-type says why json_name_key did not name it
	}
	def := defaultName(ctx.Stage)
	if def == "" {
		return
	}
	for i, m := range ctx.Parsed {
		if m.Name() != def {
			continue
		}
		pos := Position{}
		var fixes []string
		if ctx.Format == "json" {
			if doc := syntaxOf(ctx).json(ctx.Stage); doc != nil && i < len(doc.Objects) {
				pos = OffsetPosition(ctx.Record.Data, doc.Objects[i].Off)
			}
			if key := jsonNameCandidate(ctx.Record.Data); key != "" {
				fixes = append(fixes, fmt.Sprintf("add json_name_key = %q to %s: the %q member then names the measurement", key, section(ctx), key))
			} else {
				fixes = append(fixes, fmt.Sprintf(`add a "metric_name": "my_measurement" member to every object and json_name_key = "metric_name" to %s`, section(ctx)))
			}
		}
		fixes = append(fixes, fmt.Sprintf(`or add name_override = "my_measurement" to %s`, section(ctx)))
		msg := fmt.Sprintf("the measurement is named %q after the plugin: neither json_name_key nor name_override names it", def)
		if ctx.Format == "value" {
			msg = fmt.Sprintf("the measurement is named %q after the plugin: data_format value carries no name and name_override is not set", def)
			fixes = fixes[len(fixes)-1:]
			fixes[0] = strings.TrimPrefix(fixes[0], "or ")
		}
		reportConfigDependent(ctx, msg, pos, fixes...)
		return
	}
}

// reportConfigDependent reports a finding that depends on parser options.
// With --data-format auto nobody has written those options yet, so the
// finding is information about the config to write, not a sender mistake.
func reportConfigDependent(ctx *Context, msg string, pos Position, fixes ...string) {
	if ctx.Auto {
		ctx.ReportAs(Info, msg, pos, fixes...)
		return
	}
	ctx.Report(msg, pos, fixes...)
}

// --- json-name-key-type -----------------------------------------------------

func checkJSONNameKeyType(ctx *Context) {
	jp := jsonOptions(ctx.Stage)
	if ctx.Err != nil || ctx.Format != "json" || jp == nil || jp.NameKey == "" || nameOverride(ctx.Stage) != "" {
		return
	}
	if allNamedByKey(ctx, jp) {
		return // every object named itself: don't lex the record
	}
	doc := syntaxOf(ctx).json(ctx.Stage)
	if doc == nil {
		return
	}
	key := jp.NameKey
	for _, o := range doc.Objects {
		var leaf *jsonLeaf
		nested := false
		for i := range o.Leaves {
			if o.Leaves[i].Key == key {
				leaf = &o.Leaves[i]
			} else if strings.HasPrefix(o.Leaves[i].Key, key+"_") {
				nested = true
			}
		}
		fix := fmt.Sprintf("send the name as a non-empty JSON string: %q: \"my_measurement\"", key)
		switch {
		case leaf == nil && nested:
			ctx.Report(fmt.Sprintf("json_name_key %q is an object or array, not a string: the measurement is named %q", key, jp.MetricName),
				OffsetPosition(ctx.Record.Data, o.Off), fix)
		case leaf == nil:
			fixes := []string{fmt.Sprintf("add %q: \"my_measurement\" to every object", key)}
			if other := nameMember(o); other != "" {
				fixes = []string{fmt.Sprintf("set json_name_key = %q in %s: the object names itself with %q", other, section(ctx), other), "or " + fixes[0]}
			}
			ctx.Report(fmt.Sprintf("json_name_key %q is not in the object: the measurement is named %q", key, jp.MetricName),
				OffsetPosition(ctx.Record.Data, o.Off), fixes...)
		case leaf.Kind == 's' && leaf.Str == "":
			ctx.ReportAs(Error, fmt.Sprintf("json_name_key %q is an empty string: the measurement name is empty and the influx output refuses the metric (invalid name)", key),
				OffsetPosition(ctx.Record.Data, leaf.ValueOff), fix)
		case leaf.Kind != 's':
			kind := map[byte]string{'n': "a number", 'b': "a bool", 'z': "null"}[leaf.Kind]
			extra := ""
			if leaf.Kind == 'n' {
				extra = " and the number is stored as a field"
			}
			ctx.Report(fmt.Sprintf("json_name_key %q is %s (%s), not a string: the measurement is named %q%s", key, kind, leaf.Raw, jp.MetricName, extra),
				OffsetPosition(ctx.Record.Data, leaf.ValueOff), fix)
		default:
			continue
		}
		return
	}
}

// nameMember is a top-level string member that looks like it names the
// measurement ("metric_name", "measurement", "metric", "name"), or "".
func nameMember(o jsonObject) string {
	for _, lf := range o.Leaves {
		if lf.TopMember && lf.Kind == 's' && jsonNameKeys[lf.Key] {
			return lf.Key
		}
	}
	return ""
}

// --- time-key-name ----------------------------------------------------------

var jsonTimeNames = map[string]bool{"time": true, "timestamp": true, "ts": true, "@timestamp": true, "datetime": true, "epoch": true, "time_stamp": true}

func checkTimeKeyName(ctx *Context) {
	if ctx.Err != nil {
		return
	}
	reported := map[string]bool{}
	if jp := jsonOptions(ctx.Stage); ctx.Format == "json" && jp != nil && jp.TimeKey == "" && mayHaveTimeKey(ctx.Record.Data) {
		if doc := syntaxOf(ctx).json(ctx.Stage); doc != nil {
			for _, o := range doc.Objects {
				for _, lf := range o.Leaves {
					if !lf.TopMember || !jsonTimeNames[strings.ToLower(lf.Key)] || (lf.Kind != 'n' && lf.Kind != 's') || reported[lf.Key] {
						continue
					}
					format, ok := guessTimeFormat(lf)
					if !ok {
						continue
					}
					reported[lf.Key] = true
					fate := "stored as an ordinary field"
					if lf.Kind == 's' {
						fate = "dropped"
					}
					reportConfigDependent(ctx, fmt.Sprintf("member %q (%s) looks like the metric's time, but without json_time_key it is %s and the metric gets the time Telegraf parsed it", lf.Key, lf.Raw, fate),
						OffsetPosition(ctx.Record.Data, lf.KeyOff),
						fmt.Sprintf("add json_time_key = %q and json_time_format = %q to %s", lf.Key, format, section(ctx)))
				}
			}
		}
	}
	for _, m := range ctx.Metrics {
		if _, ok := m.GetTag("time"); ok && !reported["tag time"] {
			reported["tag time"] = true
			ctx.ReportAs(Error, fmt.Sprintf("measurement %q has a tag key named \"time\": InfluxDB 1.x refuses the point (invalid tag key)", m.Name()),
				keyPosition(ctx, m, partTagKey), `rename the tag, e.g. to "time_tag"`)
		}
		if _, ok := m.GetField("time"); ok && !reported["time"] && !reported["field time"] {
			reported["field time"] = true
			if len(m.FieldList()) == 1 {
				ctx.ReportAs(Error, fmt.Sprintf("measurement %q has only a field named \"time\": InfluxDB 1.x refuses the point (invalid field name)", m.Name()),
					keyPosition(ctx, m, partFieldKey), `rename the field, e.g. to "time_value"`)
			} else {
				ctx.Report(fmt.Sprintf("measurement %q has a field named \"time\": InfluxDB 1.x drops that field", m.Name()),
					keyPosition(ctx, m, partFieldKey), `rename the field, e.g. to "time_value"`)
			}
		}
	}
}

func keyPosition(ctx *Context, m telegraf.Metric, p part) Position {
	for i, pm := range ctx.Parsed {
		if pm.Name() == m.Name() || nameOverride(ctx.Stage) != "" {
			if off := syntaxOf(ctx).partOffset(ctx, i, p, "time"); off >= 0 {
				return OffsetPosition(ctx.Record.Data, off)
			}
		}
	}
	return Position{}
}

// guessTimeFormat proposes the json_time_format for a time member.
func guessTimeFormat(lf jsonLeaf) (string, bool) {
	text := lf.Raw
	if lf.Kind == 's' {
		text = lf.Str
	}
	if isNumber([]byte(text)) {
		digits := strings.IndexAny(text, ".eE")
		if digits < 0 {
			digits = len(strings.TrimLeft(text, "+-"))
		}
		switch {
		case digits <= 11:
			return "unix", true
		case digits <= 14:
			return "unix_ms", true
		case digits <= 17:
			return "unix_us", true
		}
		return "unix_ns", true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", time.RFC1123Z, time.RFC1123} {
		if _, err := time.Parse(layout, text); err == nil {
			if layout == time.RFC3339Nano {
				return "rfc3339", true
			}
			return layout, true
		}
	}
	return "", false
}

// --- tag-trailing-backslash -------------------------------------------------

func checkTagTrailingBackslash(ctx *Context) {
	if ctx.Err != nil {
		if isInflux(ctx.Format) {
			checkInfluxTrailingBackslash(ctx)
		}
		return
	}
	for i, m := range ctx.Parsed {
		for _, t := range m.TagList() {
			var what, text string
			var p part
			switch {
			case strings.HasSuffix(t.Key, `\`):
				what, text, p = "tag key", t.Key, partTagKey
			case strings.HasSuffix(t.Value, `\`):
				what, text, p = fmt.Sprintf("value of tag %q", t.Key), t.Value, partTagValue
			default:
				continue
			}
			pos := Position{}
			if off := syntaxOf(ctx).partOffset(ctx, i, p, t.Key); off >= 0 {
				pos = OffsetPosition(ctx.Record.Data, off)
			}
			ctx.ReportAs(Warning, fmt.Sprintf("%s %q ends in a backslash: Telegraf's influx output trims it, so InfluxDB stores %q", what, text, strings.TrimRight(text, `\`)),
				pos, "drop the trailing backslash, or replace it with '/'")
			return
		}
	}
}

// checkInfluxTrailingBackslash finds "k=v\ " in a rejected line: the
// backslash escaped the space, and the line parses once it is gone.
func checkInfluxTrailingBackslash(ctx *Context) {
	data := ctx.Record.Data
	// At most 16 candidates, each costing a scan of its line and a parse:
	// linear in the record however many "\ " it holds.
	for i, tries := 0, 0; i+1 < len(data) && tries < 16; i++ {
		if data[i] != '\\' || data[i+1] != ' ' {
			continue
		}
		tries++
		lineStart := bytes.LastIndexByte(data[:i], '\n') + 1
		eq := bytes.LastIndexByte(data[lineStart:i], '=')
		comma := bytes.LastIndexByte(data[lineStart:i], ',')
		if eq < 0 || comma < 0 || comma > eq {
			continue
		}
		lineEnd := bytes.IndexByte(data[i:], '\n')
		if lineEnd < 0 {
			lineEnd = len(data) - i
		}
		fixed := append(append([]byte{}, data[lineStart:i]...), data[i+1:i+lineEnd]...)
		if ms, err := safeParse(ctx.Stage.Parser, fixed); err != nil || len(ms) == 0 {
			continue
		}
		key := string(data[lineStart+comma+1 : lineStart+eq])
		val := string(data[lineStart+eq+1 : i+1])
		ctx.Report(fmt.Sprintf("value of tag %q, %q, ends in a backslash: it escapes the space after it, so Telegraf reads on into the fields and rejects the line", key, val),
			OffsetPosition(data, i),
			fmt.Sprintf("drop the trailing backslash: write %s=%s", key, strings.TrimRight(val, `\`)),
			"or end the value with another character, e.g. replace '\\' with '/'")
		return
	}
}
