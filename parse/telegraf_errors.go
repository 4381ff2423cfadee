package parse

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/influxdata/telegraf/plugins/parsers/influx"
	"github.com/influxdata/telegraf/plugins/parsers/influx/influx_upstream"
)

// This file is where fakegraf reads the errors of Telegraf's parsers, and
// the only place in parse/ that reads their text. Where a parser returns a
// typed error, fakegraf takes the fields (errors.As). Telegraf's wavefront
// parser returns nothing but text (fmt.Errorf and an unexported sentinel in
// plugins/parsers/wavefront/element.go), so wavefrontFailureOf reads it
// here, and telegraf_errors_test.go runs the real parsers and pins every
// message and type this file depends on: a Telegraf upgrade that changes
// one fails that test instead of silently losing positions.

// errorPosition finds where in the record Telegraf's parser stopped, from
// the error it returned:
//   - the json parser returns encoding/json's *SyntaxError unwrapped
//     (plugins/parsers/json/parser.go Parse); its Offset counts in the
//     record trimmed of blanks and a byte-order mark;
//   - the influx parser returns *influx.ParseError with its machine's
//     Offset, LineNumber and Column (plugins/parsers/influx/parser.go);
//   - the influx_upstream parser returns *influx_upstream.ParseError, which
//     embeds line-protocol's *DecodeError (Line, Column). errors.As cannot
//     find the DecodeError through it: the Unwrap it promotes returns the
//     DecodeError's cause.
//
// Wavefront errors carry no position: see wavefrontErrorPosition.
func errorPosition(data []byte, err error) Position {
	var syn *json.SyntaxError
	var lp *influx.ParseError
	var up *influx_upstream.ParseError
	switch {
	case errors.As(err, &syn):
		return offsetPosition(data, jsonStart(data)+int(syn.Offset))
	case errors.As(err, &lp):
		return Position{Offset: min(max(lp.Offset, 0), len(data)), Line: lp.LineNumber, Column: lp.Column}
	case errors.As(err, &up) && up.DecodeError != nil:
		return linePosition(data, int(up.Line), up.Column)
	}
	return Position{}
}

// utf8BOM is the byte-order mark the json parser trims.
var utf8BOM = []byte("\xef\xbb\xbf")

// jsonStart is where the document starts that the json parser unmarshals:
// after bytes.TrimSpace and a byte-order mark.
func jsonStart(data []byte) int {
	lead := bytes.TrimLeftFunc(data, unicode.IsSpace) // bytes.TrimSpace's left half
	start := len(data) - len(lead)
	if bytes.HasPrefix(lead, utf8BOM) {
		start += len(utf8BOM)
	}
	return start
}

// isJSONSyntaxError reports whether the json parser rejected the record as
// JSON (rather than its shape, or json_query's result).
func isJSONSyntaxError(err error) bool {
	var syn *json.SyntaxError
	return errors.As(err, &syn)
}

// wavefrontKind is what an error of Telegraf's wavefront parser is about.
type wavefrontKind int

const (
	wfUnknown        wavefrontKind = iota
	wfEOF                          // io.EOF: the line ended after the metric name
	wfFound                        // found %q, expected %s
	wfBadValue                     // invalid metric value %s
	wfBadTimestamp                 // invalid timestamp, or strconv's out of range
	wfDeltaInName                  // found delta inside metric name
	wfQuoteInLiteral               // found quote inside unquoted literal
)

// wavefrontFailure is an error of Telegraf's wavefront parser, read.
type wavefrontFailure struct {
	Kind  wavefrontKind
	Found string // what the parser found: the token of wfFound, wfBadValue and an out-of-range timestamp
	Want  string // what it expected, for wfFound: number, equals, quotes, literal
}

// wavefrontFailureOf reads an error of Telegraf's wavefront parser
// (plugins/parsers/wavefront/element.go). It is the one place that matches
// that parser's message text.
func wavefrontFailureOf(err error) wavefrontFailure {
	if err == nil {
		return wavefrontFailure{}
	}
	if errors.Is(err, io.EOF) {
		return wavefrontFailure{Kind: wfEOF}
	}
	var num *strconv.NumError
	if errors.As(err, &num) { // a timestamp past int64 (element.go timestampParser)
		return wavefrontFailure{Kind: wfBadTimestamp, Found: num.Num}
	}
	msg := err.Error()
	switch {
	case msg == "invalid timestamp": // element.go errInvalidTimestamp, unexported
		return wavefrontFailure{Kind: wfBadTimestamp}
	case msg == "found delta inside metric name":
		return wavefrontFailure{Kind: wfDeltaInName}
	case msg == "found quote inside unquoted literal":
		return wavefrontFailure{Kind: wfQuoteInLiteral}
	}
	if v, ok := strings.CutPrefix(msg, "invalid metric value "); ok {
		return wavefrontFailure{Kind: wfBadValue, Found: v}
	}
	if rest, ok := strings.CutPrefix(msg, "found "); ok {
		if q, err := strconv.QuotedPrefix(rest); err == nil {
			if want, ok := strings.CutPrefix(rest[len(q):], ", expected "); ok {
				found, _ := strconv.Unquote(q)
				return wavefrontFailure{Kind: wfFound, Found: found, Want: want}
			}
		}
	}
	return wavefrontFailure{}
}

// wavefrontFoundCR reports whether the wavefront parser stopped at a '\r':
// the '\r' of a "\r\n" line end, which its scanner does not take for blank.
func wavefrontFoundCR(err error) bool {
	f := wavefrontFailureOf(err)
	return f.Kind == wfFound && f.Found == "\r"
}
