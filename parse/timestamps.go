package parse

import (
	"math"
	"strconv"
	"time"
)

// Did the sender set the timestamp? senderStamps is fakegraf's one answer:
// Result.SenderSetTime (which golden files ask) and the timestamp rules
// (rules_time.go) both use it.

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

// senderStamps says, for each metric the record parsed into (parsed, in
// the parser's order), whether its sender set the timestamp, and where. It
// maps metrics to lines (influx, wavefront) or objects (json) by order,
// which holds for a record that parsed; when the counts differ nothing is
// known and every metric counts as stamped by the parser, the answer that
// keeps golden files stable.
func senderStamps(syn *recordSyntax, st *Stage, parsed []ParsedMetric) []stamp {
	out := make([]stamp, len(parsed))
	for i := range out {
		out[i].got = parsed[i].Time()
	}
	switch {
	case isInflux(st.Format):
		lines := syn.influxMetricLines()
		if len(lines) != len(parsed) {
			return out
		}
		unit := influxPrecision(st)
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
		lines := syn.wavefront()
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
		doc := syn.json(st)
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
					f, err := strconv.ParseFloat(text, 64)
					if err != nil || math.Abs(f) > 9e18 {
						continue
					}
					out[i].value = int64(f)
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
	for i, st := range senderStamps(&recordSyntax{res: r}, r.stage, r.Parsed) {
		out[i] = st.set
	}
	return out
}
