package parse

import (
	"testing"

	"github.com/fakegraf/fakegraf/listener"
)

// Telegraf's wavefront errors carry no position; fakegraf's parse-error
// finding still points at the token the parser stopped on.
func TestWavefrontParseErrorPosition(t *testing.T) {
	tests := []struct {
		data      string
		line, col int
	}{
		{"a.b ten 1700000000 source=a\n", 1, 5},            // invalid metric value ten
		{"a.b 10 17000x source=a\n", 1, 8},                 // invalid timestamp
		{"a.b 10 1700000000 source\n", 1, 19},              // found "\n", expected equals
		{"a.b 10 1700000000.5 source=a\n", 1, 8},           // found " ", expected equals
		{"a.b 10 source=a\r\n", 1, 16},                     // found "\r", expected equals
		{"a.b 10 1700000000 source=a tag=\"open\n", 1, 32}, // found "", expected quotes
		{"a\"b 10 1700000000 source=a\n", 1, 2},            // found quote inside unquoted literal
		{"a.b\n", 1, 4},                                    // EOF
		{"a.b 10 1700000000 source=a\nc.d 1 1700000000 source=x\ne.f one 1700000000 source=a\n", 3, 5},
	}
	p := testPipeline(t, "udp://127.0.0.1:0", "wavefront")
	for i, tc := range tests {
		res := p.Process(listener.Record{Listener: "udp://127.0.0.1:0", Peer: "127.0.0.1:1", Seq: uint64(i + 1), Data: []byte(tc.data), Size: len(tc.data), Terminated: true})
		found := false
		for _, d := range res.Diagnostics {
			if d.Rule != ruleParseError {
				continue
			}
			found = true
			if d.Position.Line != tc.line || d.Position.Column != tc.col {
				t.Errorf("%q: parse-error %q at %d:%d, want %d:%d", tc.data, d.Message, d.Position.Line, d.Position.Column, tc.line, tc.col)
			}
		}
		if !found {
			t.Errorf("%q: no parse-error finding", tc.data)
		}
	}
}
