package parse

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/influxdata/line-protocol/v2/lineprotocol"
	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
	"github.com/influxdata/telegraf/plugins/parsers/influx/influx_upstream"
	jsonparser "github.com/influxdata/telegraf/plugins/parsers/json"
	"github.com/influxdata/telegraf/plugins/parsers/wavefront"

	"github.com/fakegraf/fakegraf/listener"
)

// These tests run Telegraf's own parsers and pin what telegraf_errors.go
// relies on: the exact text of the wavefront parser's errors, which
// wavefrontFailureOf reads, and the types and fields of the others' errors,
// which errorPosition takes. When a Telegraf upgrade changes one of them,
// this fails: update telegraf_errors.go with it.

func TestWavefrontErrorsPinned(t *testing.T) {
	p := &wavefront.Parser{Log: listener.Log{}}
	if err := p.Init(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   string
		msg  string // Telegraf's exact message
		want wavefrontFailure
	}{
		{"a.b\n", "EOF", wavefrontFailure{Kind: wfEOF}},
		{"a.b ten 1700000000 source=a\n", "invalid metric value ten", wavefrontFailure{Kind: wfBadValue, Found: "ten"}},
		{"a:b 10\n", "invalid metric value ", wavefrontFailure{Kind: wfBadValue}},
		{"a.b 10 17000x source=a\n", "invalid timestamp", wavefrontFailure{Kind: wfBadTimestamp}},
		{"a.b 10 99999999999999999999 source=a\n", `strconv.ParseInt: parsing "99999999999999999999": value out of range`,
			wavefrontFailure{Kind: wfBadTimestamp, Found: "99999999999999999999"}},
		{"a.b 10 1700000000 source\n", `found "\n", expected equals`, wavefrontFailure{Kind: wfFound, Found: "\n", Want: "equals"}},
		{"a.b 10 1700000000.5 source=a\n", `found " ", expected equals`, wavefrontFailure{Kind: wfFound, Found: " ", Want: "equals"}},
		{"a.b 10 source=a\r\n", `found "\r", expected equals`, wavefrontFailure{Kind: wfFound, Found: "\r", Want: "equals"}},
		{"a.b 10 1700000000 source=a tag=\"open\n", `found "", expected quotes`, wavefrontFailure{Kind: wfFound, Want: "quotes"}},
		{"a\"b 10 1700000000 source=a\n", "found quote inside unquoted literal", wavefrontFailure{Kind: wfQuoteInLiteral}},
		{"a\u2206b 10\n", "found delta inside metric name", wavefrontFailure{Kind: wfDeltaInName}},
	}
	for _, tc := range tests {
		_, err := p.Parse([]byte(tc.in))
		if err == nil {
			t.Errorf("%q: Telegraf's wavefront parser accepts it; pick an input it rejects", tc.in)
			continue
		}
		if err.Error() != tc.msg {
			t.Errorf("%q: Telegraf's message is %q, telegraf_errors.go reads %q", tc.in, err.Error(), tc.msg)
		}
		if diff := cmp.Diff(tc.want, wavefrontFailureOf(err)); diff != "" {
			t.Errorf("wavefrontFailureOf(%q) (-want +got):\n%s", err, diff)
		}
	}
	if !wavefrontFoundCR(parseErr(t, p, "a.b 10 1700000000\r\n")) || wavefrontFoundCR(parseErr(t, p, "a.b 10 1700000000 source\n")) {
		t.Error("wavefrontFoundCR does not tell a \"\\r\" from a \"\\n\"")
	}
}

func parseErr(t *testing.T, p telegraf.Parser, in string) error {
	t.Helper()
	_, err := p.Parse([]byte(in))
	if err == nil {
		t.Fatalf("%q parses", in)
	}
	return err
}

func TestTypedParseErrorsPinned(t *testing.T) {
	ip := &influx.Parser{}
	up := &influx_upstream.Parser{}
	jp := &jsonparser.Parser{MetricName: "m"}
	for _, p := range []interface{ Init() error }{ip, up, jp} {
		if err := p.Init(); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		parser telegraf.Parser
		in     string
		msg    string
		check  func(error) bool // the type and fields errorPosition reads
		want   Position
	}{
		{"influx", ip, "cpu v=1\nmem v=1 1700000000.5\n", `metric parse error: expected timestamp at 2:19: "mem v=1 1700000000.5"`,
			func(err error) bool {
				var pe *influx.ParseError
				return errors.As(err, &pe) && pe.Offset == 26 && pe.LineNumber == 2 && pe.Column == 19 && pe.LineOffset == 8
			}, Position{Offset: 26, Line: 2, Column: 19}},
		{"influx_upstream", up, "cpu v=1\nmem v=1 1700000000.5\n", `metric parse error: invalid timestamp ("1700000000.5") at 2:9: "mem v=1 1700000000.5"`,
			func(err error) bool {
				var pe *influx_upstream.ParseError
				var de *lineprotocol.DecodeError
				// errors.As cannot reach the embedded DecodeError: the
				// promoted Unwrap returns its cause.
				return errors.As(err, &pe) && pe.Line == 2 && pe.Column == 9 && !errors.As(err, &de)
			}, Position{Offset: 16, Line: 2, Column: 9}},
		{"json", jp, ` {"a": 1}{"a": 2}`, "invalid character '{' after top-level value",
			func(err error) bool {
				var se *json.SyntaxError
				return errors.As(err, &se) && se.Offset == 9
			}, Position{Offset: 10, Line: 1, Column: 11}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.parser.Parse([]byte(tc.in))
			if err == nil {
				t.Fatalf("%q parses", tc.in)
			}
			if err.Error() != tc.msg {
				t.Errorf("message %q, want %q (only for the record: fakegraf reads the fields)", err.Error(), tc.msg)
			}
			if !tc.check(err) {
				t.Errorf("%T %#v: not the type and fields errorPosition reads", err, err)
			}
			if diff := cmp.Diff(tc.want, errorPosition([]byte(tc.in), err)); diff != "" {
				t.Errorf("errorPosition (-want +got):\n%s", diff)
			}
			if isJSONSyntaxError(err) != (tc.name == "json") {
				t.Errorf("isJSONSyntaxError(%T) = %v", err, !(tc.name == "json"))
			}
		})
	}
}
