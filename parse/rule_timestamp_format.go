package parse

import (
	"fmt"
	"regexp"
	"strings"
)

const ruleTimestampFormat = "timestamp-format"

func init() {
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
		Bad:      "prefix_metric_name.value1 10 1700000000.123456 source=localhost",
		Good:     "prefix_metric_name.value1 10 1700000000 source=localhost   # int(time.time())",
		Requires: []Fact{FactInflux, FactWavefront},
		Only:     Only{Failed: true},
		Check:    checkTimestampFormat,
		Cases: []Case{
			{Name: "influx fraction", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1 ∑1700000000.5\n"}}, Want: []Want{{"parse-error", Error, anyPos}, {"timestamp-format", Error, 1}}},
			{Name: "wavefront fraction", Config: caseWavefrontUDP, Records: []Rec{{Data: "a.b 10 ∑1700000000.25 source=a\n"}}, Want: []Want{{"parse-error", Error, anyPos}, {"timestamp-format", Error, 1}}},
			{Name: "wavefront nine digits", Config: caseWavefrontUDP, Records: []Rec{{Data: "a.b 10 ∑999999999 source=a\n"}}, Want: []Want{{"parse-error", Error, anyPos}, {"timestamp-format", Error, 1}}},
			{Name: "near miss: wavefront zero means now", Config: caseWavefrontUDP, Records: []Rec{{Data: "a.b 10 0 source=a\n"}}},
		},
	})
}

var fractionalTS = regexp.MustCompile(`^[+-]?[0-9]*\.[0-9]*([eE][+-]?[0-9]+)?$|^[+-]?[0-9]+[eE][+-]?[0-9]+$`)

func checkTimestampFormat(ctx *Context) {
	if ctx.Err == nil {
		return
	}
	data := ctx.Record.Data
	switch {
	case isInflux(ctx.Format):
		unit := influxPrecision(ctx.parser())
		for _, l := range ctx.influx() {
			if l.Comment || !fractionalTS.MatchString(l.TS) {
				continue
			}
			ctx.Report(fmt.Sprintf("timestamp %q is not an integer: line-protocol timestamps are whole %s, so Telegraf rejects the line", l.TS, unitName(unit)),
				offsetPosition(data, l.TSOff),
				fmt.Sprintf("send an integer number of %s (Python: %s)", unitName(unit), pythonNow(unit)))
			return
		}
	case ctx.Format == "wavefront":
		for _, l := range ctx.wavefront() {
			ts := l.TS.Text
			if l.TS.Off < 0 || strings.Trim(ts, "0") == "" {
				continue
			}
			pos := offsetPosition(data, l.TS.Off)
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
