package parse

import (
	"bytes"
	"fmt"
)

const ruleDuplicateKey = "duplicate-key"

func init() {
	Register(&Rule{
		ID:       ruleDuplicateKey,
		Severity: Error,
		Title:    "a field, tag or JSON member written twice in one point: Telegraf keeps only the last value",
		Doc: "Telegraf keeps one value per key, the last one written, and says nothing. The influx parser and " +
			"line-protocol v2 (influx_upstream) add a line's tags and fields to the metric one by one, and " +
			"metric.AddField and AddTag overwrite a key that is there (metric/metric.go; " +
			"plugins/parsers/influx/handler.go, plugins/parsers/influx/influx_upstream/parser.go nextMetric), so " +
			"`dup v=1i,v=2i` stores v=2i; line-protocol v2 does not reject the repeat. The wavefront parser " +
			"keeps tags in a map (plugins/parsers/wavefront/element.go). The json parser unmarshals with " +
			"encoding/json, which keeps a repeated member's last value (plugins/parsers/json/parser.go Parse), a " +
			"whole nested object included: {\"a\": {\"b\": 1}, \"a\": {\"c\": 2}} stores only a_c. The earlier " +
			"value is lost.",
		AlsoAt:   []Level{{Info, "when every repeat carries the same value: nothing is lost, but the sender writes the key twice"}},
		Bad:      "dup v=1i,v=2i",
		Good:     "dup v=2i   # or, if both values matter, dup v_first=1i,v_last=2i",
		Requires: []Fact{FactInflux, FactWavefront, FactJSON, FactJSONScan},
		Only:     Only{Parsed: true},
		Check:    checkDuplicateKey,
		Cases: []Case{
			{Name: "influx field", Config: caseInfluxUDP, Records: []Rec{{Data: "dup v=1i,∑v=2i\n"}}, Want: []Want{{"duplicate-key", Error, 1}}},
			{Name: "influx_upstream tag", Config: caseInfluxUDP + "\ninflux_parser_type = \"upstream\"", Records: []Rec{{Data: "dup,t=a,∑t=b v=1i\n"}}, Want: []Want{{"duplicate-key", Error, 1}}},
			{Name: "json member", Config: caseJSONOverride, Records: []Rec{{Data: `{"v": 1, ∑"v": 2}`}}, Want: []Want{{"duplicate-key", Error, 1}}},
			{Name: "json nested object", Config: caseJSONOverride, Records: []Rec{{Data: `{"a": {"b": 1}, ∑"a": {"c": 2}}`}}, Want: []Want{{"duplicate-key", Error, 1}}},
			{Name: "wavefront tag", Config: caseWavefrontUDP, Records: []Rec{{Data: "a.b 1 {now_s} source=x ∑source=y\n"}}, Want: []Want{{"duplicate-key", Error, 1}}},
			{Name: "a lost value between two equal ones", Config: caseInfluxUDP, Records: []Rec{{Data: "dup v=1i,v=2i,∑v=1i\n"}}, Want: []Want{{"duplicate-key", Error, 1}}},
			{Name: "json: the same value three times", Config: caseJSONOverride, Records: []Rec{{Data: `{"v": 1, "v": 1, ∑"v": 1}`}}, Want: []Want{{"duplicate-key", Info, 1}}},
			{Name: "the same value twice", Config: caseInfluxUDP, Records: []Rec{{Data: "dup v=1i,∑v=1i\n"}}, Want: []Want{{"duplicate-key", Info, 1}}},
			{Name: "near miss: a tag and a field of one name", Config: caseInfluxUDP, Records: []Rec{{Data: "dup,v=a v=1i\n"}}},
			{Name: "near miss: one key per line", Config: caseInfluxUDP, Records: []Rec{{Data: "dup v=1i\ndup v=2i\n"}}},
			{Name: "near miss: one member name in two objects", Config: caseJSONOverride, Records: []Rec{{Data: `[{"v": 1}, {"v": 2}]`}}},
			{Name: "near miss: escaped keys that differ", Config: caseInfluxUDP, Records: []Rec{{Data: "dup a\\ b=1i,a=2i\n"}}},
		},
	})
}

// repeat is a key written more than once in one point.
type repeat struct {
	what        string // "field", "tag", "member"
	key         string
	first, last string // the values as written: the first, and the last, which Telegraf keeps
	lost        bool   // some value differs from the last
	off         int    // the key's last occurrence
}

// again adds another occurrence of a key to reps, which hold one point's.
func again(reps []repeat, what, key, prev, value string, off int) []repeat {
	for i := range reps {
		if reps[i].what == what && reps[i].key == key {
			r := &reps[i]
			r.lost = r.lost || r.last != value
			r.last, r.off = value, off
			return reps
		}
	}
	return append(reps, repeat{what: what, key: key, first: prev, last: value, lost: prev != value, off: off})
}

func checkDuplicateKey(ctx *Context) {
	if ctx.Err != nil || len(ctx.Parsed) == 0 {
		return // nothing stored: parse-error
	}
	var reps []repeat
	switch {
	case isInflux(ctx.Format):
		if !moreKeysWritten(ctx, true) {
			return
		}
		for _, l := range ctx.influx() {
			if l.Comment {
				continue
			}
			reps = append(reps, repeats("tag", l.Tags)...)
			reps = append(reps, repeats("field", l.Fields)...)
		}
	case ctx.Format == "wavefront":
		if !moreKeysWritten(ctx, false) {
			return
		}
		for _, l := range ctx.wavefront() {
			kvs := make([]lpKV, len(l.Tags))
			for i, t := range l.Tags {
				kvs[i] = lpKV{Key: t.Key, Value: t.Value, KeyOff: t.KeyOff}
			}
			reps = append(reps, repeats("tag", kvs)...)
		}
	case ctx.Format == "json":
		jp := jsonOptions(ctx.Stage)
		if jp == nil || nothingDropped(ctx, jp) {
			return // every value written was kept: none was written over
		}
		if doc := ctx.json(); doc != nil {
			for _, o := range doc.Objects {
				var inObject []repeat
				for _, r := range o.Repeated {
					inObject = again(inObject, "member", r.Key, r.First, r.Last, r.KeyOff)
				}
				reps = append(reps, inObject...)
			}
		}
	}
	if len(reps) == 0 {
		return
	}
	// The finding names a repeat that lost a value, if any did.
	r := reps[0]
	for _, x := range reps {
		if x.lost {
			r = x
			break
		}
	}
	where := "line"
	if r.what == "member" {
		where = "object"
	}
	more := ""
	if len(reps) > 1 {
		more = fmt.Sprintf(" (%s repeated in this record)", plural(len(reps), "key", "keys"))
	}
	pos := offsetPosition(ctx.Record.Data, r.off)
	fixes := []string{
		fmt.Sprintf("write each %s once per %s, with the value you mean", r.what, where),
		fmt.Sprintf("or, if every value matters, give each a name of its own (%s_first, %s_last)", r.key, r.key),
	}
	if !r.lost {
		ctx.ReportAs(Info, fmt.Sprintf("%s %q is written more than once in one %s, each time as %s: Telegraf keeps one%s",
			r.what, r.key, where, shortRaw(r.last), more), pos, fixes[0]).Token = r.key
		return
	}
	ctx.Report(fmt.Sprintf("%s %q is written more than once in one %s, first as %s, last as %s: Telegraf keeps only the last and loses the rest%s",
		r.what, r.key, where, shortRaw(r.first), shortRaw(r.last), more), pos, fixes...).Token = r.key
}

// repeats finds the keys of one line written more than once, as the parser
// reads them (escapes undone).
func repeats(what string, kvs []lpKV) []repeat {
	var out []repeat
	for i := 1; i < len(kvs); i++ {
		key := unescapeLP(kvs[i].Key)
		for j := i - 1; j >= 0; j-- { // the one before: lines are short
			if unescapeLP(kvs[j].Key) == key {
				out = again(out, what, key, kvs[j].Value, kvs[i].Value, kvs[i].KeyOff)
				break
			}
		}
	}
	return out
}

// moreKeysWritten reports whether the record may hold more tags (and, with
// fields, fields) than the parser kept: every key written has its '=', so
// when the record has no more '=' than the metrics have keys, none was
// written twice and the record need not be lexed.
func moreKeysWritten(ctx *Context, fields bool) bool {
	kept := 0
	for _, m := range ctx.Parsed {
		kept += len(m.TagList())
		if fields {
			kept += len(m.FieldList())
		}
	}
	return bytes.Count(ctx.Record.Data, []byte("=")) > kept
}
