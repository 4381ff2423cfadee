package parse

import (
	"fmt"
	"time"

	"github.com/fakegraf/fakegraf/listener"
)

const ruleHTTPPrecisionMismatch = "http-precision-mismatch"

func init() {
	Register(&Rule{
		ID:       ruleHTTPPrecisionMismatch,
		Severity: Error,
		Title:    "a timestamp whose digits disagree with the request's precision parameter: the point lands decades away",
		Doc: "The InfluxDB write APIs read timestamps in the unit the request's `precision` query parameter names, " +
			"nanoseconds when it is missing or unknown (influxdb_listener.go and influxdb_v2_listener.go " +
			"getPrecisionMultiplier), and multiply without a range check. Milliseconds sent with precision=ns, or " +
			"with no precision, land in January 1970, where retention policies delete them and no dashboard shows " +
			"them: the classic mistake of client-library users who build points with a millisecond clock while the " +
			"client writes with its default precision (ns). On the HTTP inputs this rule replaces timestamp-unit, " +
			"since the fix is the request's precision, not influx_timestamp_precision.",
		Bad:      "POST /api/v2/write?org=o&bucket=b&precision=ns\ncpu,host=a usage=1 1700000000000",
		Good:     "POST /api/v2/write?org=o&bucket=b&precision=ms\ncpu,host=a usage=1 1700000000000",
		Requires: []Fact{FactSentStamps, FactAllNear},
		Only:     Only{HTTP: true},
		Check:    checkHTTPPrecisionMismatch,
		Cases: []Case{
			{Name: "v2 milliseconds with precision=ns", HTTP: caseV2, Records: []Rec{{Query: "org=o&bucket=b&precision=ns", Data: "cpu,host=a usage=1 ∑{now_ms}\n"}}, Want: []Want{{"http-precision-mismatch", Error, 1}}},
			{Name: "v2 milliseconds without precision", HTTP: caseV2, Records: []Rec{{Query: "org=o&bucket=b", Data: "cpu usage=1 ∑{now_ms}\ncpu usage=2 {now_ms}\n"}}, Want: []Want{{"http-precision-mismatch", Error, 1}}},
			{Name: "v1 seconds with precision=ms", HTTP: caseV1, Records: []Rec{{Query: "db=x&precision=ms", Data: "cpu usage=1 ∑{now_s}\n"}}, Want: []Want{{"http-precision-mismatch", Error, 1}}},
			{Name: "near miss: v2 milliseconds with precision=ms", HTTP: caseV2, Records: []Rec{{Query: "org=o&bucket=b&precision=ms", Data: "cpu usage=1 {now_ms}\n"}}},
			{Name: "near miss: v1 nanoseconds without precision", HTTP: caseV1, Records: []Rec{{Query: "db=x", Data: "cpu usage=1 {now_ns}\n"}}},
			{Name: "near miss: timestamp-unit's on a socket", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1 {now_ms}\n"}}},
		},
	})
}

func checkHTTPPrecisionMismatch(ctx *Context) {
	kind := httpKind(ctx)
	if kind != kindV1 && kind != kindV2 {
		return
	}
	now := receiveTime(ctx)
	_, coarser := listener.WritePrecisions[kind][query(ctx.Record.HTTP).Get("precision")]
	if ctx.Err == nil && !coarser && ctx.allNear() {
		// Every line became a metric near now, read in nanoseconds: no
		// timestamp wrapped around or landed decades away, so the body
		// need not be lexed again (that lexing was half of fakegraf's CPU
		// on a client library's 5,000-line batches).
		return
	}
	st, want, n, ok := firstMisread(ctx, now)
	if !ok {
		return
	}
	ex := ctx.Record.HTTP
	sent := query(ex).Get("precision")
	said := fmt.Sprintf("precision=%s", sent)
	if sent == "" {
		said = "no precision parameter"
	}
	msg := fmt.Sprintf("timestamp %s is read as %s because the request has %s, which puts the point at %s (%s it arrived); its digits are %s: %s",
		st.raw, unitName(st.unit), said, st.got.UTC().Format(time.RFC3339Nano), ago(st.got, now), unitName(want), inUnit(st.value, want).UTC().Format(time.RFC3339Nano))
	if n > 1 {
		msg += fmt.Sprintf(" (%d timestamps in this request)", n)
	}
	name := precisionNames[kind][want]
	fixes := []string{fmt.Sprintf("send precision=%s in the query of %s", name, requestLine(ex))}
	if kind == kindV2 {
		fixes = append(fixes, fmt.Sprintf("in a client library, write with the precision of your timestamps: WritePrecision.%s in influxdb-client-python (write_precision=…), "+
			"influxdb2.DefaultOptions().SetPrecision(time.%s) in influxdb-client-go, getWriteApi(org, bucket, '%s') in @influxdata/influxdb-client",
			upper(name), goUnit(want), name))
	} else {
		fixes = append(fixes, fmt.Sprintf("in influxdb-python, write_points(…, time_precision='%s')", name))
	}
	fixes = append(fixes, fmt.Sprintf("or send %s as the request says: %s (Python: %s)", unitName(st.unit), scaleBy(want, st.unit), pythonNow(st.unit)))
	ctx.Report(msg, offsetPosition(ctx.Record.Data, st.off), fixes...).Token = unitName(want) + " read as " + unitName(st.unit)
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func goUnit(u time.Duration) string {
	return map[time.Duration]string{time.Second: "Second", time.Millisecond: "Millisecond", time.Microsecond: "Microsecond", time.Nanosecond: "Nanosecond"}[u]
}

// scaleBy says how to turn a timestamp in unit have into unit want.
func scaleBy(have, want time.Duration) string {
	if have > want {
		return fmt.Sprintf("multiply the timestamp by %d", int64(have/want))
	}
	return fmt.Sprintf("divide the timestamp by %d", int64(want/have))
}
