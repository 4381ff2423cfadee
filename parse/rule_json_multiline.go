package parse

import (
	"bytes"
	"encoding/json"
	"fmt"
)

const ruleJSONMultiline = "json-multiline"

func init() {
	Register(&Rule{
		ID:       ruleJSONMultiline,
		Severity: Error,
		Title:    "a pretty-printed JSON document spread over several lines of a stream",
		Doc: "Stream sockets are split into records at newlines (plugins/common/socket/splitters.go), so a " +
			"document written with json.dumps(data, indent=2) reaches the parser one line at a time, and every " +
			"line fails (\"unexpected end of JSON input\", \"invalid character ':' after top-level value\"). " +
			"Nothing of the document is stored.",
		Bad:   "sock.send((json.dumps(data, indent=2) + \"\\n\").encode())",
		Good:  "sock.send((json.dumps(data) + \"\\n\").encode())",
		Only:  Only{Formats: []string{"json"}, Stream: true},
		Check: checkJSONMultiline,
		Cases: []Case{
			{Name: "pretty-printed", Config: caseJSONTCP, Records: []Rec{{Data: "{"}, {Data: `  "a": 1,`}, {Data: `  "b": 2`}, {Data: "}"}}, Want: []Want{{"json-multiline", Error, 0}, {"parse-error", Error, anyPos}}},
			{Name: "near miss: one line each", Config: caseJSONTCP, Records: []Rec{{Data: `{"a": 1}`}, {Data: `{"a": 2}`}}},
		},
	})
}

// multilineState is one connection's run of rejected lines that may be a
// pretty-printed document.
type multilineState struct {
	buf   []byte
	lines int
	first uint64
}

// At most 64 connections and 64 KiB each (Telegraf's default record limit):
// the rule never holds more than 4 MiB however many senders come and go.
const (
	multilineConns = 64
	multilineBytes = 64 * 1024
)

func checkJSONMultiline(ctx *Context) {
	rec := ctx.Record
	if !rec.Stream || ctx.Format != "json" {
		return
	}
	conns := ownState(ctx, func() *lru[uint64, *multilineState] { return newLRU[uint64, *multilineState](multilineConns) })
	if ctx.Err == nil && conns.Len() == 0 {
		return // the common case: no connection is in the middle of a document
	}
	key := rec.Conn
	st, _ := conns.Get(key)
	if ctx.Err == nil {
		if st != nil {
			conns.Put(key, nil)
		}
		return
	}
	line := bytes.TrimSpace(rec.Data)
	if st == nil || len(st.buf)+len(line) > multilineBytes {
		st = nil
		if len(line) > 0 && (line[0] == '{' || line[0] == '[') {
			st = &multilineState{buf: append([]byte{}, rec.Data...), lines: 1, first: rec.Seq}
		}
		conns.Put(key, st)
		return
	}
	st.buf = append(append(st.buf, '\n'), rec.Data...)
	st.lines++
	if !json.Valid(st.buf) {
		return
	}
	conns.Put(key, nil)
	ctx.Report(fmt.Sprintf("this line ends a JSON document spread over %d lines (records #%d to #%d): Telegraf splits the stream at newlines and rejects every line", st.lines, st.first, rec.Seq),
		Position{},
		`send each document on one line, then "\n": json.dumps(data) without indent=`,
		"or end every document with a NUL byte and "+ctx.settings().set(opt{"splitting_strategy", "null"}))
}
