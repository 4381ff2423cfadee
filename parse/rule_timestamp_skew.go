package parse

import (
	"fmt"
	"time"
)

const ruleTimestampSkew = "timestamp-skew"

func init() {
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
		Bad:      "cpu value=1 1500000000000000000   # 2017, sent in 2026",
		Good:     "cpu value=1   # no timestamp: Telegraf stamps the time it parsed the record",
		Requires: []Fact{FactSentStamps, FactAllNear},
		Only:     Only{Parsed: true},
		Check:    checkTimestampSkew,
		Cases: []Case{
			{Name: "two years back", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1 ∑{ago_ns:17520h}\n"}}, Want: []Want{{"timestamp-skew", Warning, 1}}},
			{Name: "three hours ahead", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1 ∑{ago_ns:-3h}\n"}}, Want: []Want{{"timestamp-skew", Warning, 1}}},
			{Name: "a counter in the timestamp slot", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1 ∑42\n"}}, Want: []Want{{"timestamp-skew", Warning, 1}}},
			{Name: "near miss: a month back", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1 {ago_ns:720h}\n"}}},
			{Name: "near miss: ten minutes ahead", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1 {ago_ns:-10m}\n"}}},
		},
	})
}

func checkTimestampSkew(ctx *Context) {
	if ctx.allNear() {
		return
	}
	now := receiveTime(ctx)
	w := ctx.Rules.TimestampWindow
	for _, st := range ctx.sentStamps() {
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
				fixes[0] = "name the sender's time zone, e.g. " + ctx.settings().set(opt{"json_timezone", "Europe/Berlin"}) + ", or send UTC"
			} else {
				fixes[0] = "compute the timestamp from UTC (Python: time.time(), not a local datetime's naive timestamp)"
			}
		}
		ctx.Report(msg, offsetPosition(ctx.Record.Data, st.off), fixes...)
		return
	}
}
