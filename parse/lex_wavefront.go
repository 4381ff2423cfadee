package parse

import (
	"bytes"
	"strings"
)

// wfTok is one whitespace-separated token of a Wavefront line, quotes kept.
type wfTok struct {
	Text string
	Off  int
}

// wfLine is one Wavefront line: name value [timestamp] [tag=value ...].
type wfLine struct {
	Off, End int
	Name     wfTok
	Value    wfTok
	TS       wfTok // Off is -1 when the line has none
	Tags     []wfTag
}

type wfTag struct {
	Key, Value       string // unquoted
	KeyOff, ValueOff int
}

// lexWavefront reads Wavefront lines as plugins/parsers/wavefront/parser.go
// does: one point per line, tokens separated by blanks, double quotes group a
// token. The timestamp is the third token when it is made of digits (and
// dots, to catch fractional seconds, which Telegraf rejects).
//
// It is written by hand because Telegraf's wavefront parser hides what it
// would take: its scanner and element parsers are unexported, it reads
// each line through a bufio.Reader that keeps no offsets, and a Point
// carries its tags in a map, so neither the grouping of quoted tokens nor
// any position can be had from it.
func lexWavefront(data []byte) []wfLine {
	var out []wfLine
	off := 0
	for _, raw := range bytes.SplitAfter(data, []byte("\n")) {
		start := off
		off += len(raw)
		line := bytes.TrimRight(raw, "\r\n")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		toks := wfTokens(line, start)
		l := wfLine{Off: start, End: start + len(line), TS: wfTok{Off: -1}}
		if len(toks) > 0 {
			l.Name = toks[0]
		}
		if len(toks) > 1 {
			l.Value = toks[1]
		}
		rest := toks[min(2, len(toks)):]
		if len(rest) > 0 && isNumber([]byte(rest[0].Text)) && !strings.Contains(rest[0].Text, "=") {
			l.TS, rest = rest[0], rest[1:]
		}
		for _, t := range rest {
			k, v, _ := strings.Cut(t.Text, "=")
			l.Tags = append(l.Tags, wfTag{Key: unquoteWF(k), Value: unquoteWF(v), KeyOff: t.Off, ValueOff: t.Off + len(k) + 1})
		}
		out = append(out, l)
	}
	return out
}

func wfTokens(line []byte, base int) []wfTok {
	var out []wfTok
	i := 0
	for i < len(line) {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			break
		}
		j, quoted := i, false
		for j < len(line) && (quoted || (line[j] != ' ' && line[j] != '\t')) {
			switch {
			case line[j] == '\\' && quoted && j+1 < len(line):
				j++
			case line[j] == '"':
				quoted = !quoted
			}
			j++
		}
		out = append(out, wfTok{Text: string(line[i:j]), Off: base + i})
		i = j
	}
	return out
}

func unquoteWF(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}
