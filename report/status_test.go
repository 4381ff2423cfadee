package report_test

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
)

// The status line appears while records arrive, shows their rate, the
// metrics, findings by severity and kernel drops, gets out of the way of
// every other write to the terminal, and erases itself once traffic stops.
// The clock is the test's: Update takes the time.
func TestStatusLine(t *testing.T) {
	c := report.NewCollector()
	var term bytes.Buffer
	s := report.NewStatus(&term, c)
	report := s.Writer(&term) // the report, on the same terminal
	const erase = "\r\x1b[K"
	arrive := func(n int) {
		for range n {
			c.Result(&parse.Result{
				Record:      listener.Record{Listener: "udp://127.0.0.1:8094", Seq: 1, Size: 10},
				Diagnostics: []parse.Diagnostic{{Rule: "timestamp-unit", Severity: parse.Error, Source: parse.Source{Listener: "udp://127.0.0.1:8094"}}},
			})
		}
	}
	steps := []struct {
		name string
		do   func()
		want string // what reaches the terminal
	}{
		{"no traffic yet: nothing", func() { s.Update(t0) }, ""},
		{"traffic: the line", func() { arrive(500); s.Update(t0.Add(250 * time.Millisecond)) },
			erase + "fakegraf: 2000 records/s · 0 metrics · 500 errors · 0 dropped"},
		{"a report line: erase, then the line", func() { io.WriteString(report, "udp://… #501\n") }, erase + "udp://… #501\n"},
		{"a partial line: the status waits", func() { io.WriteString(report, "partial"); arrive(1); s.Update(t0.Add(500 * time.Millisecond)) }, "partial"},
		{"the line ends: the status is back", func() { io.WriteString(report, " line\n"); s.Update(t0.Add(750 * time.Millisecond)) },
			" line\n" + erase + "fakegraf: 0 records/s · 0 metrics · 501 errors · 0 dropped"},
		{"idle: erased", func() { s.Update(t0.Add(3 * time.Second)) }, erase},
		{"still idle: nothing", func() { s.Update(t0.Add(4 * time.Second)) }, ""},
	}
	for _, st := range steps {
		term.Reset()
		st.do()
		if d := cmp.Diff(st.want, term.String()); d != "" {
			t.Fatalf("%s (-want +got):\n%s", st.name, d)
		}
	}
	if strings.Contains(term.String(), "\n") {
		t.Fatal("the status line must never end a line of its own")
	}
}
