package report

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
)

// GitHub writes GitHub Actions workflow commands: one annotation per finding
// or failure (::error, ::warning, ::notice), then the summary as plain lines.
type GitHub struct {
	mu   sync.Mutex
	w    io.Writer
	fold *folder
}

// NewGitHub returns a GitHub Actions printer. It annotates the first
// DefaultFoldAfter findings of each cause and counts the rest (fold.go):
// GitHub shows only the first few annotations of a step anyway.
func NewGitHub(w io.Writer) *GitHub {
	return &GitHub{w: w, fold: newFolder(DefaultFoldAfter, 0, nil)}
}

// Listening prints nothing: the CLI says it on stderr.
func (*GitHub) Listening(string, string) {}

// Conn prints nothing.
func (*GitHub) Conn(listener.ConnEvent) {}

// Result annotates each finding of a record.
func (g *GitHub) Result(r *parse.Result) {
	req := ""
	if ex := r.Record.HTTP; ex != nil {
		req = fmt.Sprintf("%s (answered %d)", RequestLine(ex), ex.Status)
	}
	for _, d := range r.Diagnostics {
		g.finding(d, req)
	}
}

func githubLevel(s parse.Severity) string {
	switch s {
	case parse.Error:
		return "error"
	case parse.Warning:
		return "warning"
	}
	return "notice"
}

// Finding writes one annotation.
func (g *GitHub) Finding(d parse.Diagnostic) { g.finding(d, "") }

// finding writes one annotation; req names the HTTP request of its record,
// if it was one.
func (g *GitHub) finding(d parse.Diagnostic, req string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	print, reminder := g.fold.fold("", d)
	if reminder != "" {
		fmt.Fprintf(g.w, "fakegraf: %s\n", reminder)
	}
	if !print {
		return
	}
	where := d.Source.Listener
	if d.Source.Record > 0 {
		where += fmt.Sprintf(" record #%d", d.Source.Record)
	}
	if d.Source.Peer != "" {
		where += " from " + d.Source.Peer
	}
	if req != "" {
		where += " " + req
	}
	msg := fmt.Sprintf("%s: %s", where, d.Message)
	for _, f := range d.Fixes {
		msg += "\nfix: " + f
	}
	fmt.Fprintf(g.w, "::%s title=%s::%s\n", githubLevel(d.Severity), escapeProperty("fakegraf "+d.Rule), escapeData(msg))
}

// Failure writes an error annotation with the detail (e.g. the diff).
func (g *GitHub) Failure(f Failure) {
	g.mu.Lock()
	defer g.mu.Unlock()
	msg := f.Message
	if f.Detail != "" {
		msg += "\n" + f.Detail
	}
	// file= and line= put the annotation on the golden or --expect file
	// in the pull request's diff.
	where := ""
	if f.File != "" {
		where = "file=" + escapeProperty(f.File) + ","
		if f.Line > 0 {
			where += fmt.Sprintf("line=%d,", f.Line)
		}
	}
	fmt.Fprintf(g.w, "::error %stitle=%s::%s\n", where, escapeProperty("fakegraf "+f.Check+" "+f.Name), escapeData(msg))
}

// Summary writes the totals as plain log lines.
func (g *GitHub) Summary(s *Summary) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, ls := range s.Listeners {
		fmt.Fprintf(g.w, "fakegraf: %s: %d record(s), %d metric(s), %d rejected record(s)\n", ls.Listener, ls.Records, ls.Metrics, ls.Rejected)
	}
	for _, c := range g.fold.folded() {
		fmt.Fprintf(g.w, "fakegraf: not annotated, the same finding again: %s: %d of %d\n", c.name(), c.folded, c.total)
	}
	for _, c := range s.Checks {
		label := c.Result
		if c.Failed() {
			label = "FAIL"
		}
		fmt.Fprintf(g.w, "fakegraf: %s %s %s: %s\n", label, c.Check, c.Name, c.Message)
	}
	last, _ := summaryLine(s)
	fmt.Fprintf(g.w, "fakegraf: %s\n", last)
}

// Workflow command escaping, as in @actions/core (command.ts).
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
