package parse

import (
	"bytes"
	"fmt"
)

const ruleJSONMultiDoc = "json-multiple-documents"

func init() {
	Register(&Rule{
		ID:       ruleJSONMultiDoc,
		Severity: Error,
		Title:    "several JSON documents in one datagram",
		Doc: "On datagram sockets (udp, unixgram) Telegraf hands the whole datagram to the parser in one call " +
			"(plugins/common/socket/datagram.go) and never splits it at newlines, so newline-delimited JSON in one " +
			"datagram fails with \"invalid character '{' after top-level value\" and every document in it is " +
			"lost (telegraf#6025).",
		Bad:   `sock.sendto(b'{"a": 1}\n{"a": 2}\n', addr)`,
		Good:  `sock.sendto(b'[{"a": 1}, {"a": 2}]', addr)   # or one document per datagram`,
		Only:  Only{Formats: []string{"json"}, Failed: true, Datagram: true},
		Check: checkJSONMultiDoc,
		Cases: []Case{
			{Name: "ndjson datagram", Config: caseJSONOverride, Records: []Rec{{Data: "{\"v\": 1}\n∑{\"v\": 2}\n"}}, Want: []Want{{"json-multiple-documents", Error, 1}, {"parse-error", Error, anyPos}}},
			{Name: "near miss: an array", Config: caseJSONOverride, Records: []Rec{{Data: `[{"v": 1}, {"v": 2}]`}}},
		},
	})
}

func checkJSONMultiDoc(ctx *Context) {
	if ctx.Err == nil || ctx.Format != "json" || ctx.Record.Stream || !isJSONSyntaxError(ctx.Err) {
		return
	}
	n, second := countJSONValues(bytes.TrimPrefix(ctx.Record.Data, []byte("\xef\xbb\xbf")))
	if n < 2 {
		return // not two whole documents: json.Unmarshal failed on something else
	}
	ctx.Report(fmt.Sprintf("%d JSON documents in one datagram: Telegraf parses a datagram as one document, so it rejects the datagram and all of them are lost", n),
		offsetPosition(ctx.Record.Data, second),
		"send one JSON document per datagram",
		"or send them as one JSON array: [{...}, {...}]")
}
