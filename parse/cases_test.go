package parse_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/setup"
)

var clockLike = regexp.MustCompile(`[0-9]{6,}|\b(ago|before|after|years?|hours?|minutes?)\b`)

// casePipeline is the pipeline fakegraf runs for a case's input.
func casePipeline(t testing.TB, c parse.Case) *parse.Pipeline {
	t.Helper()
	return casePipelineFrom(t, c, nil)
}

// casePipelineFrom is casePipeline for an input whose settings were
// written somewhere else than the case says (the flags, a telegraf.conf).
func casePipelineFrom(t testing.TB, c parse.Case, origin *setup.Origin) *parse.Pipeline {
	t.Helper()
	var cfg *setup.Config
	var err error
	if c.Config == `data_format = "auto"` {
		cfg, err = setup.FromFlags(setup.Flags{Addresses: []string{c.Address()}, DataFormat: "auto", OmitHostname: true})
	} else {
		cfg, err = setup.Load([]byte(c.TOML()), "case")
	}
	require.NoError(t, err, "config:\n%s", c.TOML())
	require.Len(t, cfg.Inputs, 1)
	in := cfg.Inputs[0]
	if origin != nil {
		in.Origin = *origin
		for _, alt := range in.Auto {
			alt.Origin = *origin
		}
	}
	var stages []*parse.Stage
	if in.Auto != nil {
		for _, alt := range in.Auto {
			stages = append(stages, stage(alt))
		}
	} else {
		stages = append(stages, stage(in))
	}
	return parse.NewPipeline(c.Address(), nil, stages...)
}

// TestRuleCases runs every case of every rule: a trigger gives exactly its
// findings (for the rules it names), a near miss none of its rule's.
func TestRuleCases(t *testing.T) {
	for _, r := range parse.Rules() {
		triggers, misses := 0, 0
		for _, c := range r.Cases {
			if c.Wants(r.ID) {
				triggers++
			} else {
				misses++
			}
			t.Run(r.ID+"/"+c.Name, func(t *testing.T) { runCase(t, r, c) })
		}
		if triggers == 0 || misses == 0 {
			t.Errorf("rule %s has %d triggering and %d near-miss case(s): it needs at least one of each", r.ID, triggers, misses)
		}
	}
}

func runCase(t *testing.T, r *parse.Rule, c parse.Case) {
	p := casePipeline(t, c)
	now := time.Now()
	var got []parse.Diagnostic
	var data string
	var offs []int
	if c.Transport != nil {
		got = p.Transport(listener.Transport{Listener: c.Address(), Err: c.Transport})
	} else {
		require.NotEmpty(t, c.Records, "a case has records or a transport event")
		for _, cr := range caseRecords(t, c, now) {
			res := p.Process(cr.rec)
			data, offs, got = string(cr.rec.Data), cr.offs, res.Diagnostics
		}
	}
	checkStyle(t, got)
	for _, d := range got {
		// A golden file records the Token: it must not change with the
		// clock (a timestamp, a duration in words).
		if clockLike.MatchString(d.Token) {
			t.Errorf("%s: token %q looks clock-dependent", d.Rule, d.Token)
		}
	}
	ws := make([]want, 0, len(c.Want))
	named := map[string]bool{}
	for _, w := range c.Want {
		ws = append(ws, want{w.Rule, w.Severity.String(), w.At})
		named[w.Rule] = true
	}
	if !c.Trigger() {
		named[r.ID] = true // a near miss: none of the rule's own findings
	}
	var kept []parse.Diagnostic
	for _, d := range got {
		if named[d.Rule] {
			kept = append(kept, d)
		}
	}
	wantF := expected(t, data, offs, ws)
	sortFindings(wantF)
	gotF := comparable(findingsOf(kept), ws)
	if diff := cmp.Diff(wantF, gotF); diff != "" {
		t.Errorf("findings (-want +got):\n%s\nall findings:\n%s", diff, describe(got))
	}
}

// Every rule's Requires is exactly what its cases read: reading a fact it
// did not declare panics (facts.go), and declaring a fact no case reads
// fails here. A fact read only on a path no case reaches would go in
// unreached; better, add the case.
func TestRuleRequires(t *testing.T) {
	unreached := map[string][]parse.Fact{}
	read := map[string]map[parse.Fact]bool{}
	for _, r := range parse.Rules() {
		for _, c := range r.Cases {
			p := casePipeline(t, c)
			p.OnFact(func(rule string, f parse.Fact) {
				if read[rule] == nil {
					read[rule] = map[parse.Fact]bool{}
				}
				read[rule][f] = true
			})
			now := time.Now()
			for _, cr := range caseRecords(t, c, now) {
				p.Process(cr.rec)
			}
		}
	}
	for _, r := range parse.Rules() {
		for _, f := range r.Requires {
			if !read[r.ID][f] && !slices.Contains(unreached[r.ID], f) {
				t.Errorf("rule %s requires %v, but none of the cases reads it: drop it, or add the case that needs it", r.ID, f)
			}
		}
	}
}

// The placeholders of case data expand to the time of the run.
func TestExpandTimes(t *testing.T) {
	now := time.Unix(1700000000, 123456789)
	got := parse.ExpandTimes("{now_s} {now_ms} {now_us} {now_ns} {ago_ns:1s} {ago_ns:-1s} {other}", now)
	want := "1700000000 1700000000123 1700000000123456 1700000000123456789 1699999999123456789 1700000001123456789 {other}"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, offs := parse.Unmark("a∑b∑"); !cmp.Equal([]int{1, 2}, offs) {
		t.Errorf("marks at %v, want [1 2]", offs)
	}
	require.True(t, strings.HasPrefix(parse.Case{Config: `data_format = "json"`}.TOML(), "[agent]"))
}
