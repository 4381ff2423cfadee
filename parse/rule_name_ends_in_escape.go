package parse

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/influxdata/telegraf"
)

const ruleNameEndsInEscape = "name-ends-in-escape"

func init() {
	Register(&Rule{
		ID:       ruleNameEndsInEscape,
		Severity: Error,
		Title:    "a line that is a name ending in a backslash: Telegraf stores the metric before it again",
		Doc: "Telegraf's influx parser reads a record whose last line is a bare measurement name ending in a " +
			"backslash (`a\\`, a backslash that escapes the end of the buffer) without an error, but makes no " +
			"metric of it: it returns the metric its parser made last again (plugins/parsers/influx/parser.go " +
			"Parse appends handler.Metric() after every line, and handler.go keeps the previous metric). So the " +
			"line is lost, and a metric the sender did not send in it is stored a second time, with the input's " +
			"name_prefix or name_suffix applied to it twice (p_p_cpu): Telegraf changes the metric it stored " +
			"before, so if its output has not written that one yet, both are written so. When the parser has " +
			"made no metric yet, it crashes on the line instead (a nil metric, handler.go Metric); Telegraf's " +
			"parse pool recovers and the record is lost. " +
			"Which metric comes back depends on the order in which the input's parser saw the records, which " +
			"with several connections is the order Telegraf scheduled them in. The influx_upstream parser " +
			"rejects the line.",
		Bad:   "cpu,host=a usage=1\na\\",
		Good:  "cpu,host=a usage=1\na\\\\ usage=2",
		Only:  Only{Formats: []string{"influx"}},
		Check: checkNameEndsInEscape,
		Cases: []Case{
			{Name: "a record of its own", Config: caseInfluxTCP, Records: []Rec{{Data: "cpu,host=a v=1"}, {Data: "∑a\\"}}, Want: []Want{{ruleNameEndsInEscape, Error, 1}}},
			{Name: "the last line of a datagram", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1\n ∑a\\\\\\"}}, Want: []Want{{ruleNameEndsInEscape, Error, 1}}},
			{Name: "the first record: the parser crashes", Config: caseInfluxTCP, Records: []Rec{{Data: "∑\\"}}, Want: []Want{{ruleNameEndsInEscape, Error, 1}, {"parse-error", Error, anyPos}}},
			{Name: "near miss: an escaped backslash and a field", Config: caseInfluxTCP, Records: []Rec{{Data: "cpu v=1"}, {Data: "a\\\\ v=1"}}},
			{Name: "near miss: a comment", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1\n#a\\"}}},
			{Name: "near miss: a newline after it", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1\na\\\n"}}, Want: []Want{{"parse-error", Error, anyPos}}},
		},
	})
}

func checkNameEndsInEscape(ctx *Context) {
	if ctx.Err != nil && !errors.Is(ctx.Err, ErrParserPanic) {
		return // another parse error: parse-error
	}
	data := ctx.Record.Data
	off, ok := nameEndsInEscape(data)
	if !ok {
		return
	}
	line := string(data[off:])
	fixes := []string{
		"drop the trailing backslash, or escape it as \\\\ and give the metric a field: " + shortRaw(line) + "\\ value=1",
	}
	if ctx.Err != nil {
		ctx.Report(fmt.Sprintf("line %q is a measurement name ending in a backslash that escapes the end of the record: Telegraf's influx parser, having made no metric yet, crashes on it, and the record is lost",
			shortRaw(line)), offsetPosition(data, off), fixes...)
		return
	}
	again := "the metric it made last"
	if n := len(ctx.Metrics); n > 0 {
		again = fmt.Sprintf("the metric it made last (here %s)", shortRaw(seriesKey(ctx.Metrics[n-1])))
	}
	ctx.Report(fmt.Sprintf("line %q is a measurement name ending in a backslash that escapes the end of the record: Telegraf's influx parser makes no metric of it and stores %s again, so the line is lost and that metric is stored twice",
		shortRaw(line), again), offsetPosition(data, off), fixes...)
}

// seriesKey is m's measurement and tags, as line protocol writes them
// unescaped: enough to tell which metric came back.
func seriesKey(m telegraf.Metric) string {
	var b strings.Builder
	b.WriteString(m.Name())
	for _, t := range m.TagList() {
		b.WriteString("," + t.Key + "=" + t.Value)
	}
	return b.String()
}

// nameEndsInEscape finds the last line of data when it is what Telegraf's
// influx parser accepts without making a metric of it
// (plugins/parsers/influx/machine.go.rl): after blanks (ws, isLPSpace), a
// measurement name (measurement_chars, not starting with '#') whose last
// backslash escapes the end of the buffer. FuzzNameEndsInEscape holds it
// to the parser.
func nameEndsInEscape(data []byte) (off int, ok bool) {
	if len(data) == 0 || data[len(data)-1] != '\\' {
		return 0, false // the usual record, at the cost of one look
	}
	off = bytes.LastIndexByte(data, '\n') + 1
	for off < len(data) && isLPSpace(data[off]) {
		off++
	}
	name := data[off:]
	if len(name) == 0 || name[0] == '#' || name[len(name)-1] != '\\' {
		return 0, false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '\\' && i == len(name)-1:
			return off, true // it escapes the end of the buffer
		case c == '\\':
			if i++; name[i] != ' ' && (isLPSpace(name[i]) || name[i] == '\r') {
				return 0, false // a blank but the space cannot be escaped
			}
		case isLPSpace(c) || c == '\r' || c == ',':
			return 0, false // the name ends: a tag set or a field set follows
		}
	}
	return 0, false // the last backslash is escaped
}
