package report

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"sort"
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
// SPEC is `measurement[,tag=value...] [field[=value][:type] ...] [time:recent]`,
// e.g. `at-least 1 good_metric_name,format=json value1=10 value2:float`.
// A field with no value only has to be present; :type is float, int, uint,
// string or bool; time:recent wants a timestamp within a day of now (it
// catches milliseconds read as nanoseconds).
type Expectation struct {
	Line    int
	Text    string
	Min     int // -1: no lower bound
	Max     int // -1: no upper bound
	Name    string
	Tags    map[string]string
	Fields  []fieldSpec
	Recent  bool
	matches int
}

type fieldSpec struct {
	Key   string
	Value *string // nil: any value
	Type  string  // "": any type
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
	words := strings.Fields(line)
	e := &Expectation{Text: line, Min: -1, Max: -1, Tags: map[string]string{}}
	count := func() (int, error) {
		if len(words) < 3 {
			return 0, fmt.Errorf("%q needs a count and a measurement", words[0])
		}
		v, err := strconv.Atoi(words[1])
		if err != nil || v < 0 {
			return 0, fmt.Errorf("%q: count %q is not a whole number", words[0], words[1])
		}
		return v, nil
	}
	var spec []string
	switch words[0] {
	case "at-least", "at-most", "exactly":
		v, err := count()
		if err != nil {
			return nil, err
		}
		switch words[0] {
		case "at-least":
			e.Min = v
		case "at-most":
			e.Max = v
		default:
			e.Min, e.Max = v, v
		}
		spec = words[2:]
	case "never":
		if len(words) < 2 {
			return nil, fmt.Errorf("never needs a measurement")
		}
		e.Max = 0
		spec = words[1:]
	default:
		return nil, fmt.Errorf("unknown assertion %q: use at-least N, at-most N, exactly N or never", words[0])
	}
	head := strings.Split(spec[0], ",")
	e.Name = head[0]
	for _, t := range head[1:] {
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			return nil, fmt.Errorf("tag %q: want key=value", t)
		}
		e.Tags[k] = v
	}
	for _, w := range spec[1:] {
		for _, f := range strings.Split(w, ",") {
			if f == "" {
				continue
			}
			if f == "time:recent" {
				e.Recent = true
				continue
			}
			fs := fieldSpec{}
			rest := f
			if i := strings.LastIndex(rest, ":"); i >= 0 {
				fs.Type = rest[i+1:]
				rest = rest[:i]
				switch fs.Type {
				case "float", "int", "uint", "string", "bool":
				default:
					return nil, fmt.Errorf("field %q: type %q is not float, int, uint, string or bool", f, fs.Type)
				}
			}
			if k, v, ok := strings.Cut(rest, "="); ok {
				fs.Key, fs.Value = k, &v
			} else {
				fs.Key = rest
			}
			e.Fields = append(e.Fields, fs)
		}
	}
	return e, nil
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

func valueMatches(want string, got interface{}) bool {
	switch g := got.(type) {
	case string:
		return strings.Trim(want, `"`) == g
	case bool:
		b, err := strconv.ParseBool(want)
		return err == nil && b == g
	default:
		w, err := strconv.ParseFloat(strings.TrimRight(want, "iu"), 64)
		if err != nil {
			return false
		}
		switch g := got.(type) {
		case float64:
			return w == g
		case int64:
			return w == float64(g)
		case uint64:
			return w == float64(g)
		}
	}
	return false
}

// differences lists what keeps m from matching e; empty means it matches.
func (e *Expectation) differences(m telegraf.Metric, now time.Time) []string {
	var diffs []string
	if m.Name() != e.Name {
		diffs = append(diffs, fmt.Sprintf("name: want %q, got %q", e.Name, m.Name()))
	}
	keys := make([]string, 0, len(e.Tags))
	for k := range e.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		got, ok := m.GetTag(k)
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("tag %s: want %q, missing", k, e.Tags[k]))
		case got != e.Tags[k]:
			diffs = append(diffs, fmt.Sprintf("tag %s: want %q, got %q", k, e.Tags[k], got))
		}
	}
	for _, f := range e.Fields {
		got, ok := m.GetField(f.Key)
		if !ok {
			diffs = append(diffs, fmt.Sprintf("field %s: missing", f.Key))
			continue
		}
		if f.Type != "" && typeName(got) != f.Type {
			diffs = append(diffs, fmt.Sprintf("field %s: want type %s, got %s (%v)", f.Key, f.Type, typeName(got), got))
		}
		if f.Value != nil && !valueMatches(*f.Value, got) {
			diffs = append(diffs, fmt.Sprintf("field %s: want %s, got %v", f.Key, *f.Value, got))
		}
	}
	if e.Recent {
		if d := now.Sub(m.Time()); d > 24*time.Hour || d < -24*time.Hour {
			diffs = append(diffs, fmt.Sprintf("time: want within a day of now, got %s (a timestamp in the wrong unit?)", m.Time().UTC().Format(time.RFC3339Nano)))
		}
	}
	return diffs
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
	return &Expect{path: path, exps: exps, nearest: make([]nearest, len(exps)), firstMatch: make([]telegraf.Metric, len(exps))}, nil
}

// Result counts the record's metrics against every expectation, and keeps,
// per expectation, the received metric closest to it (fewest differences).
func (x *Expect) Result(r *parse.Result) {
	x.mu.Lock()
	defer x.mu.Unlock()
	now := time.Now()
	x.seen += len(r.Metrics)
	for i, e := range x.exps {
		for _, m := range r.Metrics {
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
	x.mu.Lock()
	defer x.mu.Unlock()
	out := make([]CheckResult, 0, len(x.exps))
	for i, e := range x.exps {
		low := e.Min >= 0 && e.matches < e.Min
		high := e.Max >= 0 && e.matches > e.Max
		res := CheckResult{Check: "expect", Name: fmt.Sprintf("%s:%d", x.path, e.Line), Result: Pass, File: x.path, Line: e.Line,
			Message: fmt.Sprintf("%q: %d matching metric(s) arrived, want %s", e.Text, e.matches, e.want())}
		switch {
		case low:
			res.Result = Fail
			var b strings.Builder
			n := x.nearest[i]
			switch {
			case n.metric != nil:
				line, _ := Line(n.metric)
				fmt.Fprintf(&b, "nearest metric received: %s\n", line)
				for _, d := range n.diffs {
					fmt.Fprintf(&b, "  %s\n", d)
				}
			case x.seen == 0:
				b.WriteString("no metric arrived at all\n")
			default:
				fmt.Fprintf(&b, "all %d metric(s) that arrived matched; %d more were wanted\n", x.seen, e.Min-e.matches)
			}
			res.Detail = b.String()
		case high:
			res.Result = Fail
			line, _ := Line(x.firstMatch[i])
			res.Detail = fmt.Sprintf("the first that matched: %s\n", line)
		}
		out = append(out, res)
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
