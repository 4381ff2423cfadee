package parse_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
)

// conf is one [[inputs.socket_listener]]: its address, data_format and
// further option lines.
type conf struct {
	addr    string
	format  string
	options []string
}

func (c conf) toml() string {
	addr := c.addr
	if addr == "" {
		addr = "udp://127.0.0.1:0"
	}
	var b strings.Builder
	b.WriteString("[agent]\n  omit_hostname = true\n\n[[inputs.socket_listener]]\n")
	fmt.Fprintf(&b, "  service_address = %q\n", addr)
	if c.format != "" {
		fmt.Fprintf(&b, "  data_format = %q\n", c.format)
	}
	for _, o := range c.options {
		fmt.Fprintf(&b, "  %s\n", o)
	}
	return b.String()
}

// load builds the input a telegraf.conf describes.
func load(t testing.TB, c conf) *setup.Input {
	t.Helper()
	cfg, err := setup.Load([]byte(c.toml()), "test")
	require.NoError(t, err, "config:\n%s", c.toml())
	require.Len(t, cfg.Inputs, 1)
	return cfg.Inputs[0]
}

// stage is the stage serve builds for an input.
func stage(in *setup.Input) *parse.Stage { return serve.Stages(in)[0] }

// newPipeline returns the pipeline fakegraf would run for c.
func newPipeline(t testing.TB, c conf, stream bool) *parse.Pipeline {
	t.Helper()
	return parse.NewPipeline(c.url(), nil, stage(load(t, c)))
}

func (c conf) url() string {
	if c.addr == "" {
		return "udp://127.0.0.1:0"
	}
	return c.addr
}

// rec is a record as a listener hands it out.
type rec struct {
	data      string
	stream    bool
	peer      string
	conn      uint64
	truncated bool
	// unterminated marks a stream record delivered only at close.
	unterminated bool
}

func (r rec) record(url string, seq uint64, now time.Time) listener.Record {
	peer := r.peer
	if peer == "" {
		peer = "127.0.0.1:40000"
	}
	conn := r.conn
	if r.stream && conn == 0 {
		conn = 1
	}
	return listener.Record{
		Listener: url, Peer: peer, Conn: conn, Seq: seq,
		Data: []byte(r.data), Size: len(r.data), Stream: r.stream,
		Terminated: !r.unterminated, Truncated: r.truncated, Received: now,
	}
}

// finding is the part of a Diagnostic the tests compare.
type finding struct {
	Rule     string
	Severity string
	Line     int
	Column   int
}

func (f finding) String() string {
	return fmt.Sprintf("%s %s %d:%d", f.Severity, f.Rule, f.Line, f.Column)
}

func findingsOf(ds []parse.Diagnostic) []finding {
	var out []finding
	for _, d := range ds {
		out = append(out, finding{Rule: d.Rule, Severity: d.Severity.String(), Line: d.Position.Line, Column: d.Position.Column})
	}
	return out
}

// nowS, nowMS and nowNS are the current time as a sender writes it.
func nowS() string  { return fmt.Sprint(time.Now().Unix()) }
func nowMS() string { return fmt.Sprint(time.Now().UnixMilli()) }

// want is an expected finding: its rule, severity and which mark (from 1)
// in the last record it points at; 0 means no position, anyPos means the
// position is Telegraf's (a parse error) and not compared.
type want struct {
	rule string
	sev  string
	at   int
}

const anyPos = -1

func expected(t testing.TB, data string, offs []int, ws []want) []finding {
	t.Helper()
	var out []finding
	for _, w := range ws {
		f := finding{Rule: w.rule, Severity: w.sev}
		switch {
		case w.at == anyPos:
			f.Line, f.Column = anyPos, anyPos
		case w.at > 0:
			require.LessOrEqual(t, w.at, len(offs), "want %v points at a mark the input lacks", w)
			f.Line, f.Column = lineColumn(data, offs[w.at-1])
		}
		out = append(out, f)
	}
	return out
}

// lineColumn is where offset off lies in data, counting from 1.
func lineColumn(data string, off int) (line, col int) {
	before := data[:off]
	return 1 + strings.Count(before, "\n"), off - strings.LastIndexByte(before, '\n')
}

// comparable blanks the positions the wants do not compare, and sorts
// findings by rule (their order in a Result is the core's business).
func comparable(got []finding, ws []want) []finding {
	defer sortFindings(got)
	for _, w := range ws {
		if w.at != anyPos {
			continue
		}
		for i := range got {
			if got[i].Rule == w.rule {
				got[i].Line, got[i].Column = anyPos, anyPos
			}
		}
	}
	return got
}

// checkStyle holds every finding to the house style: a lower-case message
// without a final period, and at least one fix.
func checkStyle(t testing.TB, ds []parse.Diagnostic) {
	t.Helper()
	for _, d := range ds {
		// parse-error carries Telegraf's own message ("EOF" included).
		if d.Rule != "parse-error" && (d.Message == "" || strings.ToLower(d.Message[:1]) != d.Message[:1] || strings.HasSuffix(d.Message, ".")) {
			t.Errorf("%s: message %q: want lower case, no final period", d.Rule, d.Message)
		}
		if len(d.Fixes) == 0 {
			t.Errorf("%s: %q has no fix", d.Rule, d.Message)
		}
		if parse.Lookup(d.Rule) == nil {
			t.Errorf("finding of unregistered rule %q", d.Rule)
		}
	}
}

func sortFindings(fs []finding) {
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].String() < fs[j].String() })
}

// rulesOf lists the rule of each finding, in order.
func rulesOf(ds []parse.Diagnostic) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Rule)
	}
	return out
}
