package parse

import (
	"math"
	"strconv"
	"time"
)

// Did the sender set the timestamp? senderStamps is fakegraf's one answer:
// Result.SenderSetTime (which golden files ask) and the timestamp rules
// (rule_timestamp_*.go, rule_precision_loss.go) use it, and so
// do the helpers below that the timestamp rules share.

// stamp is the time of one metric: whether the sender wrote it, where, and
// what Telegraf made of it.
type stamp struct {
	set   bool   // the sender set it; else the parser stamped the time it parsed the record
	raw   string // as written; "" when the record does not show it (or it is no number)
	off   int
	value int64
	unit  time.Duration // the unit Telegraf read it in; 0 for a layout
	got   time.Time     // the metric's time as parsed
}

// senderStamps says, for each metric the record parsed into (f.parsed, in
// the parser's order), whether its sender set the timestamp, and where. It
// maps metrics to lines (influx, wavefront) or objects (json) by order,
// which holds for a record that parsed; when the counts differ nothing is
// known and every metric counts as stamped by the parser, the answer that
// keeps golden files stable.
func (f *facts) senderStamps() []stamp {
	st, parsed := f.stage, f.parsed
	out := make([]stamp, len(parsed))
	for i := range out {
		out[i].got = parsed[i].Time()
	}
	switch {
	case isInflux(st.Format):
		lines := f.influxMetricLines()
		if len(lines) != len(parsed) {
			return out
		}
		unit := influxPrecision(f.parserOrStage())
		for i, l := range lines {
			if l.TSOff < 0 {
				continue
			}
			out[i].set = true
			if v, err := strconv.ParseInt(l.TS, 10, 64); err == nil {
				out[i].raw, out[i].off, out[i].value, out[i].unit = l.TS, l.TSOff, v, unit
			}
		}
	case st.Format == "wavefront":
		lines := f.wavefront()
		if len(lines) != len(parsed) {
			return out
		}
		for i, l := range lines {
			v, err := strconv.ParseInt(l.TS.Text, 10, 64)
			if l.TS.Off < 0 || err != nil {
				continue
			}
			// plugins/parsers/wavefront/element.go setTimestamp: 10, 13, 16
			// or 19 digits are a time; any other count must be 0, which
			// means now.
			unit, known := wavefrontUnit(len(l.TS.Text))
			if !known && v == 0 {
				continue
			}
			out[i] = stamp{set: true, raw: l.TS.Text, off: l.TS.Off, value: v, unit: unit, got: out[i].got}
		}
	case st.Format == "json":
		jp := jsonOptions(st)
		if jp == nil || jp.TimeKey == "" {
			return out
		}
		// The parser fails a record whose object lacks json_time_key
		// (plugins/parsers/json/parser.go parseObject): every metric has
		// the sender's time.
		for i := range out {
			out[i].set = true
		}
		doc := f.json()
		if doc == nil || len(doc.Objects) != len(parsed) {
			return out
		}
		unit := unitsByFormat[jp.TimeFormat]
		for i, o := range doc.Objects {
			for _, lf := range o.Leaves {
				if lf.Key != jp.TimeKey {
					continue
				}
				text := lf.Raw
				if lf.Kind == 's' {
					text = lf.Str
				}
				if unit != 0 {
					x, err := strconv.ParseFloat(text, 64)
					if err != nil || math.Abs(x) > 9e18 {
						continue
					}
					out[i].value = int64(x)
					if v, err := strconv.ParseInt(text, 10, 64); err == nil {
						out[i].value = v
					}
				}
				out[i].raw, out[i].off, out[i].unit = text, lf.ValueOff, unit
			}
		}
	}
	return out
}

// senderTimes is senderStamps for Result.SenderSetTime, which runs after
// the pipeline has moved on and lexes the record again.
func senderTimes(r *Result) []bool {
	out := make([]bool, len(r.Parsed))
	f := &facts{data: r.Record.Data, format: r.Format, stage: r.stage, parser: r.parser, parsed: r.Parsed, err: r.Err}
	for i, st := range f.senderStamps() {
		out[i] = st.set
	}
	return out
}

// unitHorizon: a timestamp further than this from now in the unit Telegraf
// reads it in, but within it in another unit, has the wrong unit. Units are
// 1000x apart, so at most one can land within a decade of now.
const unitHorizon = 10 * 365 * 24 * time.Hour

var (
	unitsByFormat = map[string]time.Duration{"unix": time.Second, "unix_ms": time.Millisecond, "unix_us": time.Microsecond, "unix_ns": time.Nanosecond}
	allUnits      = []time.Duration{time.Second, time.Millisecond, time.Microsecond, time.Nanosecond}
)

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

// allNear reports whether every parsed metric's time is inside the skew
// window around now. Then no timestamp is in a wrong unit or skewed, and the
// record need not be lexed: the common case costs a few comparisons.
func allNear(ctx *Context, now time.Time) bool {
	w := ctx.Rules.TimestampWindow
	// Whole seconds first: a time whose second lies strictly inside the
	// window's seconds is inside the window whatever its nanoseconds. Sub
	// guards against overflow with an Add and an Equal, which were a third
	// of what the timestamp rules cost a clean record; only a time within
	// a second of the window's edges needs it.
	lo := now.Unix() - int64(w.Past/time.Second) + 1
	hi := now.Unix() + int64(w.Future/time.Second) - 1
	for _, m := range ctx.Parsed {
		t := m.Time()
		if s := t.Unix(); s >= lo && s <= hi {
			continue
		}
		if d := t.Sub(now); d < -w.Past || d > w.Future {
			return false
		}
	}
	return true
}

func receiveTime(ctx *Context) time.Time {
	if t := ctx.Record.Received; !t.IsZero() {
		return t
	}
	return time.Now()
}
