package report

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/influxdata/telegraf"
	influxparser "github.com/influxdata/telegraf/plugins/parsers/influx"
	"github.com/influxdata/telegraf/plugins/serializers/influx"
	"github.com/rogpeppe/go-internal/diff"

	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/serve"
)

// GoldenOptions say what a golden comparison leaves out.
type GoldenOptions struct {
	IgnoreTags       []string // tag keys left out (default: host, which differs per machine)
	IgnoreFields     []string // field keys left out
	IgnoreTimestamps bool     // leave out every timestamp, not only those the sender did not set
	FloatTolerance   float64  // absolute tolerance for float fields

	// UpdateHint is how the reader rewrites the file: "--update" on the
	// CLI, "FAKEGRAF_UPDATE=1" in fakegraftest. The file's header and
	// Compare's errors name it; empty, they name no switch.
	UpdateHint string
}

// Golden records what a client sent in a stable, reviewable form: the
// accepted metrics as sorted line protocol (timestamps only where the sender
// set them), then the findings by rule, record and position.
//
// A finding's message is not recorded: it may name the sender's timestamp
// and how far it lies from now ("56 years before it arrived"), which change
// every run. Its line holds only what the same sender reproduces: severity,
// rule, record number, line:column, and the diagnostic's Token when the rule
// sets one.
type Golden struct {
	serve.Ignore // a serve.Sink of results and findings
	mu           sync.Mutex
	opt          GoldenOptions
	metrics      []string
	findings     []goldenFinding
	// ser and serTime serialize metrics without and with their
	// timestamp; made once, not per metric.
	ser, serTime *influx.Serializer
}

// goldenFinding is the part of a finding a golden file records.
type goldenFinding struct {
	rule      string
	severity  parse.Severity
	record    uint64 // 0: about the socket, not a record
	line, col int
	token     string
}

func newGoldenFinding(d parse.Diagnostic) goldenFinding {
	return goldenFinding{d.Rule, d.Severity, d.Source.Record, d.Position.Line, d.Position.Column, d.Token}
}

// String is the finding's line: error[timestamp-unit] record 1 at 1:34.
func (f goldenFinding) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s[%s]", f.severity, f.rule)
	if f.record == 0 {
		b.WriteString(" socket")
	} else {
		fmt.Fprintf(&b, " record %d", f.record)
	}
	if f.line > 0 {
		fmt.Fprintf(&b, " at %d:%d", f.line, f.col)
	}
	if f.token != "" {
		fmt.Fprintf(&b, " %q", f.token)
	}
	return b.String()
}

// compareGoldenFindings sorts by rule, then where, then severity and token.
func compareGoldenFindings(a, b goldenFinding) int {
	return cmp.Or(
		strings.Compare(a.rule, b.rule),
		cmp.Compare(a.record, b.record),
		cmp.Compare(a.line, b.line),
		cmp.Compare(a.col, b.col),
		cmp.Compare(a.severity, b.severity),
		strings.Compare(a.token, b.token),
	)
}

// NewGolden returns an empty recorder.
func NewGolden(opt GoldenOptions) *Golden { return &Golden{opt: opt} }

const goldenTitle = "# fakegraf golden file: accepted metrics as sorted line protocol (timestamps only where the sender set them), then findings by rule."

// header is the file's leading comment block. Its second line depends on
// who wrote the file, so Compare does not compare it.
func (g *Golden) header() string {
	regen := "# Regenerate it and review the diff."
	if g.opt.UpdateHint != "" {
		regen = "# Regenerate with " + g.opt.UpdateHint + " and review the diff."
	}
	return goldenTitle + "\n" + regen + "\n"
}

// Result records a record's metrics and findings.
func (g *Golden) Result(r *parse.Result) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, m := range r.Metrics {
		keepTime := !g.opt.IgnoreTimestamps && r.SenderSetTime(i)
		g.metrics = append(g.metrics, g.line(m, keepTime))
	}
	for _, d := range r.Diagnostics {
		g.findings = append(g.findings, newGoldenFinding(d))
	}
}

// Finding records a finding that is not about one record.
func (g *Golden) Finding(d parse.Diagnostic) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.findings = append(g.findings, newGoldenFinding(d))
}

func (g *Golden) line(m telegraf.Metric, keepTime bool) string {
	// The metric is shared with the other sinks: it is copied before
	// anything is removed, and before SortFields sorts its fields in
	// place, but only then: a copy per metric was half of the garbage of
	// a run of a million (docs/benchmarks.md, issue 15).
	if g.changes(m) {
		m = m.Copy()
		for _, k := range g.opt.IgnoreTags {
			m.RemoveTag(k)
		}
		for _, k := range g.opt.IgnoreFields {
			m.RemoveField(k)
		}
	}
	ser, err := g.serializer(keepTime)
	if err != nil {
		return fmt.Sprintf("# %s: %v", m.Name(), err)
	}
	b, err := ser.Serialize(m)
	if err != nil {
		return fmt.Sprintf("# %s: %v", m.Name(), err)
	}
	return strings.TrimRight(string(b), "\n")
}

// changes reports whether serializing m for the file would change it: an
// ignored tag or field to remove, or fields out of order.
func (g *Golden) changes(m telegraf.Metric) bool {
	for _, k := range g.opt.IgnoreTags {
		if m.HasTag(k) {
			return true
		}
	}
	for _, k := range g.opt.IgnoreFields {
		if m.HasField(k) {
			return true
		}
	}
	return !slices.IsSortedFunc(m.FieldList(), func(a, b *telegraf.Field) int { return strings.Compare(a.Key, b.Key) })
}

// serializer is the line protocol serializer with or without timestamps.
func (g *Golden) serializer(keepTime bool) (*influx.Serializer, error) {
	p := &g.ser
	if keepTime {
		p = &g.serTime
	}
	if *p == nil {
		ser := &influx.Serializer{SortFields: true, OmitTimestamp: !keepTime}
		if err := ser.Init(); err != nil {
			return nil, err
		}
		*p = ser
	}
	return *p, nil
}

// Content is the golden file text for what was recorded.
func (g *Golden) Content() []byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	// Sorted in place, and written into a buffer of the final size: a
	// copy of a million lines, or a buffer grown by doubling, is memory
	// the run holds at its end only to throw away.
	sort.Strings(g.metrics)
	findings := slices.Clone(g.findings)
	slices.SortFunc(findings, compareGoldenFindings)
	size := 0
	for _, l := range g.metrics {
		size += len(l) + 1
	}
	var b bytes.Buffer
	b.Grow(size + 64*len(findings) + 512)
	b.WriteString(g.header())
	b.WriteString("\n# metrics\n")
	for _, l := range g.metrics {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	b.WriteString("\n# findings\n")
	for _, f := range findings {
		b.WriteString(f.String() + "\n")
	}
	return b.Bytes()
}

// Compare checks the recording against the file at path and returns a
// -want +got diff, empty when they agree. The file's header is not
// compared. A missing file is an error that wraps fs.ErrNotExist and, with
// an UpdateHint, says how to create it.
func (g *Golden) Compare(path string) (string, error) {
	diff, _, err := g.compare(path)
	return diff, err
}

// compare is Compare, with the line of the file where the first
// difference is (the line after its last, when the run has more).
func (g *Golden) compare(path string) (diff string, line int, err error) {
	want, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if g.opt.UpdateHint == "" {
			return "", 0, fmt.Errorf("golden file %s: %w", path, fs.ErrNotExist)
		}
		return "", 0, fmt.Errorf("golden file %s: %w: run once with %s to create it, then review and commit it", path, fs.ErrNotExist, g.opt.UpdateHint)
	}
	if err != nil {
		return "", 0, err
	}
	diff, line = g.compareContent(want)
	return diff, line, nil
}

// CompareContent is Compare against a golden file's text rather than a
// path: for the HTTP API, whose client holds the file.
func (g *Golden) CompareContent(want []byte) string {
	diff, _ := g.compareContent(want)
	return diff
}

func (g *Golden) compareContent(want []byte) (diff string, line int) {
	got := g.Content()
	// The common case, a file that matches, compared as bytes: split into
	// lines, a golden file of a million metrics and the run's were 300
	// MiB more (docs/benchmarks.md, issue 15).
	if g.opt.FloatTolerance == 0 && bytes.HasPrefix(want, []byte(goldenTitle+"\n")) &&
		bytes.Equal(bytes.TrimRight(afterHeader(want), "\n"), bytes.TrimRight(afterHeader(got), "\n")) {
		return "", 0
	}
	wantLines := splitLines(want)
	gotLines := splitLines(got)
	// A file written by another tool, or by an older fakegraf, says
	// another way to regenerate it; that is not a difference. shift maps a
	// line of wantLines back to the file.
	shift := 0
	if hw, hg := headerLines(wantLines), headerLines(gotLines); hw > 0 && wantLines[0] == goldenTitle {
		wantLines = slices.Concat(gotLines[:hg], wantLines[hw:])
		shift = hw - hg
	}
	if g.opt.FloatTolerance > 0 {
		gotLines = adoptWithinTolerance(wantLines, gotLines, g.opt.FloatTolerance)
	}
	diff = LineDiff(wantLines, gotLines)
	if diff == "" {
		return "", 0
	}
	i := 0
	for i < len(wantLines) && i < len(gotLines) && wantLines[i] == gotLines[i] {
		i++
	}
	return diff, max(min(i+shift, len(wantLines)+shift-1)+1, 1)
}

// Check compares the recording with the golden file at path, or with
// update rewrites the file, and says what it found.
func (g *Golden) Check(path string, update bool) CheckResult {
	res := CheckResult{Check: "golden", Name: path, File: path}
	counts := g.Counts()
	if update {
		if err := g.Update(path); err != nil {
			res.Result, res.Message = Fail, err.Error()
			return res
		}
		res.Result, res.Message = Updated, "rewritten: "+counts+"; review the diff before committing it"
		return res
	}
	diff, line, err := g.compare(path)
	switch {
	case err != nil:
		res.Result, res.Message = Fail, err.Error()
	case diff != "":
		accept := "regenerate it to accept it"
		if g.opt.UpdateHint != "" {
			accept = "rerun with " + g.opt.UpdateHint + " to accept it"
		}
		res.Result, res.Message, res.Detail, res.Line = Fail, "what arrived differs from the golden file ("+accept+")", diff, line
	default:
		res.Result, res.Message = Pass, "what arrived matches it ("+counts+")"
	}
	return res
}

// Counts says how many metric and finding lines the recording has:
// "3 metric line(s), 0 finding line(s)".
func (g *Golden) Counts() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return fmt.Sprintf("%d metric line(s), %d finding line(s)", len(g.metrics), len(g.findings))
}

// headerLines counts the leading comment lines: the header, which the blank
// line before "# metrics" ends.
func headerLines(lines []string) int {
	n := 0
	for n < len(lines) && strings.HasPrefix(lines[n], "#") {
		n++
	}
	return n
}

// afterHeader is a golden file's text after its header: the leading lines
// that headerLines counts.
func afterHeader(b []byte) []byte {
	for bytes.HasPrefix(b, []byte("#")) {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return nil
		}
		b = b[i+1:]
	}
	return b
}

// Update writes the recording to path.
func (g *Golden) Update(path string) error { return os.WriteFile(path, g.Content(), 0o644) }

func splitLines(b []byte) []string {
	s := strings.TrimRight(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// adoptWithinTolerance replaces each got metric line by the wanted line it
// equals within the float tolerance, so that only real differences show.
func adoptWithinTolerance(want, got []string, tol float64) []string {
	p := &influxparser.Parser{}
	if err := p.Init(); err != nil {
		return got
	}
	parseLine := func(l string) telegraf.Metric {
		if l == "" || strings.HasPrefix(l, "#") || strings.Contains(l, ": ") && !strings.Contains(l, "=") {
			return nil
		}
		m, err := p.ParseLine(l)
		if err != nil {
			return nil
		}
		return m
	}
	wantM := make([]telegraf.Metric, len(want))
	for i, l := range want {
		wantM[i] = parseLine(l)
	}
	used := make([]bool, len(want))
	out := slices.Clone(got)
	for i, l := range got {
		gm := parseLine(l)
		if gm == nil || slices.Contains(want, l) {
			continue
		}
		for j, wm := range wantM {
			if wm != nil && !used[j] && equalWithin(wm, gm, tol) {
				out[i], used[j] = want[j], true
				break
			}
		}
	}
	return out
}

func equalWithin(a, b telegraf.Metric, tol float64) bool {
	if a.Name() != b.Name() || !a.Time().Equal(b.Time()) || len(a.TagList()) != len(b.TagList()) || len(a.FieldList()) != len(b.FieldList()) {
		return false
	}
	for _, t := range a.TagList() {
		if v, ok := b.GetTag(t.Key); !ok || v != t.Value {
			return false
		}
	}
	for _, f := range a.FieldList() {
		v, ok := b.GetField(f.Key)
		if !ok {
			return false
		}
		af, aok := f.Value.(float64)
		bf, bok := v.(float64)
		if aok && bok {
			if math.Abs(af-bf) > tol {
				return false
			}
			continue
		}
		if f.Value != v {
			return false
		}
	}
	return true
}

// LineDiff renders a unified diff of want and got (-want +got), with three
// lines of context around each change; empty when equal. It is Go's
// anchored diff (go-internal/diff, from cmd/go): time O(n log n) and memory
// linear in the input, so a golden file of any size can be compared.
// Lines must not contain newlines.
func LineDiff(want, got []string) string {
	if slices.Equal(want, got) {
		return ""
	}
	d := diff.Diff("want (golden file)", joinLines(want), "got (this run)", joinLines(got))
	// Drop the "diff want got" line: the --- and +++ lines say it.
	_, d, _ = bytes.Cut(d, []byte("\n"))
	return string(d)
}

func joinLines(lines []string) []byte {
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}
