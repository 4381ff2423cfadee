package parse

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

const rulePrecisionLoss = "precision-loss"

func init() {
	Register(&Rule{
		ID:       rulePrecisionLoss,
		Severity: Warning,
		Title:    "values that do not survive: JSON integers beyond 2^53, sub-second Wavefront times, NaN and Inf",
		Doc: "The json parser decodes every number into a float64 (encoding/json into interface{}, " +
			"plugins/parsers/json/json_flattener.go), which holds integers exactly only up to 2^53, so IDs, " +
			"counters and nanosecond timestamps are rounded (9007199254740993 becomes 9007199254740992). " +
			"Telegraf's wavefront parser keeps whole seconds (time.Unix(ts, 0), plugins/parsers/wavefront/parser.go), " +
			"so millisecond timestamps are truncated and points of a series within one second overwrite each " +
			"other. NaN and -Inf pass the wavefront parser, but Telegraf's influx output cannot write them and " +
			"drops the field, and the point with it when it was the only one (\"no serializable fields\").",
		Bad:      `{"metric_name": "order", "id": 9007199254740993, "amount": 10}`,
		Good:     `{"metric_name": "order", "id": "9007199254740993", "amount": 10}   # tag_keys = ["id"]`,
		Requires: []Fact{FactJSON, FactJSONScan, FactSentStamps, FactParts},
		Only:     Only{Parsed: true},
		Shape:    isInflux, // JSON and Wavefront: numbers as written
		Check:    checkPrecisionLoss,
		Cases: []Case{
			{Name: "json integer beyond 2^53", Config: caseJSONOverride, Records: []Rec{{Data: `{"id": ∑9007199254740993, "v": 1}`}}, Want: []Want{{"precision-loss", Warning, 1}}},
			{Name: "json nanosecond time key", Config: caseJSONOverride + "\n" + `json_time_key = "t"` + "\n" + `json_time_format = "unix_ns"`, Records: []Rec{{Data: `{"v": 1, "t": ∑{now_us}123}`}}, Want: []Want{{"precision-loss", Warning, 1}}},
			{Name: "wavefront milliseconds", Config: caseWavefrontUDP, Records: []Rec{{Data: "a.b 10 ∑{now_s}123 source=a\n"}}, Want: []Want{{"precision-loss", Warning, 1}}},
			{Name: "wavefront NaN", Config: caseWavefrontUDP, Records: []Rec{{Data: "a.b ∑NaN {now_s} source=a\n"}}, Want: []Want{{"precision-loss", Warning, 1}}},
			{Name: "near miss: 2^53 exactly", Config: caseJSONOverride, Records: []Rec{{Data: `{"id": 9007199254740992, "v": 1}`}}},
			{Name: "near miss: whole milliseconds", Config: caseWavefrontUDP, Records: []Rec{{Data: "a.b 10 {now_s}000 source=a\n"}}},
		},
	})
}

var twoTo53 = new(big.Int).Lsh(big.NewInt(1), 53)

func checkPrecisionLoss(ctx *Context) {
	if ctx.Err != nil {
		return
	}
	if ctx.Format == "json" {
		if checkJSONBigInts(ctx) {
			return
		}
	}
	// A sub-second wavefront timestamp has 13, 16 or 19 characters
	// (wavefrontUnit), a sign included: without a run of 12 digits there is
	// none, and the record need not be lexed.
	if ctx.Format == "wavefront" && hasLongDigitRun(ctx.Record.Data, 12) {
		for _, st := range ctx.sentStamps() {
			per := int64(time.Second / st.unit)
			if st.unit >= time.Second || st.value%per == 0 {
				continue
			}
			ctx.Report(fmt.Sprintf("timestamp %s has a sub-second part: Telegraf's wavefront parser keeps whole seconds, so it is stored as %s and points of one series within a second overwrite each other",
				st.raw, st.got.UTC().Format(time.RFC3339)),
				offsetPosition(ctx.Record.Data, st.off),
				"send whole seconds (10 digits), or, when sub-second times matter, send line protocol and "+ctx.settings().set(opt{"data_format", "influx"}))
			return
		}
	}
	for i, m := range ctx.Parsed {
		for _, f := range m.FieldList() {
			v, ok := f.Value.(float64)
			if !ok || !(math.IsNaN(v) || math.IsInf(v, 0)) {
				continue
			}
			what := "the field"
			if len(m.FieldList()) == 1 {
				what = "the point (its only field)"
			}
			pos := Position{}
			if off := ctx.partOffset(i, partFieldValue, f.Key); off >= 0 {
				pos = offsetPosition(ctx.Record.Data, off)
			}
			ctx.Report(fmt.Sprintf("field %q of %q is %v: Telegraf's influx output cannot write NaN or Inf and drops %s", f.Key, m.Name(), v, what),
				pos, "leave the point out when there is no value, instead of sending NaN or Inf")
			return
		}
	}
}

// checkJSONBigInts reports an integer the json parser's float64 rounds.
func checkJSONBigInts(ctx *Context) bool {
	if ctx.jsonScan().digits < 16 {
		return false // no integer can pass 2^53 (16 digits): don't lex
	}
	doc := ctx.json()
	if doc == nil {
		return false
	}
	jp := jsonOptions(ctx.Stage)
	for _, o := range doc.Objects {
		for _, lf := range o.Leaves {
			if lf.Kind != 'n' || strings.ContainsAny(lf.Raw, ".eE") {
				continue
			}
			n, ok := new(big.Int).SetString(lf.Raw, 10)
			if !ok || new(big.Int).Abs(n).Cmp(twoTo53) <= 0 {
				continue
			}
			f, _ := strconv.ParseFloat(lf.Raw, 64)
			stored, _ := new(big.Float).SetFloat64(f).Int(nil)
			if stored.Cmp(n) == 0 {
				continue
			}
			fix := fmt.Sprintf("send it as a JSON string (%q: \"%s\") and list it in %s or %s", lf.Key, lf.Raw, ctx.settings().name("tag_keys"), ctx.settings().name("json_string_fields"))
			if jp != nil && jp.TimeKey == lf.Key {
				fix = fmt.Sprintf("send the timestamp as a JSON string (%q: \"%s\"): Telegraf reads a numeric string in %s exactly", lf.Key, lf.Raw, ctx.settings().name("json_time_key"))
			}
			ctx.Report(fmt.Sprintf("%q is %s, beyond 2^53: the json parser reads every number as a float64 and keeps %s", lf.Key, lf.Raw, stored.String()),
				offsetPosition(ctx.Record.Data, lf.ValueOff), fix)
			return true
		}
	}
	return false
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
