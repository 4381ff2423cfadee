package report

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/influxdata/telegraf"

	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/serve"
)

// Expectation is one line of an --expect file:
//
//	at-least N  SPEC
//	at-most N   SPEC
//	exactly N   SPEC
//	never       SPEC
//
// SPEC is `measurement[,tag...] [field ...] [time:recent]`, e.g.
// `at-least 1 good_metric_name,format=json value1=10 value2:float price>5`.
// The measurement is a name or a /regular expression/. A tag is key=value,
// key!=value, key=~/regexp/, key!~/regexp/ or a bare key (present). A field
// is a bare key (present), key:type, or key OP value with OP one of = !=
// > >= < <= =~ !~, optionally followed by :type. Types are float, int, uint,
// string and bool. time:recent wants a timestamp within a day of now (it
// catches milliseconds read as nanoseconds). expect_syntax.go has the
// grammar; the README documents it.
type Expectation struct {
	Line    int
	Text    string
	Min     int // -1: no lower bound
	Max     int // -1: no upper bound
	Name    string
	NameRe  *regexp.Regexp // the measurement as /regexp/; nil: Name exactly
	Tags    []condition
	Fields  []condition
	Recent  bool
	matches int
}

// ParseExpectations reads an --expect file.
func ParseExpectations(data []byte) ([]*Expectation, error) {
	var out []*Expectation
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		e, err := parseExpectation(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		e.Line = n
		out = append(out, e)
	}
	return out, sc.Err()
}

func parseExpectation(line string) (*Expectation, error) {
	e := &Expectation{Text: line, Min: -1, Max: -1}
	verb, rest := cutWord(line)
	switch verb {
	case "at-least", "at-most", "exactly":
		n, spec := cutWord(rest)
		if n == "" || spec == "" {
			return nil, fmt.Errorf("%q needs a count and a measurement, e.g. %s 1 cpu", verb, verb)
		}
		v, err := strconv.Atoi(n)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("%q: count %q is not a whole number", verb, n)
		}
		switch verb {
		case "at-least":
			e.Min = v
		case "at-most":
			e.Max = v
		default:
			e.Min, e.Max = v, v
		}
		rest = spec
	case "never":
		if rest == "" {
			return nil, fmt.Errorf("never needs a measurement, e.g. never socket_listener")
		}
		e.Max = 0
	default:
		return nil, fmt.Errorf("unknown assertion %q: use at-least N, at-most N, exactly N or never", verb)
	}
	words, err := splitSpec(rest)
	if err != nil {
		return nil, err
	}
	head := words[0]
	if re, ok, err := parseRegexp(head[0]); err != nil {
		return nil, fmt.Errorf("measurement %s: %w", head[0], err)
	} else if ok {
		e.NameRe = re
	}
	e.Name = head[0]
	for _, t := range head[1:] {
		c, err := parseCondition(t, true)
		if err != nil {
			return nil, err
		}
		e.Tags = append(e.Tags, c)
	}
	for _, w := range words[1:] {
		for _, f := range w {
			if f == "time:recent" {
				e.Recent = true
				continue
			}
			c, err := parseCondition(f, false)
			if err != nil {
				return nil, err
			}
			e.Fields = append(e.Fields, c)
		}
	}
	return e, nil
}

// cutWord splits s at its first run of blanks.
func cutWord(s string) (word, rest string) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i], strings.TrimSpace(s[i:])
	}
	return s, ""
}

func typeName(v interface{}) string {
	switch v.(type) {
	case float64:
		return "float"
	case int64:
		return "int"
	case uint64:
		return "uint"
	case string:
		return "string"
	case bool:
		return "bool"
	}
	return fmt.Sprintf("%T", v)
}

// differences lists what keeps m from matching e; empty means it matches.
func (e *Expectation) differences(m telegraf.Metric, now time.Time) []string {
	var diffs []string
	if e.NameRe != nil && !e.NameRe.MatchString(m.Name()) || e.NameRe == nil && m.Name() != e.Name {
		diffs = append(diffs, fmt.Sprintf("name: want %s, got %q", e.nameWant(), m.Name()))
	}
	for _, c := range e.Tags {
		got, ok := m.GetTag(c.Key)
		if d := c.difference("tag", got, ok); d != "" {
			diffs = append(diffs, d)
		}
	}
	for _, c := range e.Fields {
		got, ok := m.GetField(c.Key)
		if d := c.difference("field", got, ok); d != "" {
			diffs = append(diffs, d)
		}
	}
	if e.Recent {
		if d := now.Sub(m.Time()); d > 24*time.Hour || d < -24*time.Hour {
			diffs = append(diffs, fmt.Sprintf("time: want within a day of now, got %s (a timestamp in the wrong unit?)", m.Time().UTC().Format(time.RFC3339Nano)))
		}
	}
	return diffs
}

func (e *Expectation) nameWant() string {
	if e.NameRe != nil {
		return e.Name
	}
	return strconv.Quote(e.Name)
}

// Expect checks expectations against every stored metric.
type Expect struct {
	serve.Ignore // a serve.Sink of results
	mu           sync.Mutex
	path         string
	exps         []*Expectation
	nearest      []nearest
	firstMatch   []telegraf.Metric // per expectation
	seen         int               // metrics received
}

type nearest struct {
	metric telegraf.Metric
	diffs  []string
}

// NewExpect reads an --expect file.
func NewExpect(path string) (*Expect, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	exps, err := ParseExpectations(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return newExpect(path, exps), nil
}

// NewExpectLines reads expectations given as lines of an --expect file
// (the HTTP API's waits); name stands for the file in their results.
func NewExpectLines(name string, lines []string) (*Expect, error) {
	exps, err := ParseExpectations([]byte(strings.Join(lines, "\n")))
	if err != nil {
		return nil, err
	}
	return newExpect(name, exps), nil
}

func newExpect(path string, exps []*Expectation) *Expect {
	return &Expect{path: path, exps: exps, nearest: make([]nearest, len(exps)), firstMatch: make([]telegraf.Metric, len(exps))}
}

// Result counts the record's metrics against every expectation, and keeps,
// per expectation, the received metric closest to it (fewest differences).
func (x *Expect) Result(r *parse.Result) { x.Metrics(r.Metrics) }

// Metrics counts metrics against every expectation, as Result does.
func (x *Expect) Metrics(ms []telegraf.Metric) {
	x.mu.Lock()
	defer x.mu.Unlock()
	now := time.Now()
	x.seen += len(ms)
	for i, e := range x.exps {
		for _, m := range ms {
			d := e.differences(m, now)
			if len(d) == 0 {
				if e.matches == 0 {
					x.firstMatch[i] = m.Copy()
				}
				e.matches++
				continue
			}
			n := &x.nearest[i]
			if n.metric == nil || closer(d, n.diffs) {
				n.metric, n.diffs = m.Copy(), d
			}
		}
	}
}

// Holds reports whether every expectation holds on what has arrived so far.
func (x *Expect) Holds() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, e := range x.exps {
		if !e.holds() {
			return false
		}
	}
	return true
}

func (e *Expectation) holds() bool {
	return (e.Min < 0 || e.matches >= e.Min) && (e.Max < 0 || e.matches <= e.Max)
}

// closer prefers a metric with the right name, then fewer differences.
func closer(a, b []string) bool {
	aName := len(a) > 0 && strings.HasPrefix(a[0], "name:")
	bName := len(b) > 0 && strings.HasPrefix(b[0], "name:")
	if aName != bName {
		return !aName
	}
	return len(a) < len(b)
}

// Results says, for every expectation in file order, what arrived and
// whether it held; a failed one says how the nearest metric differed.
func (x *Expect) Results() []CheckResult {
	var out []CheckResult
	for _, o := range x.Outcomes() {
		res := CheckResult{Check: "expect", Name: fmt.Sprintf("%s:%d", x.path, o.Line), Result: Pass, File: x.path, Line: o.Line,
			Message: o.Message, Detail: o.Detail}
		if !o.OK {
			res.Result = Fail
		}
		out = append(out, res)
	}
	return out
}

// Outcome is how one expectation fared, with the parts of its message
// apart, for a program to read (the HTTP API's waits).
type Outcome struct {
	Expect  string `json:"expect"` // the line as written
	Line    int    `json:"line"`   // its line number, from 1
	OK      bool   `json:"ok"`
	Matches int    `json:"matches"` // metrics that matched
	Want    string `json:"want"`    // "at least 1", "exactly 3", "none"
	Message string `json:"message"` // the one line of the summary
	// Nearest is, when too few matched, the metric that came closest and
	// what differed; nil when no metric arrived at all.
	Nearest *Nearest `json:"nearest,omitempty"`
	// FirstMatch is, when too many matched, the first that did, as line
	// protocol.
	FirstMatch string `json:"first_match,omitempty"`
	// Detail is what --expect prints under a failed expectation.
	Detail string `json:"detail,omitempty"`
}

// Nearest is the received metric closest to a failed expectation.
type Nearest struct {
	Line        string   `json:"line"`        // as line protocol
	Differences []string `json:"differences"` // what keeps it from matching
}

// Outcomes says, for every expectation in file order, what arrived and
// whether it held.
func (x *Expect) Outcomes() []Outcome {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := make([]Outcome, 0, len(x.exps))
	for i, e := range x.exps {
		o := Outcome{Expect: e.Text, Line: e.Line, OK: true, Matches: e.matches, Want: e.want(),
			Message: fmt.Sprintf("\"%s\": %d matching metric(s) arrived, want %s", e.Text, e.matches, e.want())}
		switch {
		case e.Min >= 0 && e.matches < e.Min:
			o.OK = false
			var b strings.Builder
			n := x.nearest[i]
			switch {
			case n.metric != nil:
				line, _ := Line(n.metric)
				o.Nearest = &Nearest{Line: line, Differences: n.diffs}
				fmt.Fprintf(&b, "nearest metric received: %s\n", line)
				for _, d := range n.diffs {
					fmt.Fprintf(&b, "  %s\n", d)
				}
			case x.seen == 0:
				b.WriteString("no metric arrived at all\n")
			default:
				fmt.Fprintf(&b, "all %d metric(s) that arrived matched; %d more were wanted\n", x.seen, e.Min-e.matches)
			}
			o.Detail = b.String()
		case e.Max >= 0 && e.matches > e.Max:
			o.OK = false
			o.FirstMatch, _ = Line(x.firstMatch[i])
			o.Detail = fmt.Sprintf("the first that matched: %s\n", o.FirstMatch)
		}
		out = append(out, o)
	}
	return out
}

// want says what an expectation wants: "at least 5", "exactly 3", "none".
func (e *Expectation) want() string {
	switch {
	case e.Max == 0:
		return "none"
	case e.Min == e.Max:
		return fmt.Sprintf("exactly %d", e.Min)
	case e.Max < 0:
		return fmt.Sprintf("at least %d", e.Min)
	case e.Min < 0:
		return fmt.Sprintf("at most %d", e.Max)
	}
	return fmt.Sprintf("%d to %d", e.Min, e.Max)
}
