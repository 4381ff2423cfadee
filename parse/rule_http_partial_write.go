package parse

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

var lineOneRE = regexp.MustCompile(` at 1:([0-9]+)`)

const ruleHTTPPartialWrite = "http-partial-write"

func init() {
	Register(&Rule{
		ID:       ruleHTTPPartialWrite,
		Severity: Error,
		Title:    "influxdb_listener stored part of a batch and answered 400: the bad lines are lost, and a retry duplicates the rest",
		Doc: "influxdb_listener parses a write with a stream parser that skips a bad line and goes on " +
			"(influxdb_listener.go handleWriteInternalParser): it stores every good line, then answers 400 with " +
			"the first parse error (\"… (and N other parse errors)\"). The bad lines are lost. The client sees only " +
			"a 400: a client library that treats it as a rejected batch retries the whole batch and stores the good " +
			"lines again (as new points when they carry no timestamp), and one that logs and drops 4xx answers " +
			"reports nothing at all. A real InfluxDB 1.x answers a partial write 400 too, but its error reads " +
			"\"partial write: … dropped=N\", which some clients look for; Telegraf's has neither, so " + clientDiffers + ".",
		Bad:   "POST /write?db=telegraf\ncpu,host=a usage=1\ncpu,host=b usage=\ncpu,host=c usage=3",
		Good:  "POST /write?db=telegraf\ncpu,host=a usage=1\ncpu,host=b usage=2\ncpu,host=c usage=3",
		Only:  Only{HTTP: true, Plugin: true},
		Check: checkHTTPPartialWrite,
		Cases: []Case{
			{Name: "a bad line between good ones", HTTP: caseV1, Records: []Rec{{Query: "db=x", Data: "cpu,host=a usage=1\n∑cpu,host=b usage=\ncpu,host=c usage=3\n"}}, Want: []Want{{"http-partial-write", Error, 1}, {"parse-error", Error, anyPos}}},
			{Name: "two bad lines", HTTP: caseV1, Records: []Rec{{Query: "db=x", Data: "∑cpu usage=\ncpu usage=2\ncpu,x usage=3\n"}}, Want: []Want{{"http-partial-write", Error, 1}}},
			{Name: "near miss: every line bad", HTTP: caseV1, Records: []Rec{{Query: "db=x", Data: "cpu usage=\n"}}},
			{Name: "near miss: the v2 listener rejects the whole batch", HTTP: caseV2, Records: []Rec{{Query: "org=o&bucket=b", Data: "cpu usage=1\ncpu usage=\n"}}},
			{Name: "near miss: a good batch", HTTP: caseV1, Records: []Rec{{Query: "db=x", Data: "cpu usage=1\ncpu usage=2\n"}}},
		},
	})
}

// batchLine is one line of a write, as influxdb_listener's stream parser
// took it.
type batchLine struct {
	n, off int // line number from 1, offset in the body
	err    error
	good   int // metrics the line gave
}

// v1Lines parses a write line by line with the request's parser: the lines
// influxdb_listener's stream parser stored (good > 0) and skipped (err).
func v1Lines(ctx *Context) []batchLine {
	var out []batchLine
	data := ctx.Record.Data
	off := 0
	for i, line := range bytes.SplitAfter(data, []byte("\n")) {
		start := off
		off += len(line)
		text := bytes.TrimSpace(line)
		if len(text) == 0 || text[0] == '#' {
			continue
		}
		ms, err := safeParse(ctx.parser(), line)
		out = append(out, batchLine{n: i + 1, off: start, err: err, good: len(ms)})
	}
	return out
}

// partialWrite says whether the record is influxdb_listener's partial
// write: a 400 to a write of which it stored something.
func partialWrite(ctx *Context) bool {
	ex := ctx.Record.HTTP
	return httpKind(ctx) == kindV1 && ex.Path == "/write" && ex.Status == 400 &&
		ctx.Record.Plugin != nil && len(ctx.Record.Plugin.Metrics) > 0
}

func checkHTTPPartialWrite(ctx *Context) {
	if !partialWrite(ctx) {
		return
	}
	lines := v1Lines(ctx)
	var lost []string
	first := -1
	total := 0
	for _, l := range lines {
		total++
		if l.err == nil {
			continue
		}
		if first < 0 {
			first = l.off
		}
		if len(lost) < 3 {
			// The line was parsed alone: its error says line 1.
			why := lineOneRE.ReplaceAllString(l.err.Error(), fmt.Sprintf(" at %d:$1", l.n))
			lost = append(lost, fmt.Sprintf("line %d (%s)", l.n, why))
		}
	}
	nlost := 0
	for _, l := range lines {
		if l.err != nil {
			nlost++
		}
	}
	more := ""
	if nlost > len(lost) {
		more = fmt.Sprintf(" and %d more", nlost-len(lost))
	}
	stored := len(ctx.Record.Plugin.Metrics)
	msg := fmt.Sprintf("partial write: influxdb_listener stored %d metric(s) of this batch of %d line(s) and answered %s; lost: %s%s",
		stored, total, answer(ctx.Record.HTTP), strings.Join(lost, ", "), more)
	pos := Position{}
	if first >= 0 {
		pos = offsetPosition(ctx.Record.Data, first)
	}
	ctx.Report(msg, pos,
		"fix the lost line(s) and send only those again: a retry of the whole batch stores the other lines a second time (as new points when they carry no timestamp)",
		"check what your client did with this 400: a client library may have reported success (it logs and drops 4xx answers) or retried the whole batch",
		"Telegraf's error has no \"partial write:\" prefix and no dropped=N, which a real InfluxDB 1.x sends: "+clientDiffers,
	)
}
