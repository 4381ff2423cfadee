package parse

import (
	"bytes"
	"fmt"
)

const ruleMissingNewline = "missing-newline"

func init() {
	Register(&Rule{
		ID:       ruleMissingNewline,
		Severity: Error,
		Title:    "stream records glued together, or the last one left without its terminator",
		Doc: "On tcp and unix sockets Telegraf splits the byte stream with bufio.ScanLines (or the configured " +
			"splitting_strategy, plugins/common/socket/splitters.go). A sender that writes records without a " +
			"terminator glues them into one record, which the parser rejects (JSON: \"invalid character '{' " +
			"after top-level value\"), and every metric in it is lost: an error. A final record without its " +
			"terminator is not lost but is delivered only when the connection closes, so it shows up late or, " +
			"with read_timeout, cut short: a warning. Datagram sockets (udp, unixgram) are never checked: a " +
			"datagram is a whole record.",
		AlsoAt: []Level{{Warning, "when only the last record lacks its terminator: it arrives late, or cut short by read_timeout"}},
		Bad:    `sock.send(json.dumps(data).encode())   # {"a":1}{"a":2} on the wire`,
		Good:   `sock.send((json.dumps(data) + "\n").encode())`,
		Only:   Only{Stream: true},
		Check:  checkMissingNewline,
		Cases: []Case{
			{Name: "influx records glued", Config: caseInfluxTCP, Records: []Rec{{Data: "good_metric_name,format=influxline value1=10,value2=5∑good_metric_name,format=influxline value1=10,value2=7"}}, Want: []Want{{"missing-newline", Error, 1}, {"parse-error", Error, anyPos}}},
			{Name: "wavefront records glued", Config: caseWavefrontTCP, Records: []Rec{{Data: "prefix_metric_name.value1 10 {now_s} source=localhost format=\"wavefront\"∑prefix_metric_name.value2 3 {now_s} source=localhost format=\"wavefront\""}}, Want: []Want{{"missing-newline", Error, 1}, {"parse-error", Error, anyPos}}},
			{Name: "the last record unterminated", Config: caseInfluxTCP, Records: []Rec{{Data: "cpu v=1∑", Unterminated: true}}, Want: []Want{{"missing-newline", Warning, 1}}},
			{Name: "near miss: pretty json is not glued", Config: caseJSONTCP, Records: []Rec{{Data: `  "a": 1,`}}, Want: []Want{{"parse-error", Error, anyPos}}},
		},
	})
}

func checkMissingNewline(ctx *Context) {
	rec := ctx.Record
	if !rec.Stream {
		return
	}
	if !rec.Terminated && len(bytes.TrimSpace(rec.Data)) > 0 {
		ctx.ReportAs(Warning,
			"the last record on the connection had no terminator: Telegraf got it only when the connection closed",
			offsetPosition(rec.Data, len(rec.Data)),
			`append "\n" after every record, the last one too`)
	}
	if ctx.Err == nil {
		return
	}
	checkGluedLines(ctx) // the same for line protocol and Wavefront
	if ctx.Format == "json" && isJSONSyntaxError(ctx.Err) {
		// Two whole values are what json.Unmarshal rejects with "invalid
		// character ... after top-level value".
		n, second := countJSONValues(rec.Data)
		if n < 2 {
			return // one line of a pretty-printed document: json-multiline
		}
		ctx.Report(fmt.Sprintf("%d JSON documents glued into one record with no newline between them: Telegraf rejects all of them", n),
			offsetPosition(rec.Data, second),
			`append "\n" after every JSON document (json.dumps(data) + "\n")`)
	}
}

// gluedLines finds line-protocol or Wavefront records written without the
// newline between them: split at every later occurrence of the first
// record's name (up to and with its last '.'), every piece parses. It returns the
// number of records and the offset of the second.
func gluedLines(ctx *Context) (int, int) {
	data := bytes.TrimSpace(ctx.Record.Data)
	lead := len(ctx.Record.Data) - len(bytes.TrimLeft(ctx.Record.Data, " \t\r\n"))
	end := bytes.IndexAny(data, " ,\t")
	if end <= 0 {
		return 0, 0
	}
	name := data[:end]
	if i := bytes.LastIndexByte(name, '.'); i > 0 {
		name = name[:i+1] // prefix.value1, prefix.value2: the common part
	}
	if len(name) < 2 {
		return 0, 0
	}
	var cuts []int
	for from := 1; len(cuts) < 64; {
		i := bytes.Index(data[from:], name)
		if i < 0 {
			break
		}
		at := from + i
		if c := data[at-1]; c != ' ' && c != '\t' && c != ',' && c != '=' && c != '\n' {
			cuts = append(cuts, at)
		}
		from = at + 1
	}
	if len(cuts) == 0 {
		return 0, 0
	}
	start := 0
	for _, c := range append(cuts, len(data)) {
		ms, err := safeParse(ctx.parser(), data[start:c])
		if err != nil || len(ms) == 0 {
			return 0, 0
		}
		start = c
	}
	return len(cuts) + 1, lead + cuts[0]
}

// checkGluedLines is missing-newline's check for line protocol and
// Wavefront on streams (checkMissingNewline handles JSON).
func checkGluedLines(ctx *Context) {
	if !isInflux(ctx.Format) && ctx.Format != "wavefront" {
		return
	}
	if n, second := gluedLines(ctx); n > 1 {
		ctx.Report(fmt.Sprintf("%d records glued into one line with no newline between them: Telegraf rejects all of them", n),
			offsetPosition(ctx.Record.Data, second),
			`append "\n" after every record`)
	}
}
