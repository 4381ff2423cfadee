package parse

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/influxdata/telegraf/filter"
	jsonparser "github.com/influxdata/telegraf/plugins/parsers/json"
)

// Rules about data_format = "json".

const (
	ruleJSONStringDropped = "json-string-dropped"
	ruleJSONNoFields      = "json-no-fields"
	ruleJSONMultiDoc      = "json-multiple-documents"
	ruleJSONMultiline     = "json-multiline"
)

func init() {
	Register(&Rule{
		ID:       ruleJSONStringDropped,
		Severity: Warning,
		Title:    "a JSON string or bool that Telegraf drops",
		Doc: "The json parser keeps only numbers as fields. A string or bool member survives only when tag_keys " +
			"makes it a tag or json_string_fields keeps it as a field; everything else, numeric strings such as " +
			"\"42\" included, is deleted without a log line (plugins/parsers/json/parser.go switchFieldToTag). " +
			"The sender believes it is storing the value; InfluxDB never sees it.",
		Bad:   `{"value1": 10, "value2": 3, "format": "json"}   # no tag_keys`,
		Good:  `tag_keys = ["format"]   # in [[inputs.socket_listener]]`,
		Check: checkJSONStringDropped,
		Cases: []Case{
			{Name: "format without tag_keys", Config: caseJSONOverride, Records: []Rec{{Data: `{"value1": 10, "value2": 3, ∑"format": "json"}`}}, Want: []Want{{"json-string-dropped", Warning, 1}}},
			{Name: "bool and numeric string", Config: caseJSONOverride, Records: []Rec{{Data: `{"value1": 10, ∑"ok": true, "n": "42"}`}}, Want: []Want{{"json-string-dropped", Warning, 1}}},
			{Name: "near miss: tag_keys", Config: caseJSONOverride + "\n" + `tag_keys = ["format"]`, Records: []Rec{{Data: `{"value1": 10, "value2": 3, "format": "json"}`}}},
			{Name: "near miss: json_string_fields glob", Config: caseJSONOverride + "\n" + `json_string_fields = ["msg*"]`, Records: []Rec{{Data: `{"value1": 10, "msg_a": "x", "msg_b": "y"}`}}},
		},
	})
	Register(&Rule{
		ID:       ruleJSONNoFields,
		Severity: Error,
		Title:    "a JSON object that yields no metric because nothing numeric is left",
		Doc: "When every member of an object is a string or bool that is dropped, null, the name or the time, " +
			"the json parser makes a metric without fields, and RunningInput.MakeMetric drops it " +
			"(models/running_input.go) without an error or a log line: Telegraf only logs \"no metrics created\" " +
			"at debug level. The record vanishes.",
		Bad:   `{"metric_name": "status", "state": "ok", "count": "42"}`,
		Good:  `{"metric_name": "status", "state": "ok", "count": 42}   # plus json_string_fields = ["state"]`,
		Check: checkJSONNoFields,
		Cases: []Case{
			{Name: "only strings", Config: caseJSONNamed, Records: []Rec{{Data: `∑{"metric_name": "status", "state": "ok"}`}}, Want: []Want{{"json-no-fields", Error, 1}}},
			{Name: "empty object", Config: caseJSONOverride, Records: []Rec{{Data: `∑{}`}}, Want: []Want{{"json-no-fields", Error, 1}}},
			{Name: "second array element", Config: caseJSONNamed, Records: []Rec{{Data: `[{"metric_name": "a", "v": 1}, ∑{"metric_name": "b", "n": "2"}]`}}, Want: []Want{{"json-no-fields", Error, 1}}},
			{Name: "near miss: json_string_fields", Config: caseJSONNamed + "\n" + `json_string_fields = ["state"]`, Records: []Rec{{Data: `{"metric_name": "status", "state": "ok"}`}}},
		},
	})
	Register(&Rule{
		ID:       ruleJSONMultiDoc,
		Severity: Error,
		Title:    "several JSON documents in one datagram",
		Doc: "On datagram sockets (udp, unixgram) Telegraf hands the whole datagram to the parser in one call " +
			"(plugins/common/socket/datagram.go) and never splits it at newlines, so newline-delimited JSON in one " +
			"datagram fails with \"invalid character '{' after top-level value\" and every document in it is " +
			"lost (telegraf#6025).",
		Bad:   `sock.sendto(b'{"a": 1}\n{"a": 2}\n', addr)`,
		Good:  `sock.sendto(b'[{"a": 1}, {"a": 2}]', addr)   # or one document per datagram`,
		Check: checkJSONMultiDoc,
		Cases: []Case{
			{Name: "ndjson datagram", Config: caseJSONOverride, Records: []Rec{{Data: "{\"v\": 1}\n∑{\"v\": 2}\n"}}, Want: []Want{{"json-multiple-documents", Error, 1}, {"parse-error", Error, AnyPos}}},
			{Name: "near miss: an array", Config: caseJSONOverride, Records: []Rec{{Data: `[{"v": 1}, {"v": 2}]`}}},
		},
	})
	Register(&Rule{
		ID:       ruleJSONMultiline,
		Severity: Error,
		Title:    "a pretty-printed JSON document spread over several lines of a stream",
		Doc: "Stream sockets are split into records at newlines (plugins/common/socket/splitters.go), so a " +
			"document written with json.dumps(data, indent=2) reaches the parser one line at a time, and every " +
			"line fails (\"unexpected end of JSON input\", \"invalid character ':' after top-level value\"). " +
			"Nothing of the document is stored.",
		Bad:   "sock.send((json.dumps(data, indent=2) + \"\\n\").encode())",
		Good:  "sock.send((json.dumps(data) + \"\\n\").encode())",
		Check: checkJSONMultiline,
		Cases: []Case{
			{Name: "pretty-printed", Config: caseJSONTCP, Records: []Rec{{Data: "{"}, {Data: `  "a": 1,`}, {Data: `  "b": 2`}, {Data: "}"}}, Want: []Want{{"json-multiline", Error, 0}, {"parse-error", Error, AnyPos}}},
			{Name: "near miss: one line each", Config: caseJSONTCP, Records: []Rec{{Data: `{"a": 1}`}, {Data: `{"a": 2}`}}},
		},
	})
}

// jsonNameKeys are member names that senders use for the measurement.
var jsonNameKeys = map[string]bool{"metric_name": true, "measurement": true, "metric": true, "name": true}

type jsonFate struct {
	leaf    jsonLeaf
	dropped bool
	tag     bool
}

// jsonFates says what the json parser did with an object's strings and bools
// (switchFieldToTag): kept as tags or fields, or dropped.
func jsonFates(jp *jsonparser.Parser, o jsonObject) []jsonFate {
	tagF, _ := filter.Compile(jp.TagKeys)
	strF, _ := filter.Compile(jp.StringFields)
	var out []jsonFate
	for _, lf := range o.Leaves {
		switch {
		case jp.TimeKey != "" && lf.Key == jp.TimeKey:
			continue
		case tagF != nil && tagF.Match(lf.Key) && lf.Kind != 'z':
			out = append(out, jsonFate{leaf: lf, tag: true})
		case lf.Kind != 's' && lf.Kind != 'b':
			continue
		case jp.NameKey != "" && lf.Key == jp.NameKey && lf.Kind == 's':
			continue
		case strF != nil && strF.Match(lf.Key):
			continue
		default:
			out = append(out, jsonFate{leaf: lf, dropped: true})
		}
	}
	return out
}

// ownedElsewhere reports string members another rule explains better: a
// name member when json_name_key is unset or names nothing in the object
// (default-measurement-name, json-name-key-type), and a time member without
// json_time_key (time-key-name).
func ownedElsewhere(jp *jsonparser.Parser, o jsonObject, lf jsonLeaf) bool {
	if lf.TopMember && lf.Kind == 's' && jsonNameKeys[lf.Key] && (jp.NameKey == "" || !hasLeaf(o, jp.NameKey)) {
		return true
	}
	if jp.TimeKey == "" && lf.TopMember && jsonTimeNames[strings.ToLower(lf.Key)] {
		_, ok := guessTimeFormat(lf)
		return ok
	}
	return false
}

func hasLeaf(o jsonObject, key string) bool {
	for _, lf := range o.Leaves {
		if lf.Key == key || strings.HasPrefix(lf.Key, key+"_") {
			return true
		}
	}
	return false
}

func shortRaw(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

func mergeKeys(have []string, add []string) []string {
	out := append([]string{}, have...)
	for _, k := range add {
		found := false
		for _, h := range out {
			if h == k {
				found = true
			}
		}
		if !found {
			out = append(out, k)
		}
	}
	return out
}

func checkJSONStringDropped(ctx *Context) {
	jp := jsonOptions(ctx.Stage)
	if ctx.Err != nil || ctx.Format != "json" || jp == nil {
		return
	}
	if nothingDropped(ctx, jp) {
		return
	}
	doc := syntaxOf(ctx).json(ctx.Stage)
	if doc == nil || len(doc.Objects) != len(ctx.Parsed) {
		return
	}
	var dropped []jsonLeaf
	seen := map[string]bool{}
	for i, o := range doc.Objects {
		if len(ctx.Parsed[i].FieldList()) == 0 {
			continue // json-no-fields
		}
		for _, f := range jsonFates(jp, o) {
			if f.dropped && !seen[f.leaf.Key] && !ownedElsewhere(jp, o, f.leaf) {
				seen[f.leaf.Key] = true
				dropped = append(dropped, f.leaf)
			}
		}
	}
	if len(dropped) == 0 {
		return
	}
	var descr, keys, numeric []string
	tagFirst := true
	for _, lf := range dropped {
		kind := "string"
		if lf.Kind == 'b' {
			kind, tagFirst = "bool", false
		} else if isNumber([]byte(lf.Str)) {
			numeric = append(numeric, lf.Key)
		} else if len(lf.Str) > 64 || strings.ContainsAny(lf.Str, " \t\n") {
			tagFirst = false
		}
		descr = append(descr, fmt.Sprintf("%q (%s %s)", lf.Key, kind, shortRaw(lf.Raw)))
		keys = append(keys, lf.Key)
	}
	msg := fmt.Sprintf("%s dropped: %s; the json parser keeps strings and bools only when tag_keys or json_string_fields name them",
		plural(len(dropped), "member", "members"), strings.Join(descr, ", "))
	var fixes []string
	for _, k := range numeric {
		fixes = append(fixes, fmt.Sprintf("send %q as a JSON number, without quotes", k))
	}
	asTag := fmt.Sprintf("keep them as tags: tag_keys = %s", tomlList(mergeKeys(jp.TagKeys, keys)))
	asField := fmt.Sprintf("keep them as fields: json_string_fields = %s", tomlList(mergeKeys(jp.StringFields, keys)))
	if len(dropped) == 1 {
		asTag = strings.Replace(asTag, "them as tags", "it as a tag", 1)
		asField = strings.Replace(asField, "them as fields", "it as a field", 1)
	}
	if tagFirst {
		fixes = append(fixes, asTag, "or "+asField)
	} else {
		fixes = append(fixes, asField, "or "+asTag)
	}
	reportConfigDependent(ctx, msg, OffsetPosition(ctx.Record.Data, dropped[0].KeyOff), fixes...)
}

func checkJSONNoFields(ctx *Context) {
	if ctx.Err != nil || ctx.Format != "json" {
		return
	}
	jp := jsonOptions(ctx.Stage)
	var doc *jsonDoc
	for i, m := range ctx.Parsed {
		if len(m.FieldList()) > 0 {
			continue
		}
		if doc == nil {
			doc = syntaxOf(ctx).json(ctx.Stage)
		}
		if jp == nil || doc == nil || len(doc.Objects) != len(ctx.Parsed) {
			ctx.Report("the JSON object has no numeric member: Telegraf makes a metric without fields and drops it without a log line",
				Position{}, `send at least one numeric member, e.g. "value": 1`)
			return
		}
		o := doc.Objects[i]
		var strs, numeric, tags []string
		for _, f := range jsonFates(jp, o) {
			switch {
			case f.tag:
				tags = append(tags, f.leaf.Key)
			case f.leaf.Kind == 's' && isNumber([]byte(f.leaf.Str)):
				numeric = append(numeric, f.leaf.Key)
			default:
				strs = append(strs, f.leaf.Key)
			}
		}
		var why []string
		if len(numeric) > 0 {
			why = append(why, fmt.Sprintf("%s numbers in quotes", quoteKeys(numeric)))
		}
		if len(strs) > 0 {
			why = append(why, fmt.Sprintf("%s dropped strings or bools", quoteKeys(strs)))
		}
		if len(tags) > 0 {
			why = append(why, fmt.Sprintf("%s became tags", quoteKeys(tags)))
		}
		detail := "the object is empty"
		if len(o.Leaves) > 0 && len(why) == 0 {
			detail = "it holds only null, the name and the time"
		} else if len(why) > 0 {
			detail = strings.Join(why, "; ")
		}
		msg := fmt.Sprintf("the JSON object has no numeric member left (%s): Telegraf makes a metric without fields and drops it without a log line", detail)
		var fixes []string
		for _, k := range numeric {
			fixes = append(fixes, fmt.Sprintf("send %q as a JSON number, without quotes", k))
		}
		if len(strs) > 0 {
			fixes = append(fixes, fmt.Sprintf("keep the strings as fields: json_string_fields = %s", tomlList(mergeKeys(jp.StringFields, strs))))
		}
		if len(fixes) == 0 {
			fixes = append(fixes, `send at least one numeric member, e.g. "value": 1`)
		}
		ctx.Report(msg, OffsetPosition(ctx.Record.Data, o.Off), fixes...)
		return
	}
}

func quoteKeys(keys []string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = fmt.Sprintf("%q", k)
	}
	return andList(q)
}

func checkJSONMultiDoc(ctx *Context) {
	if ctx.Err == nil || ctx.Format != "json" || ctx.Record.Stream || !isJSONSyntaxError(ctx.Err) {
		return
	}
	n, second := countJSONValues(bytes.TrimPrefix(ctx.Record.Data, []byte("\xef\xbb\xbf")))
	if n < 2 {
		return // not two whole documents: json.Unmarshal failed on something else
	}
	ctx.Report(fmt.Sprintf("%d JSON documents in one datagram: Telegraf parses a datagram as one document, so it rejects the datagram and all of them are lost", n),
		OffsetPosition(ctx.Record.Data, second),
		"send one JSON document per datagram",
		"or send them as one JSON array: [{...}, {...}]")
}

// multilineState is one connection's run of rejected lines that may be a
// pretty-printed document.
type multilineState struct {
	buf   []byte
	lines int
	first uint64
}

// At most 64 connections and 64 KiB each (Telegraf's default record limit):
// the rule never holds more than 4 MiB however many senders come and go.
const (
	multilineConns = 64
	multilineBytes = 64 * 1024
)

func checkJSONMultiline(ctx *Context) {
	rec := ctx.Record
	if !rec.Stream || ctx.Format != "json" {
		return
	}
	conns := stateOf(ctx.State, ruleJSONMultiline, func() *lru[uint64, *multilineState] { return newLRU[uint64, *multilineState](multilineConns) })
	if ctx.Err == nil && conns.Len() == 0 {
		return // the common case: no connection is in the middle of a document
	}
	key := rec.Conn
	st, _ := conns.Get(key)
	if ctx.Err == nil {
		if st != nil {
			conns.Put(key, nil)
		}
		return
	}
	line := bytes.TrimSpace(rec.Data)
	if st == nil || len(st.buf)+len(line) > multilineBytes {
		st = nil
		if len(line) > 0 && (line[0] == '{' || line[0] == '[') {
			st = &multilineState{buf: append([]byte{}, rec.Data...), lines: 1, first: rec.Seq}
		}
		conns.Put(key, st)
		return
	}
	st.buf = append(append(st.buf, '\n'), rec.Data...)
	st.lines++
	if !json.Valid(st.buf) {
		return
	}
	conns.Put(key, nil)
	ctx.Report(fmt.Sprintf("this line ends a JSON document spread over %d lines (records #%d to #%d): Telegraf splits the stream at newlines and rejects every line", st.lines, st.first, rec.Seq),
		Position{},
		`send each document on one line, then "\n": json.dumps(data) without indent=`,
		fmt.Sprintf(`or set splitting_strategy = "null" in %s and end every document with a NUL byte`, section(ctx)))
}

// The checks below let a clean JSON record skip the lexer: one pass over the
// bytes, no allocation, and a fall back to the full check whenever they
// cannot tell.

// jsonValueCounts counts the values of a JSON text that can become a tag,
// a field or a name: strings (not followed by ':', which makes them keys),
// true/false literals and numbers.
func jsonValueCounts(data []byte) (values int) {
	n := len(data)
	for i := 0; i < n; i++ {
		switch c := data[i]; {
		case c == '"':
			j := i + 1
			for j < n && data[j] != '"' {
				if data[j] == '\\' {
					j++
				}
				j++
			}
			k := j + 1
			for k < n && (data[k] == ' ' || data[k] == '\t' || data[k] == '\r' || data[k] == '\n') {
				k++
			}
			if k >= n || data[k] != ':' {
				values++
			}
			i = j
		case c == 't' || c == 'f' || c == '-' || c >= '0' && c <= '9':
			values++
			for i+1 < n && strings.IndexByte("abcdefghijklmnopqrstuvwxyz0123456789.+-E", data[i+1]) >= 0 {
				i++
			}
		case c >= 'a' && c <= 'z': // null
			for i+1 < n && data[i+1] >= 'a' && data[i+1] <= 'z' {
				i++
			}
		}
	}
	return values
}

// nothingDropped reports whether every value of the record survived as a
// tag, a field or the measurement name: then no string or bool was dropped.
// json_query, json_time_key and tag_keys on numbers make the sums differ,
// and the full check runs.
func nothingDropped(ctx *Context, jp *jsonparser.Parser) bool {
	kept := 0
	for _, m := range ctx.Parsed {
		kept += len(m.TagList()) + len(m.FieldList())
		if jp.NameKey != "" && m.Name() != jp.MetricName {
			kept++
		}
	}
	return kept == jsonValueCounts(ctx.Record.Data)
}

// allNamedByKey reports whether every parsed metric took its name from
// json_name_key, which only a non-empty string does.
func allNamedByKey(ctx *Context, jp *jsonparser.Parser) bool {
	for _, m := range ctx.Parsed {
		if m.Name() == jp.MetricName || m.Name() == "" {
			return false
		}
	}
	return len(ctx.Parsed) > 0
}

// mayHaveTimeKey is a quick look for a member named like a timestamp.
func mayHaveTimeKey(data []byte) bool {
	// One pass, case-insensitive: "time", "ts\"" or "epoch" anywhere.
	for i := 0; i < len(data); i++ {
		switch data[i] | 0x20 {
		case 't':
			if hasPrefixFold(data[i:], "time") || hasPrefixFold(data[i:], "ts\"") {
				return true
			}
		case 'e':
			if hasPrefixFold(data[i:], "epoch") {
				return true
			}
		}
	}
	return false
}

// hasPrefixFold is bytes.HasPrefix ignoring ASCII case; prefix is lower case.
func hasPrefixFold(b []byte, prefix string) bool {
	if len(b) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if b[i]|0x20 != prefix[i] {
			return false
		}
	}
	return true
}

// hasLongDigitRun reports whether data holds at least n digits in a row.
func hasLongDigitRun(data []byte, n int) bool {
	run := 0
	for _, c := range data {
		if c >= '0' && c <= '9' {
			run++
			if run >= n {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}
