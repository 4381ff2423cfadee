package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/serve"
)

// Printer renders events as they happen, then the end of the run.
type Printer interface {
	serve.Sink
	// Failure is a check of the whole run that failed.
	Failure(Failure)
	Summary(*Summary)
}

// Printers hands every event to each of its printers, in order, as
// serve.Tee does for sinks: --output and each --report FILE print the same
// run.
type Printers []Printer

// Listening is part of serve.Sink.
func (ps Printers) Listening(url, dataFormat string) {
	for _, p := range ps {
		p.Listening(url, dataFormat)
	}
}

// Result is part of serve.Sink.
func (ps Printers) Result(r *parse.Result) {
	for _, p := range ps {
		p.Result(r)
	}
}

// Conn is part of serve.Sink.
func (ps Printers) Conn(ev listener.ConnEvent) {
	for _, p := range ps {
		p.Conn(ev)
	}
}

// Finding is part of serve.Sink.
func (ps Printers) Finding(d parse.Diagnostic) {
	for _, p := range ps {
		p.Finding(d)
	}
}

// Failure is part of Printer.
func (ps Printers) Failure(f Failure) {
	for _, p := range ps {
		p.Failure(f)
	}
}

// Summary is part of Printer.
func (ps Printers) Summary(s *Summary) {
	for _, p := range ps {
		p.Summary(s)
	}
}

// Failure is a check of the whole run that failed, whatever --fail-on says:
// a golden-file mismatch, an unmet expectation, a sender that failed or sent
// nothing.
type Failure struct {
	Check   string `json:"check"`            // golden, expect, sender
	Name    string `json:"name"`             // the file or command concerned
	Message string `json:"message"`          // one line
	Detail  string `json:"detail,omitempty"` // e.g. the -want +got diff
	File    string `json:"file,omitempty"`   // the file to point at: the golden or --expect file
	Line    int    `json:"line,omitempty"`   // its line, when known
}

// Options shape the text output.
type Options struct {
	Color   bool
	Quiet   bool // only findings and the summary
	MaxData int  // bytes of a record to show; 0 means 200

	// FoldAfter is how many findings of one cause (see fold.go) the text
	// and GitHub reports print before they count the rest instead: 0
	// means DefaultFoldAfter, a negative number never folds.
	FoldAfter int
	// FoldEvery is how often the text report reminds of a cause it is
	// counting; 0 means DefaultFoldEvery.
	FoldEvery time.Duration
	// Now is the clock of the reminders; nil means time.Now.
	Now func() time.Time
}

func (o Options) folder() *folder {
	after, every := o.FoldAfter, o.FoldEvery
	if after == 0 {
		after = DefaultFoldAfter
	}
	if every == 0 {
		every = DefaultFoldEvery
	}
	return newFolder(after, every, o.Now)
}

// Text is the human output.
type Text struct {
	mu   sync.Mutex
	w    io.Writer
	opt  Options
	fold *folder
}

// NewText returns a text printer.
func NewText(w io.Writer, opt Options) *Text {
	if opt.MaxData == 0 {
		opt.MaxData = 200
	}
	return &Text{w: w, opt: opt, fold: opt.folder()}
}

const (
	cReset  = "\x1b[0m"
	cDim    = "\x1b[2m"
	cBold   = "\x1b[1m"
	cRed    = "\x1b[31m"
	cGreen  = "\x1b[32m"
	cYellow = "\x1b[33m"
	cBlue   = "\x1b[34m"
	cCyan   = "\x1b[36m"
)

func (t *Text) c(code, s string) string {
	if !t.opt.Color {
		return s
	}
	return code + s + cReset
}

// Listening is printed on stderr by the CLI; the text report leaves it out.
func (*Text) Listening(string, string) {}

// Result prints one record, its metrics and findings. A record whose
// findings are all folded (counted as more of a cause already shown) is
// not printed: it would repeat what is on the screen.
func (t *Text) Result(r *parse.Result) {
	t.mu.Lock()
	defer t.mu.Unlock()
	shown, reminders := t.foldAll(r.Diagnostics)
	defer t.reminders(reminders)
	if t.opt.Quiet || len(r.Diagnostics) > 0 && len(shown) == 0 {
		if len(shown) > 0 {
			fmt.Fprintf(t.w, "%s %s\n", t.c(cDim, header(r)), Quote(r.Record.Data, t.opt.MaxData))
			t.diagnostics(shown)
		}
		return
	}
	if IsFlush(r) {
		// A statsd flush carries no bytes: what it stored is the point.
		fmt.Fprintf(t.w, "%s\n", t.c(cDim, fmt.Sprintf("%s flush at %s: %d metric(s)", r.Record.Listener, r.Record.Received.Format("15:04:05.000"), len(r.Metrics))))
	} else {
		fmt.Fprintf(t.w, "%s\n", t.c(cDim, header(r)))
		// A request without a body (GET /ping, /health) has no data to show.
		if ex := r.Record.HTTP; ex == nil || len(r.Record.Data) > 0 || ex.RawSize > 0 {
			fmt.Fprintf(t.w, "  %s %s\n", t.c(cCyan, "<"), Quote(r.Record.Data, t.opt.MaxData))
		}
	}
	if ex := r.Record.HTTP; isHTTPError(ex) {
		// The plugin's answer says why it refused (or partly refused) the
		// write, and it is what the client library shows its user.
		fmt.Fprintf(t.w, "  %s %s\n", t.c(cRed, fmt.Sprintf("! answered %d:", ex.Status)), Quote(ex.ResponseBody, t.opt.MaxData))
	}
	for _, m := range r.Metrics {
		line, err := Line(m)
		if err != nil {
			line = fmt.Sprintf("%s (the influx output would refuse it: %v)", m.Name(), err)
		}
		fmt.Fprintf(t.w, "  %s %s\n", t.c(cGreen, ">"), line)
	}
	switch {
	case r.Format == "statsd" && !IsFlush(r):
		// Telegraf's statsd stores nothing when a line arrives
		// (plugins/inputs/statsd/statsd.go: aggregate, then Gather).
		fmt.Fprintf(t.w, "  %s\n", t.c(cDim, "> aggregated: stored at the next flush"))
	case r.Err == nil && len(r.Metrics) == 0 && len(strings.TrimSpace(string(r.Record.Data))) > 0:
		fmt.Fprintf(t.w, "  %s\n", t.c(cYellow, "> no metric stored"))
	}
	t.diagnostics(shown)
}

// foldAll splits a record's findings into those to print and the reminder
// lines of those folded.
func (t *Text) foldAll(ds []parse.Diagnostic) (shown []parse.Diagnostic, reminders []string) {
	for i, d := range ds {
		print, reminder := t.fold.fold("", d)
		if print {
			if shown == nil && i == len(ds)-1 {
				shown = ds[i:] // the common case, one finding: no copy
				continue
			}
			shown = append(shown, d)
		}
		if reminder != "" {
			reminders = append(reminders, reminder)
		}
	}
	return shown, reminders
}

func (t *Text) reminders(lines []string) {
	for _, l := range lines {
		fmt.Fprintf(t.w, "%s\n", t.c(cDim, "… "+l))
	}
}

func header(r *parse.Result) string {
	rec := r.Record
	var b strings.Builder
	fmt.Fprintf(&b, "%s #%d", rec.Listener, rec.Seq)
	if rec.Conn > 0 {
		fmt.Fprintf(&b, " conn %d", rec.Conn)
	}
	if rec.Peer != "" {
		fmt.Fprintf(&b, " from %s", rec.Peer)
	}
	if ex := rec.HTTP; ex != nil {
		// The request and the status the plugin answered, as a client
		// library's debug log would show them.
		fmt.Fprintf(&b, " %s → %d", RequestLine(ex), ex.Status)
	}
	fmt.Fprintf(&b, " %d B", rec.Size)
	if r.Auto {
		fmt.Fprintf(&b, " [%s]", r.Format)
	}
	return b.String()
}

func (t *Text) diagnostics(ds []parse.Diagnostic) {
	for _, d := range ds {
		t.diagnostic("  ", d)
	}
}

func (t *Text) diagnostic(indent string, d parse.Diagnostic) {
	color := cBlue
	switch d.Severity {
	case parse.Error:
		color = cRed
	case parse.Warning:
		color = cYellow
	}
	where := ""
	if d.Position.Line > 0 {
		where = fmt.Sprintf(" (at %d:%d)", d.Position.Line, d.Position.Column)
	}
	fmt.Fprintf(t.w, "%s%s %s%s\n", indent, t.c(color+cBold, fmt.Sprintf("%s[%s]", d.Severity, d.Rule)), shorten(d.Message, 4*t.opt.MaxData/3), where)
	for _, f := range d.Fixes {
		f = strings.ReplaceAll(f, "\n", "\n"+indent+"       ")
		fmt.Fprintf(t.w, "%s  %s %s\n", indent, t.c(cGreen, "fix:"), f)
	}
}

// Conn prints connection events.
func (t *Text) Conn(ev listener.ConnEvent) {
	if t.opt.Quiet {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if ev.Open {
		msg := fmt.Sprintf("%s conn %d opened", ev.Listener, ev.Conn)
		if ev.Peer != "" {
			msg += " from " + ev.Peer
		}
		fmt.Fprintf(t.w, "%s\n", t.c(cDim, msg))
		return
	}
	msg := fmt.Sprintf("%s conn %d %s: %d record(s), %d B", ev.Listener, ev.Conn, ev.Reason, ev.Records, ev.Bytes)
	if ev.PendingBytes > 0 {
		msg += fmt.Sprintf(", %d B never parsed", ev.PendingBytes)
	}
	fmt.Fprintf(t.w, "%s\n", t.c(cDim, msg))
}

// Finding prints a finding that is not about one record.
func (t *Text) Finding(d parse.Diagnostic) {
	t.mu.Lock()
	defer t.mu.Unlock()
	print, reminder := t.fold.fold("", d)
	if print {
		where := d.Source.Listener
		if d.Source.Record > 0 {
			// A finding about a record that came after it (Telegraf's
			// statsd plugin parses in goroutines of its own and logs
			// later): name the record, as its header did.
			where = fmt.Sprintf("%s #%d", where, d.Source.Record)
			if d.Source.Conn > 0 {
				where += fmt.Sprintf(" conn %d", d.Source.Conn)
			}
			if d.Source.Peer != "" {
				where += " from " + d.Source.Peer
			}
			where += " (reported after the record)"
		}
		fmt.Fprintf(t.w, "%s\n", t.c(cDim, where))
		t.diagnostic("  ", d)
	}
	if reminder != "" {
		t.reminders([]string{reminder})
	}
}

// Failure prints a failed check with its detail.
func (t *Text) Failure(f Failure) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.w, "%s %s\n", t.c(cRed+cBold, "FAIL "+f.Check+" "+f.Name+":"), f.Message)
	if f.Detail != "" {
		fmt.Fprintf(t.w, "%s\n", strings.TrimRight(f.Detail, "\n"))
	}
}

// Summary prints the end-of-run account.
func (t *Text) Summary(s *Summary) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.w, "\n%s\n", t.c(cBold, "summary"))
	for _, ls := range s.Listeners {
		fmt.Fprintf(t.w, "  %s (data_format %s)\n", t.c(cBold, ls.Listener), ls.DataFormat)
		fmt.Fprintf(t.w, "    records %d (%d rejected), metrics %d, bytes %d (accepted %d, rejected %d, pending at close %d)",
			ls.Records, ls.Rejected, ls.Metrics, ls.Bytes, ls.AcceptedBytes, ls.RejectedBytes, ls.PendingBytes)
		if ls.Flushes > 0 {
			fmt.Fprintf(t.w, ", flushes %d", ls.Flushes)
		}
		if ls.Connections > 0 {
			fmt.Fprintf(t.w, ", connections %d", ls.Connections)
		}
		if ls.SocketErrors > 0 {
			fmt.Fprintf(t.w, ", socket errors %d", ls.SocketErrors)
		}
		if ls.KernelDrops > 0 {
			fmt.Fprintf(t.w, ", %s", t.c(cRed, fmt.Sprintf("dropped by the kernel %d", ls.KernelDrops)))
		}
		if ls.FindingsUndelivered > 0 {
			fmt.Fprintf(t.w, ", findings not delivered by --findings-out %d", ls.FindingsUndelivered)
		}
		if ls.ForwardLost > 0 {
			fmt.Fprintf(t.w, ", %s", t.c(cRed, fmt.Sprintf("not forwarded %d bytes", ls.ForwardLost)))
		}
		fmt.Fprintln(t.w)
		for _, name := range sortedKeys(ls.ByMeasurement) {
			fmt.Fprintf(t.w, "    %-36s %d metric(s)\n", name, ls.ByMeasurement[name])
		}
		for _, rule := range sortedKeys(ls.Findings) {
			fmt.Fprintf(t.w, "    finding %-28s %d\n", rule, ls.Findings[rule])
		}
	}
	if folded := t.fold.folded(); len(folded) > 0 {
		fmt.Fprintf(t.w, "  %s\n", t.c(cBold, "not printed: the same finding again (--output json has every one)"))
		for _, c := range folded {
			fmt.Fprintf(t.w, "    %s: %d of %d\n", c.name(), c.folded, c.total)
		}
	}
	if c := s.Capture; c != nil && c.Cut != "" {
		at := "?"
		if c.CutAt != nil {
			at = c.CutAt.Format("15:04:05.000")
		}
		fmt.Fprintf(t.w, "  %s %s\n", t.c(cBold, "capture"), t.c(cRed, fmt.Sprintf("%s cut at %s (%s): it holds %d events, %d bytes; what arrived after the cut was checked but is not in it",
			c.File, at, c.Cut, c.Events, c.Bytes)))
	}
	for _, c := range s.Checked {
		fmt.Fprintf(t.w, "  %s %s\n", t.c(cBold, "capture checked"), c.line())
	}
	if len(s.Checks) > 0 {
		fmt.Fprintf(t.w, "  %s\n", t.c(cBold, "checks"))
		for _, c := range s.Checks {
			label := t.c(cGreen, "pass")
			switch c.Result {
			case Fail:
				label = t.c(cRed+cBold, "FAIL")
			case Updated:
				label = t.c(cYellow, "updated")
			}
			fmt.Fprintf(t.w, "    %s %s %s: %s\n", label, c.Check, c.Name, c.Message)
		}
	}
	last, color := summaryLine(s)
	fmt.Fprintf(t.w, "  %s\n", t.c(color, last))
}

// summaryLine is the last line of a report: the metrics, the findings by
// severity and the checks, and the colour it deserves.
func summaryLine(s *Summary) (string, string) {
	var parts []string
	for _, sev := range []string{"error", "warning", "info"} {
		if n := s.Findings[sev]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s(s)", n, sev))
		}
	}
	color := cGreen
	line := fmt.Sprintf("%d metric(s), no findings", s.Metrics)
	if len(parts) > 0 {
		line = fmt.Sprintf("%d metric(s), findings: %s", s.Metrics, strings.Join(parts, ", "))
		color = cYellow
		if s.Worst == parse.Error {
			color = cRed
		}
	}
	if len(s.Checks) > 0 {
		line += "; checks: " + checkCounts(s.Checks)
		for _, c := range s.Checks {
			if c.Failed() {
				color = cRed
			}
		}
	}
	return line, color
}

// shorten cuts a message (Telegraf quotes up to 1 KiB of the bad line in
// its errors) to about max bytes for the terminal; --output json keeps it whole.
func shorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("… (%d more bytes)", len(s)-cut)
}

// Quote shows bytes as a Go-quoted string, shortened to max bytes.
func Quote(b []byte, max int) string {
	if max > 0 && len(b) > max {
		return fmt.Sprintf("%q… (%d more bytes)", b[:max], len(b)-max)
	}
	return fmt.Sprintf("%q", b)
}

// JSON writes one JSON object per event (NDJSON).
type JSON struct {
	mu  sync.Mutex
	enc *json.Encoder
	opt Options
}

// NewJSON returns an NDJSON printer.
func NewJSON(w io.Writer, opt Options) *JSON {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &JSON{enc: enc, opt: opt}
}

func (j *JSON) emit(v any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	_ = j.enc.Encode(v)
}

// Listening reports a bound socket.
func (j *JSON) Listening(url, dataFormat string) { j.emit(ListeningEvent(url, dataFormat)) }

// Result writes a record event, a metric event per metric and a finding
// event per finding.
func (j *JSON) Result(r *parse.Result) { ResultEvents(r, j.opt.Quiet, j.emit) }

// Conn writes conn_open and conn_close events.
func (j *JSON) Conn(ev listener.ConnEvent) {
	if !j.opt.Quiet {
		j.emit(ConnEvent(ev))
	}
}

// Finding writes a finding event.
func (j *JSON) Finding(d parse.Diagnostic) { j.emit(FindingEvent(d)) }

// Failure writes a failure event.
func (j *JSON) Failure(f Failure) {
	j.emit(struct {
		Event string `json:"event"`
		Failure
	}{"failure", f})
}

// Summary writes the summary event.
func (j *JSON) Summary(s *Summary) {
	j.emit(struct {
		Event string `json:"event"`
		*Summary
	}{"summary", s})
}

// line is a checked capture for the text summary: what it held, then
// every loss, none left out.
func (c CheckedCapture) line() string {
	if c.Format == "fakegraf" {
		if c.Cut != "" {
			return fmt.Sprintf("%s (fakegraf capture): %s: what arrived after the cut is not in it", c.File, c.Cut)
		}
		return fmt.Sprintf("%s (fakegraf capture): whole", c.File)
	}
	parts := []string{fmt.Sprintf("%s (%s): %d packets, %d connections and %d datagrams checked", c.File, c.Format, c.Packets, c.Connections, c.Datagrams)}
	if c.OtherPackets > 0 {
		parts = append(parts, fmt.Sprintf("%d packets (%d bytes) on no input's port", c.OtherPackets, c.OtherBytes))
	}
	if c.SnaplenCutPackets > 0 {
		parts = append(parts, fmt.Sprintf("%d packets cut by the snaplen (%d bytes not kept)", c.SnaplenCutPackets, c.SnaplenCutBytes))
	}
	if c.FragmentsLost > 0 {
		parts = append(parts, fmt.Sprintf("%d IP fragments not reassembled", c.FragmentsLost))
	}
	if c.ConnectionsDropped > 0 {
		parts = append(parts, fmt.Sprintf("%d connections not followed", c.ConnectionsDropped))
	}
	if c.ConnectionsLost > 0 {
		parts = append(parts, fmt.Sprintf("%d connections lost bytes (%d missing in %d holes, %d began before the capture, %d open at its end): %d bytes of records not checked",
			c.ConnectionsLost, c.MissingBytes, c.Holes, c.BeganBefore, c.OpenAtEnd, c.UncheckedBytes))
	}
	if c.FileCut {
		parts = append(parts, "the file ends inside a packet")
	}
	return strings.Join(parts, "; ")
}
