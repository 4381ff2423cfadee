package parse

import (
	"fmt"
	"time"
)

const ruleTimestampUnit = "timestamp-unit"

func init() {
	Register(&Rule{
		ID:       ruleTimestampUnit,
		Severity: Error,
		Title:    "a timestamp in another unit than Telegraf reads: the point lands decades away",
		Doc: "Telegraf reads line-protocol timestamps as nanoseconds unless influx_timestamp_precision says " +
			"otherwise, and multiplies without a range check (plugins/parsers/influx/handler.go SetTimestamp), so " +
			"milliseconds land in 1970-01-01T00:28, seconds in the first two seconds of 1970, and nanoseconds " +
			"read as seconds overflow into 1775. JSON timestamps are read in the unit json_time_format names " +
			"(internal/internal.go ParseTimestamp), again unchecked. Wavefront timestamps are read by their digit " +
			"count (plugins/parsers/wavefront/element.go setTimestamp). InfluxDB stores the point at that date, " +
			"where retention policies delete it and no dashboard of recent data shows it. The finding names the " +
			"unit that puts the point near the time it arrived.",
		Bad:      "good_metric_name,format=influxline value1=10 1700000000000   # milliseconds",
		Good:     "good_metric_name,format=influxline value1=10 1700000000000000000   # or influx_timestamp_precision = \"1ms\"",
		Requires: []Fact{FactSentStamps, FactAllNear},
		Only:     Only{Parsed: true},
		Check:    checkTimestampUnit,
		Cases: []Case{
			{Name: "influx milliseconds", Config: caseInfluxUDP, Records: []Rec{{Data: "good_metric_name,format=influxline value1=10 ∑{now_ms}\n"}}, Want: []Want{{"timestamp-unit", Error, 1}}},
			{Name: "influx seconds", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1 ∑{now_s}\n"}}, Want: []Want{{"timestamp-unit", Error, 1}}},
			{Name: "influx nanoseconds with precision 1s", Config: caseInfluxUDP + "\n" + `influx_timestamp_precision = "1s"`, Records: []Rec{{Data: "cpu v=1 ∑{now_ns}\n"}}, Want: []Want{{"timestamp-unit", Error, 1}}},
			{Name: "json milliseconds with unix", Config: caseJSONNamed + "\n" + `json_time_key = "t"` + "\n" + `json_time_format = "unix"`, Records: []Rec{{Data: `{"metric_name": "m", "v": 1, "t": ∑{now_ms}}`}}, Want: []Want{{"timestamp-unit", Error, 1}}},
			{Name: "near miss: milliseconds with precision 1ms", Config: caseInfluxUDP + "\n" + `influx_timestamp_precision = "1ms"`, Records: []Rec{{Data: "cpu v=1 {now_ms}\n"}}},
			{Name: "near miss: nanoseconds", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1 {now_ns}\n"}}},
			{Name: "near miss: json unix_ms", Config: caseJSONNamed + "\n" + `json_time_key = "t"` + "\n" + `json_time_format = "unix_ms"`, Records: []Rec{{Data: `{"metric_name": "m", "v": 1, "t": {now_ms}}`}}},
		},
	})
}

func precisionOption(u time.Duration) string {
	switch u {
	case time.Second:
		return "1s"
	case time.Millisecond:
		return "1ms"
	case time.Microsecond:
		return "1us"
	}
	return "1ns"
}

// readUnit is the unit Telegraf multiplies sent timestamps by, where that
// multiplication can overflow and wrap to any date, even a near one.
func readUnit(ctx *Context) time.Duration {
	switch {
	case isInflux(ctx.Format):
		return influxPrecision(ctx.parser())
	case ctx.Format == "json":
		if jp := jsonOptions(ctx.Stage); jp != nil && jp.TimeKey != "" {
			return unitsByFormat[jp.TimeFormat]
		}
	}
	return time.Nanosecond
}

func checkTimestampUnit(ctx *Context) {
	if k := httpKind(ctx); k == kindV1 || k == kindV2 {
		return // the request's precision decides: http-precision-mismatch
	}
	now := receiveTime(ctx)
	if readUnit(ctx) <= time.Nanosecond && ctx.allNear() {
		return // nothing can have wrapped around, and every time is near
	}
	st, want, n, ok := firstMisread(ctx, now)
	if !ok {
		return
	}
	wantTime := inUnit(st.value, want)
	msg := fmt.Sprintf("timestamp %s is read as %s, which puts the point at %s (%s it arrived); it looks like %s: %s",
		st.raw, unitName(st.unit), st.got.UTC().Format(time.RFC3339Nano), ago(st.got, now), unitName(want), wantTime.UTC().Format(time.RFC3339Nano))
	if n > 1 {
		msg += fmt.Sprintf(" (%d timestamps in this record)", n)
	}
	scale := func() string {
		if want > st.unit {
			return fmt.Sprintf("multiply the timestamp by %d", int64(want/st.unit))
		}
		return fmt.Sprintf("divide the timestamp by %d", int64(st.unit/want))
	}
	var fixes []string
	switch {
	case isInflux(ctx.Format):
		if want == time.Nanosecond {
			fixes = append(fixes, ctx.settings().remove("influx_timestamp_precision")+": Telegraf then reads nanoseconds")
		} else {
			fixes = append(fixes, ctx.settings().set(opt{"influx_timestamp_precision", precisionOption(want)}))
		}
		fixes = append(fixes, fmt.Sprintf("or send %s: %s (Python: %s)", unitName(st.unit), scale(), pythonNow(st.unit)))
	case ctx.Format == "json":
		format := map[time.Duration]string{time.Second: "unix", time.Millisecond: "unix_ms", time.Microsecond: "unix_us", time.Nanosecond: "unix_ns"}[want]
		fixes = append(fixes, ctx.settings().set(opt{"json_time_format", format}),
			fmt.Sprintf("or send %s: %s (Python: %s)", unitName(st.unit), scale(), pythonNow(st.unit)))
	default:
		fixes = append(fixes, "send seconds as 10 digits (Python: int(time.time()))")
	}
	ctx.Report(msg, offsetPosition(ctx.Record.Data, st.off), fixes...).Token = unitName(want) + " read as " + unitName(st.unit)
}

// firstMisread is the first timestamp the sender set whose digits look like
// another unit than the one it is read in, that unit, and how many of the
// record's timestamps look misread: what timestamp-unit and, on the InfluxDB
// listeners, http-precision-mismatch report.
func firstMisread(ctx *Context, now time.Time) (first stamp, want time.Duration, n int, ok bool) {
	for _, st := range ctx.sentStamps() {
		u, found := probableUnit(st, now)
		if !found {
			continue
		}
		n++
		if !ok {
			first, want, ok = st, u, true
		}
	}
	return first, want, n, ok
}
