package parse

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
)

// Rules about the timestamps senders put in their records.

const (
	ruleTimestampUnit   = "timestamp-unit"
	ruleTimestampSkew   = "timestamp-skew"
	ruleTimestampFormat = "timestamp-format"
)

// Window is how far from the time a record arrived a sender's timestamp may
// lie before timestamp-skew reports it.
type Window struct {
	Past, Future time.Duration
}

// unitHorizon: a timestamp further than this from now in the unit Telegraf
// reads it in, but within it in another unit, has the wrong unit. Units are
// 1000x apart, so at most one can land within a decade of now.
const unitHorizon = 10 * 365 * 24 * time.Hour

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
		Bad:   "good_metric_name,format=influxline value1=10 1700000000000   # milliseconds",
		Good:  "good_metric_name,format=influxline value1=10 1700000000000000000   # or influx_timestamp_precision = \"1ms\"",
		Check: checkTimestampUnit,
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
	Register(&Rule{
		ID:       ruleTimestampSkew,
		Severity: Warning,
		Title:    "a timestamp in the right unit but far from the time the record arrived",
		Doc: "Telegraf keeps the sender's timestamp as it is, with no range check (plugins/parsers/influx/handler.go " +
			"SetTimestamp, plugins/parsers/wavefront/element.go setTimestamp). A point more than a year older than the time it " +
			"arrived, or more than an hour in the future, is usually a wrong clock, a local time sent as UTC, or " +
			"a counter in the timestamp slot, and it lands where no dashboard of recent data looks (and may be " +
			"dropped by the retention policy at once). A whole-hour offset points at a time zone. The window is " +
			"the rule set's TimestampWindow.",
		Bad:   "cpu value=1 1500000000000000000   # 2017, sent in 2026",
		Good:  "cpu value=1   # no timestamp: Telegraf stamps the time it parsed the record",
		Check: checkTimestampSkew,
		Cases: []Case{
			{Name: "two years back", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1 ∑{ago_ns:17520h}\n"}}, Want: []Want{{"timestamp-skew", Warning, 1}}},
			{Name: "three hours ahead", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1 ∑{ago_ns:-3h}\n"}}, Want: []Want{{"timestamp-skew", Warning, 1}}},
			{Name: "a counter in the timestamp slot", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1 ∑42\n"}}, Want: []Want{{"timestamp-skew", Warning, 1}}},
			{Name: "near miss: a month back", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1 {ago_ns:720h}\n"}}},
			{Name: "near miss: ten minutes ahead", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1 {ago_ns:-10m}\n"}}},
		},
	})
	Register(&Rule{
		ID:       ruleTimestampFormat,
		Severity: Error,
		Title:    "a timestamp Telegraf cannot read: fractional, or a digit count Wavefront does not know",
		Doc: "Line-protocol timestamps are integers: Telegraf's influx parser rejects 1700000000.5 with " +
			"\"expected timestamp\". Telegraf's wavefront parser takes 10 (s), 13 (ms), 16 (µs) or 19 (ns) " +
			"digits and rejects any other length with \"invalid timestamp\" (plugins/parsers/wavefront/element.go " +
			"setTimestamp): seconds before 2001 have 9 digits. A fractional Wavefront timestamp, as Python's " +
			"time.time() gives, fails with the misleading \"found \\\" \\\", expected equals\". Either way the whole " +
			"record is lost.",
		Bad:   "prefix_metric_name.value1 10 1700000000.123456 source=localhost",
		Good:  "prefix_metric_name.value1 10 1700000000 source=localhost   # int(time.time())",
		Check: checkTimestampFormat,
		Cases: []Case{
			{Name: "influx fraction", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1 ∑1700000000.5\n"}}, Want: []Want{{"parse-error", Error, AnyPos}, {"timestamp-format", Error, 1}}},
			{Name: "wavefront fraction", Config: caseWavefrontUDP, Records: []Rec{{Data: "a.b 10 ∑1700000000.25 source=a\n"}}, Want: []Want{{"parse-error", Error, AnyPos}, {"timestamp-format", Error, 1}}},
			{Name: "wavefront nine digits", Config: caseWavefrontUDP, Records: []Rec{{Data: "a.b 10 ∑999999999 source=a\n"}}, Want: []Want{{"parse-error", Error, AnyPos}, {"timestamp-format", Error, 1}}},
			{Name: "near miss: wavefront zero means now", Config: caseWavefrontUDP, Records: []Rec{{Data: "a.b 10 0 source=a\n"}}},
		},
	})
}

var (
	unitsByFormat = map[string]time.Duration{"unix": time.Second, "unix_ms": time.Millisecond, "unix_us": time.Microsecond, "unix_ns": time.Nanosecond}
	allUnits      = []time.Duration{time.Second, time.Millisecond, time.Microsecond, time.Nanosecond}
)

// sentStamps lists the timestamps the record shows the sender wrote, for
// records that parsed. Metrics without one got the time Telegraf parsed them.
func sentStamps(ctx *Context) []stamp {
	if ctx.Err != nil || len(ctx.Parsed) == 0 {
		return nil
	}
	var out []stamp
	for _, st := range senderStamps(syntaxOf(ctx), ctx.Stage, ctx.Parsed) {
		if st.set && st.raw != "" {
			out = append(out, st)
		}
	}
	return out
}

// wavefrontUnit is the unit of a Wavefront timestamp by its digit count,
// and whether setTimestamp (plugins/parsers/wavefront/element.go) knows the
// count; it reads any other as seconds, and rejects it unless it is 0.
func wavefrontUnit(digits int) (time.Duration, bool) {
	switch digits {
	case 10:
		return time.Second, true
	case 13:
		return time.Millisecond, true
	case 16:
		return time.Microsecond, true
	case 19:
		return time.Nanosecond, true
	}
	return time.Second, false
}

func inUnit(v int64, u time.Duration) time.Time {
	switch u {
	case time.Second:
		return time.Unix(v, 0)
	case time.Millisecond:
		return time.UnixMilli(v)
	case time.Microsecond:
		return time.UnixMicro(v)
	}
	return time.Unix(0, v)
}

func unitName(u time.Duration) string {
	switch u {
	case time.Second:
		return "seconds"
	case time.Millisecond:
		return "milliseconds"
	case time.Microsecond:
		return "microseconds"
	}
	return "nanoseconds"
}

func within(t, now time.Time, d time.Duration) bool {
	diff := t.Sub(now)
	return diff > -d && diff < d
}

// probableUnit reports the unit that puts a timestamp near now when the
// unit Telegraf used puts it decades away.
func probableUnit(st stamp, now time.Time) (time.Duration, bool) {
	// value*unit past int64 wraps around (influx/handler.go SetTimestamp
	// multiplies unchecked) and can land anywhere, even near now: an
	// overflow is always the wrong unit.
	overflow := st.unit > time.Nanosecond && (st.value > math.MaxInt64/int64(st.unit) || st.value < math.MinInt64/int64(st.unit))
	if st.unit == 0 || !overflow && within(st.got, now, unitHorizon) {
		return 0, false
	}
	var found []time.Duration
	for _, u := range allUnits {
		if u != st.unit && within(inUnit(st.value, u), now, unitHorizon) {
			found = append(found, u)
		}
	}
	if len(found) != 1 {
		return 0, false
	}
	return found[0], true
}

// pythonNow is how a Python sender gets the current time in a unit.
func pythonNow(u time.Duration) string {
	switch u {
	case time.Second:
		return "int(time.time())"
	case time.Millisecond:
		return "time.time_ns() // 1_000_000"
	case time.Microsecond:
		return "time.time_ns() // 1_000"
	}
	return "time.time_ns()"
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

// allNear reports whether every parsed metric's time is inside the skew
// window around now. Then no timestamp is in a wrong unit or skewed, and the
// record need not be lexed: the common case costs a few comparisons.
func allNear(ctx *Context, now time.Time) bool {
	w := ctx.Rules.TimestampWindow
	for _, m := range ctx.Parsed {
		if d := m.Time().Sub(now); d < -w.Past || d > w.Future {
			return false
		}
	}
	return true
}

// readUnit is the unit Telegraf multiplies sent timestamps by, where that
// multiplication can overflow and wrap to any date, even a near one.
func readUnit(ctx *Context) time.Duration {
	switch {
	case isInflux(ctx.Format):
		return influxPrecision(ctx.Stage)
	case ctx.Format == "json":
		if jp := jsonOptions(ctx.Stage); jp != nil && jp.TimeKey != "" {
			return unitsByFormat[jp.TimeFormat]
		}
	}
	return time.Nanosecond
}

func checkTimestampUnit(ctx *Context) {
	now := receiveTime(ctx)
	if readUnit(ctx) <= time.Nanosecond && allNear(ctx, now) {
		return // nothing can have wrapped around, and every time is near
	}
	var first *stamp
	var want time.Duration
	n := 0
	for _, st := range sentStamps(ctx) {
		u, ok := probableUnit(st, now)
		if !ok {
			continue
		}
		n++
		if first == nil {
			st := st
			first, want = &st, u
		}
	}
	if first == nil {
		return
	}
	st := *first
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
			fixes = append(fixes, fmt.Sprintf("remove influx_timestamp_precision from %s: Telegraf then reads nanoseconds", section(ctx)))
		} else {
			fixes = append(fixes, fmt.Sprintf("set influx_timestamp_precision = %q in %s", precisionOption(want), section(ctx)))
		}
		fixes = append(fixes, fmt.Sprintf("or send %s: %s (Python: %s)", unitName(st.unit), scale(), pythonNow(st.unit)))
	case ctx.Format == "json":
		format := map[time.Duration]string{time.Second: "unix", time.Millisecond: "unix_ms", time.Microsecond: "unix_us", time.Nanosecond: "unix_ns"}[want]
		fixes = append(fixes, fmt.Sprintf("set json_time_format = %q in %s", format, section(ctx)),
			fmt.Sprintf("or send %s: %s (Python: %s)", unitName(st.unit), scale(), pythonNow(st.unit)))
	default:
		fixes = append(fixes, "send seconds as 10 digits (Python: int(time.time()))")
	}
	ctx.Report(msg, OffsetPosition(ctx.Record.Data, st.off), fixes...)
}

func checkTimestampSkew(ctx *Context) {
	now := receiveTime(ctx)
	if allNear(ctx, now) {
		return
	}
	w := ctx.Rules.TimestampWindow
	for _, st := range sentStamps(ctx) {
		if _, wrongUnit := probableUnit(st, now); wrongUnit {
			continue
		}
		d := st.got.Sub(now)
		if d >= -w.Past && d <= w.Future {
			continue
		}
		msg := fmt.Sprintf("timestamp %s puts the point at %s, %s it arrived", st.raw, st.got.UTC().Format(time.RFC3339Nano), ago(st.got, now))
		fixes := []string{
			"check the sender's clock (run NTP) and send UTC epoch time",
			"or leave the timestamp out: Telegraf then stamps the time it parsed the record",
		}
		abs := d.Abs()
		if off := abs.Round(time.Hour); abs >= 50*time.Minute && abs <= 15*time.Hour && (abs-off).Abs() <= 2*time.Minute {
			msg += fmt.Sprintf(": the offset is a whole %s, the mark of a local time sent as UTC", plural(int(off/time.Hour), "hour", "hours"))
			if st.unit == 0 {
				fixes[0] = "set json_timezone to the sender's time zone (e.g. json_timezone = \"Europe/Berlin\"), or send UTC"
			} else {
				fixes[0] = "compute the timestamp from UTC (Python: time.time(), not a local datetime's naive timestamp)"
			}
		}
		ctx.Report(msg, OffsetPosition(ctx.Record.Data, st.off), fixes...)
		return
	}
}

var fractionalTS = regexp.MustCompile(`^[+-]?[0-9]*\.[0-9]*([eE][+-]?[0-9]+)?$|^[+-]?[0-9]+[eE][+-]?[0-9]+$`)

func checkTimestampFormat(ctx *Context) {
	if ctx.Err == nil {
		return
	}
	data := ctx.Record.Data
	switch {
	case isInflux(ctx.Format):
		unit := influxPrecision(ctx.Stage)
		for _, l := range syntaxOf(ctx).influx() {
			if l.Comment || !fractionalTS.MatchString(l.TS) {
				continue
			}
			ctx.Report(fmt.Sprintf("timestamp %q is not an integer: line-protocol timestamps are whole %s, so Telegraf rejects the line", l.TS, unitName(unit)),
				OffsetPosition(data, l.TSOff),
				fmt.Sprintf("send an integer number of %s (Python: %s)", unitName(unit), pythonNow(unit)))
			return
		}
	case ctx.Format == "wavefront":
		for _, l := range syntaxOf(ctx).wavefront() {
			ts := l.TS.Text
			if l.TS.Off < 0 || strings.Trim(ts, "0") == "" {
				continue
			}
			pos := OffsetPosition(data, l.TS.Off)
			if fractionalTS.MatchString(ts) {
				ctx.Report(fmt.Sprintf("timestamp %q has a fraction: Telegraf's wavefront parser takes whole numbers only and rejects the line (with the misleading \"found \\\" \\\", expected equals\")", ts),
					pos, "send whole seconds: int(time.time()), not time.time()")
				return
			}
			switch len(strings.TrimLeft(ts, "+-")) {
			case 10, 13, 16, 19:
				continue
			}
			ctx.Report(fmt.Sprintf("timestamp %q has %d digits: Telegraf's wavefront parser reads 10 (s), 13 (ms), 16 (µs) or 19 (ns) digits and rejects the line (invalid timestamp)", ts, len(ts)),
				pos, "send seconds as 10 digits: int(time.time())")
			return
		}
	}
}
