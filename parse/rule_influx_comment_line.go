package parse

import (
	"bytes"
	"fmt"
)

const ruleInfluxComment = "influx-comment-line"

func init() {
	Register(&Rule{
		ID:       ruleInfluxComment,
		Severity: Warning,
		Title:    "a line-protocol line starting with # is dropped as a comment",
		Doc: "Telegraf's influx parsers treat a line whose first non-blank character is '#' as a comment " +
			"(plugins/parsers/influx/machine.go.rl) and skip it without an error, so a metric named \"#cpu\" " +
			"or a line commented out by mistake never arrives. fakegraf reports comment lines that would parse " +
			"as line protocol without the '#'.",
		Bad:      "#cpu,host=a usage=1",
		Good:     "cpu,host=a usage=1",
		Requires: []Fact{FactInflux},
		Only:     Only{Formats: influxFormats},
		Check:    checkInfluxComment,
		Cases: []Case{
			{Name: "commented metric", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1\n∑#cpu v=2\n"}}, Want: []Want{{"influx-comment-line", Warning, 1}}},
			{Name: "near miss: a real comment", Config: caseInfluxUDP, Records: []Rec{{Data: "# cpu load, sent every second\ncpu v=1\n"}}},
			{Name: "near miss: a name ending in a backslash", Config: caseInfluxTCP, Records: []Rec{{Data: "cpu v=1"}, {Data: "#a\\"}}},
		},
	})
}

func checkInfluxComment(ctx *Context) {
	if !isInflux(ctx.Format) || !bytes.Contains(ctx.Record.Data, []byte("#")) {
		return // no comment line: don't lex the record
	}
	data := ctx.Record.Data
	for _, l := range ctx.influx() {
		if !l.Comment {
			continue
		}
		line := data[l.Off:l.End]
		rest := bytes.TrimLeft(bytes.TrimPrefix(line, []byte("#")), "# ")
		if _, repeats := nameEndsInEscape(rest); len(rest) == 0 || repeats {
			continue // without the '#' no metric of its own either (name-ends-in-escape)
		}
		if ms, err := safeParse(ctx.parser(), rest); err != nil || len(ms) == 0 {
			continue
		}
		ctx.Report(fmt.Sprintf("line %q starts with '#', so Telegraf skips it as a comment and the metric is never stored", shortRaw(string(line))),
			offsetPosition(data, l.Off),
			fmt.Sprintf("remove the leading '#': send %q (a measurement name cannot start with '#')", shortRaw(string(rest))))
		return
	}
}
