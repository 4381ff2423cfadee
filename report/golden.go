package report

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/influxdata/telegraf"
	influxparser "github.com/influxdata/telegraf/plugins/parsers/influx"
	"github.com/influxdata/telegraf/plugins/serializers/influx"

	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/serve"
)

// GoldenOptions say what a golden comparison leaves out.
type GoldenOptions struct {
	IgnoreTags       []string // tag keys left out (default: host, which differs per machine)
	IgnoreFields     []string // field keys left out
	IgnoreTimestamps bool     // leave out every timestamp, not only those the sender did not set
	FloatTolerance   float64  // absolute tolerance for float fields
}

// Golden records what a client sent in a stable, reviewable form: the
// accepted metrics as sorted line protocol (timestamps only where the sender
// set them), then the findings by rule and message.
type Golden struct {
	serve.Ignore // a serve.Sink of results and findings
	mu           sync.Mutex
	opt          GoldenOptions
	metrics      []string
	findings     []string
}

// NewGolden returns an empty recorder.
func NewGolden(opt GoldenOptions) *Golden { return &Golden{opt: opt} }

const goldenHeader = "# fakegraf golden file: accepted metrics as sorted line protocol (timestamps only where the sender set them), then findings by rule.\n# Regenerate with --update and review the diff.\n"

// Result records a record's metrics and findings.
func (g *Golden) Result(r *parse.Result) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, m := range r.Metrics {
		keepTime := !g.opt.IgnoreTimestamps && r.SenderSetTime(i)
		g.metrics = append(g.metrics, g.line(m, keepTime))
	}
	for _, d := range r.Diagnostics {
		g.findings = append(g.findings, findingLine(d))
	}
}

func findingLine(d parse.Diagnostic) string {
	return fmt.Sprintf("%s %s: %s", d.Severity, d.Rule, strings.ReplaceAll(d.Message, "\n", `\n`))
}

// Finding records a finding that is not about one record.
func (g *Golden) Finding(d parse.Diagnostic) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.findings = append(g.findings, findingLine(d))
}

func (g *Golden) line(m telegraf.Metric, keepTime bool) string {
	m = m.Copy()
	for _, k := range g.opt.IgnoreTags {
		m.RemoveTag(k)
	}
	for _, k := range g.opt.IgnoreFields {
		m.RemoveField(k)
	}
	ser := &influx.Serializer{SortFields: true, OmitTimestamp: !keepTime}
	if err := ser.Init(); err != nil {
		return fmt.Sprintf("# %s: %v", m.Name(), err)
	}
	b, err := ser.Serialize(m)
	if err != nil {
		return fmt.Sprintf("# %s: %v", m.Name(), err)
	}
	return strings.TrimRight(string(b), "\n")
}

// Content is the golden file text for what was recorded.
func (g *Golden) Content() []byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	metrics := slices.Clone(g.metrics)
	findings := slices.Clone(g.findings)
	sort.Strings(metrics)
	sort.Strings(findings)
	var b bytes.Buffer
	b.WriteString(goldenHeader)
	b.WriteString("\n# metrics\n")
	for _, l := range metrics {
		b.WriteString(l + "\n")
	}
	b.WriteString("\n# findings\n")
	for _, l := range findings {
		b.WriteString(l + "\n")
	}
	return b.Bytes()
}

// Compare checks the recording against the file at path and returns a
// -want +got diff, empty when they agree. A missing file is an error that
// says to run with --update.
func (g *Golden) Compare(path string) (string, error) {
	want, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("golden file %s does not exist: run once with --update to create it, then review and commit it", path)
	}
	if err != nil {
		return "", err
	}
	wantLines := splitLines(want)
	gotLines := splitLines(g.Content())
	if g.opt.FloatTolerance > 0 {
		gotLines = adoptWithinTolerance(wantLines, gotLines, g.opt.FloatTolerance)
	}
	return LineDiff(wantLines, gotLines), nil
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

// LineDiff renders a line diff of want and got in the -want +got style,
// with two lines of context around each change; empty when equal.
func LineDiff(want, got []string) string {
	if slices.Equal(want, got) {
		return ""
	}
	// Longest common subsequence, fine for the sizes of golden files.
	n, m := len(want), len(got)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if want[i] == got[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte
		text string
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && want[i] == got[j]:
			ops = append(ops, op{' ', want[i]})
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', want[i]})
			i++
		default:
			ops = append(ops, op{'+', got[j]})
			j++
		}
	}
	const context = 2
	var b strings.Builder
	b.WriteString("--- want (golden file)\n+++ got (this run)\n")
	lastShown := -1
	for k, o := range ops {
		if o.kind == ' ' {
			near := false
			for d := -context; d <= context; d++ {
				if k+d >= 0 && k+d < len(ops) && ops[k+d].kind != ' ' {
					near = true
				}
			}
			if !near {
				continue
			}
		}
		if lastShown >= 0 && k > lastShown+1 {
			b.WriteString("@@\n")
		}
		fmt.Fprintf(&b, "%c %s\n", o.kind, o.text)
		lastShown = k
	}
	return b.String()
}
