package parse

import (
	"bytes"
	"fmt"
	"strings"
)

const ruleParseError = "parse-error"

func init() {
	Register(&Rule{
		ID:       ruleParseError,
		Severity: Error,
		Title:    "Telegraf's parser rejects the record",
		Doc: "socket_listener hands each record (a datagram, or one line of a stream) to the parser in one " +
			"Parse call and, on an error, logs it and drops the whole record " +
			"(plugins/inputs/socket_listener/socket_listener.go onData). The influx and wavefront parsers stop " +
			"at the first bad line (plugins/parsers/influx/parser.go Parse), so one bad line in a datagram loses " +
			"every good line sent with it. The finding carries Telegraf's own message and counts the good " +
			"metrics that went down with the bad line.",
		Bad:   "cpu,host=a usage=1\ncpu host=b usage=2\n   (one datagram)",
		Good:  "cpu,host=a usage=1\ncpu,host=b usage=2\n",
		Check: checkParseError,
		Cases: []Case{
			{Name: "influx field without a value", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu usage=∑\n"}}, Want: []Want{{"parse-error", Error, 1}}},
			{Name: "near miss: valid line protocol", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu usage=1\n"}}},
		},
	})
}

// wavefrontErrorPosition finds where Telegraf's wavefront parser stopped.
// Its errors carry no position (plugins/parsers/wavefront/element.go).
// The parser reads the record line by line, each on its own, and stops at
// the first line that fails (parser.go Parse), so fakegraf finds that line
// by parsing line by line, then the token the error names after the metric
// name, where the parser was when it failed.
func wavefrontErrorPosition(ctx *Context) Position {
	data := ctx.Record.Data
	f := wavefrontFailureOf(ctx.Err)
	for start := 0; start < len(data); {
		end := bytes.IndexByte(data[start:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += start
		}
		line := data[start:end]
		if len(bytes.TrimSpace(line)) > 0 {
			if _, err := safeParse(ctx.Stage.Parser, line); err != nil {
				return offsetPosition(data, start+wavefrontErrorColumn(line, f))
			}
		}
		start = end + 1
	}
	return Position{}
}

// wavefrontErrorColumn is the offset in one line of the token a failure of
// Telegraf's wavefront parser names, or 0 (the start of the line). The
// line's tokens are lexWavefront's (wfTokens), quotes grouping as the
// parser groups them.
func wavefrontErrorColumn(line []byte, f wavefrontFailure) int {
	toks := wfTokens(line, 0)
	nameEnd := len(line)
	if len(toks) > 0 {
		nameEnd = toks[0].Off + len(toks[0].Text)
	}
	switch f.Kind {
	case wfEOF:
		return len(bytes.TrimRight(line, " \t\r")) // the line ended where the parser wanted a value
	case wfDeltaInName:
		return max(bytes.Index(line[:nameEnd], []byte("\u2206")), bytes.Index(line[:nameEnd], []byte("\u0394")), 0)
	case wfQuoteInLiteral:
		return max(bytes.LastIndexByte(line[:nameEnd], '"'), 0)
	case wfBadTimestamp:
		if len(toks) > 2 {
			return toks[2].Off
		}
		return 0
	case wfBadValue, wfFound:
	default:
		return 0
	}
	if strings.TrimSpace(f.Found) != "" {
		if i := bytes.Index(line[nameEnd:], []byte(f.Found)); i >= 0 {
			return nameEnd + i
		}
	}
	if f.Kind == wfBadValue && f.Found == "" {
		// The scanner ended the name at a character it does not take
		// (':' or '|' from statsd habits) and found no value there.
		if i := bytes.IndexAny(line[:nameEnd], ":|"); i >= 0 {
			return i
		}
		return nameEnd
	}
	switch f.Want {
	case "equals":
		// The first token after the value that is neither a timestamp nor
		// key=value: a tag without its '='.
		for _, t := range toks[min(2, len(toks)):] {
			if w := strings.TrimRight(t.Text, "\r"); !strings.Contains(w, "=") && !isDigits(w) {
				return t.Off
			}
		}
	case "quotes":
		if i := bytes.LastIndexByte(line, '"'); i >= 0 {
			return i
		}
	}
	return len(bytes.TrimRight(line, " \t\r\n"))
}

func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(s) > 0
}

func checkParseError(ctx *Context) {
	if ctx.Err == nil {
		return
	}
	pos := errorPosition(ctx.Record.Data, ctx.Err)
	if pos == (Position{}) && ctx.Format == "wavefront" {
		pos = wavefrontErrorPosition(ctx)
	}
	msg := ctx.Err.Error()
	good, lines := salvage(ctx)
	var fixes []string
	if good > 0 {
		msg += fmt.Sprintf(" (%d good metric(s) in the same record were lost with it)", good)
		fixes = append(fixes, "fix the bad line: Telegraf drops the whole record when one line in it is bad")
	}
	if lines > 1 && !ctx.Record.Stream {
		fixes = append(fixes, "send one record per datagram, so that a bad one loses only itself")
	}
	if len(fixes) == 0 {
		fixes = append(fixes, fmt.Sprintf("make the record valid %s", formatTitle(ctx.Format)))
	}
	ctx.Report(msg, pos, fixes...)
}

// salvage parses a failed multi-line record line by line and counts the
// metrics the good lines would have given: what the bad line cost.
func salvage(ctx *Context) (good, lines int) {
	data := ctx.Record.Data
	if ctx.Format == "value" || !bytes.Contains(bytes.TrimSpace(data), []byte("\n")) {
		return 0, 1
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		lines++
		ms, err := safeParse(ctx.Stage.Parser, line)
		if err == nil {
			good += len(ms)
		}
	}
	return good, lines
}
