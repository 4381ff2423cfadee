package parse

import (
	"bytes"
	"errors"

	"github.com/influxdata/telegraf/plugins/parsers/influx"
)

// Telegraf's parsers keep no positions. The lexers (lex_influx.go,
// lex_wavefront.go, lex_json.go) find where in the record a name, a tag or a
// timestamp was written: line protocol with Telegraf's own influx machine,
// Wavefront by hand, JSON with gjson. Rules read a record's lexing as a
// fact (facts.go), computed once for all of them.

// lpKV is one tag or field as written, still escaped.
type lpKV struct {
	Key, Value       string
	KeyOff, ValueOff int
}

// lpLine is one line of line protocol as written. Offsets are into the record.
type lpLine struct {
	Off, End int // the line, without its terminator
	Comment  bool
	Name     string
	NameOff  int
	Tags     []lpKV
	Fields   []lpKV
	TS       string
	TSOff    int
}

// lexInflux splits line protocol into its parts with Telegraf's own influx
// machine (plugins/parsers/influx/machine.go, the one the influx parser
// runs), so lines, escapes and string fields that span lines are exactly the
// parser's. Telegraf keeps no positions; lpHandler records where each part
// ends as the machine reads it (its Position). The machine skips blank and
// comment lines without telling its handler, so lexInflux finds comment
// lines in the gaps between metric lines. A line the machine rejects is kept
// with the parts read before the error (for a bad timestamp, the token the
// machine stopped in), and lexing goes on with the next line, as the machine
// recovers. The influx_upstream parser (line-protocol v2) exposes no
// positions at all; its records are lexed with this machine too.
func lexInflux(data []byte) []lpLine {
	h := &lpHandler{data: data, lines: make([]lpLine, 0, 1+bytes.Count(data, []byte("\n")))}
	m := influx.NewMachine(h)
	h.m = m
	m.SetData(data)
	next := 0 // where the gap after the last line starts
	for {
		err := m.Next()
		if errors.Is(err, influx.EOF) {
			break
		}
		if err == nil && !h.open {
			continue
		}
		if !h.open { // rejected before its name
			h.start = m.LineOffset()
			off := h.start
			for off < len(data) && isLPSpace(data[off]) {
				off++
			}
			h.line = lpLine{Off: off, NameOff: off, TSOff: -1}
		}
		h.comments(next, h.start)
		l := h.line
		if err == nil {
			next = m.Position() // past the line's newline
			l.End = next
			if l.End > 0 && data[l.End-1] == '\n' {
				l.End--
			}
		} else {
			l.End = len(data)
			if i := bytes.IndexByte(data[m.Position():], '\n'); i >= 0 {
				l.End = m.Position() + i
			}
			next = min(l.End+1, len(data)) // the machine discards the rest of the line
			if errors.Is(err, influx.ErrTimestampParse) && l.TSOff < 0 {
				l.TS, l.TSOff = badTimestamp(data, m.Position())
			}
		}
		h.lines = append(h.lines, trimCR(data, l))
		h.open = false
	}
	h.comments(next, len(data))
	return h.lines
}

// isLPSpace is the machine's ws: [\t\v\f ].
func isLPSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\v' || c == '\f' }

// badTimestamp is the blank-separated token around off, where the machine
// stopped reading a timestamp (1700000000.5, 1e9).
func badTimestamp(data []byte, off int) (string, int) {
	start, end := off, off
	for start > 0 && !isLPSpace(data[start-1]) && data[start-1] != '\n' {
		start--
	}
	for end < len(data) && !isLPSpace(data[end]) && data[end] != '\r' && data[end] != '\n' {
		end++
	}
	return string(data[start:end]), start
}

// lpHandler is an influx.Handler that keeps where the machine read each
// part of a line. The machine calls it when a part ends, with the part's
// bytes as written (still escaped) and its Position just past them; a key
// ends at the '=' before its value.
type lpHandler struct {
	data  []byte
	m     lpMachine // the machine reading data
	lines []lpLine
	line  lpLine // the line being read
	open  bool   // line has its name
	start int    // where line's first physical line starts
}

// lpMachine is what lpHandler asks of the influx machine (whose type
// influx.NewMachine returns unexported).
type lpMachine interface {
	Position() int   // the offset the machine is at
	LineOffset() int // the offset of the line it is in
}

func (h *lpHandler) SetMeasurement(name []byte) error {
	off := h.m.Position() - len(name)
	h.line = lpLine{Off: off, Name: string(name), NameOff: off, TSOff: -1}
	h.open, h.start = true, h.m.LineOffset()
	return nil
}

func (h *lpHandler) AddTag(key, value []byte) error {
	h.line.Tags = append(h.line.Tags, h.kv(key, value, h.m.Position()-len(value)))
	return nil
}

func (h *lpHandler) field(key, value []byte) error {
	h.line.Fields = append(h.line.Fields, h.kv(key, value, h.m.Position()-len(value)))
	return nil
}

func (h *lpHandler) AddInt(key, value []byte) error { return h.field(key, value) }

func (h *lpHandler) AddUint(key, value []byte) error { return h.field(key, value) }

func (h *lpHandler) AddFloat(key, value []byte) error { return h.field(key, value) }

func (h *lpHandler) AddBool(key, value []byte) error { return h.field(key, value) }

// AddString gets the string without its quotes; the machine stands on the
// closing one.
func (h *lpHandler) AddString(key, value []byte) error {
	end := h.m.Position() + 1
	off := end - len(value) - 2
	h.line.Fields = append(h.line.Fields, h.kv(key, h.data[off:end], off))
	return nil
}

func (h *lpHandler) SetTimestamp(ts []byte) error {
	h.line.TS, h.line.TSOff = string(ts), h.m.Position()-len(ts)
	return nil
}

func (h *lpHandler) kv(key, value []byte, valueOff int) lpKV {
	return lpKV{Key: string(key), Value: string(value), KeyOff: valueOff - 1 - len(key), ValueOff: valueOff}
}

// comments adds the comment lines in data[from:to], a run of lines the
// machine skipped: blank lines and comments (machine.go.rl align).
func (h *lpHandler) comments(from, to int) {
	for from < to {
		end := bytes.IndexByte(h.data[from:to], '\n')
		if end < 0 {
			end = to
		} else {
			end += from
		}
		i := from
		for i < end && isLPSpace(h.data[i]) {
			i++
		}
		if i < end && h.data[i] == '#' {
			h.lines = append(h.lines, trimCR(h.data, lpLine{Off: i, End: end, Comment: true, TSOff: -1}))
		}
		from = end + 1
	}
}

func trimCR(data []byte, l lpLine) lpLine {
	if l.End > l.Off && data[l.End-1] == '\r' {
		l.End--
	}
	return l
}
