//go:build parity

package parity

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Outcomes of a case.
const (
	agreed     = "agreed"
	differed   = "differed"
	skipped    = "skipped"
	deliberate = "deliberate" // a documented difference, checked as documented
)

var deliberateCases sync.Map // test name -> true

// markDeliberate records that the running case checks a documented
// difference rather than agreement.
func markDeliberate(t *testing.T) { deliberateCases.Store(t.Name(), true) }

type outcome struct {
	suite, name, status, note string
}

var tally struct {
	sync.Mutex
	rows []outcome
}

// track records the outcome of the calling (sub)test when it ends: agreed
// if it passed, differed if it failed, skipped with the skip reason.
func track(t *testing.T, suite string, reason *string) {
	t.Cleanup(func() {
		o := outcome{suite: suite, name: t.Name(), status: agreed}
		_, isDeliberate := deliberateCases.Load(t.Name())
		switch {
		case t.Failed():
			o.status = differed
		case isDeliberate:
			o.status = deliberate
		case t.Skipped():
			o.status = skipped
			if reason != nil {
				o.note = *reason
			}
		}
		tally.Lock()
		tally.rows = append(tally.rows, o)
		tally.Unlock()
	})
}

func summaryText(elapsed time.Duration) string {
	tally.Lock()
	rows := append([]outcome(nil), tally.rows...)
	tally.Unlock()
	sort.Slice(rows, func(i, j int) bool { return rows[i].name < rows[j].name })

	type counts struct{ run, agreed, deliberate, differed, skipped int }
	bySuite := map[string]*counts{}
	var suites []string
	var total counts
	for _, r := range rows {
		c := bySuite[r.suite]
		if c == nil {
			c = &counts{}
			bySuite[r.suite] = c
			suites = append(suites, r.suite)
		}
		for _, x := range []*counts{c, &total} {
			switch r.status {
			case agreed:
				x.run++
				x.agreed++
			case deliberate:
				x.run++
				x.deliberate++
			case differed:
				x.run++
				x.differed++
			case skipped:
				x.skipped++
			}
		}
	}
	sort.Strings(suites)
	var b strings.Builder
	fmt.Fprintf(&b, "\nparity against Telegraf %s (%s)\n", telegrafVersion, telegrafBin)
	if selfCheck {
		b.WriteString("  SELF-CHECK: TestParityHTTP and TestParityStatsd ran Telegraf on both sides\n")
	}
	fmt.Fprintf(&b, "  %-38s %5s %7s %11s %9s %8s %10s\n", "suite", "run", "agreed", "deliberate", "differed", "skipped", "agreement")
	line := func(name string, c counts) {
		pct := "-"
		if c.run > 0 {
			pct = strconv.FormatFloat(100*float64(c.agreed+c.deliberate)/float64(c.run), 'f', 1, 64) + " %"
		}
		fmt.Fprintf(&b, "  %-38s %5d %7d %11d %9d %8d %10s\n", name, c.run, c.agreed, c.deliberate, c.differed, c.skipped, pct)
	}
	for _, s := range suites {
		line(s, *bySuite[s])
	}
	line("total", total)
	for _, r := range rows {
		switch r.status {
		case differed:
			fmt.Fprintf(&b, "  DIFFERED %s\n", r.name)
		case deliberate:
			fmt.Fprintf(&b, "  deliberate (README, Deliberate differences) %s\n", r.name)
		case skipped:
			fmt.Fprintf(&b, "  skipped  %s: %s\n", r.name, r.note)
		}
	}
	b.WriteString(inputTables(rows))
	fmt.Fprintf(&b, "  runtime %s\n", elapsed.Round(100*time.Millisecond))
	return b.String()
}

// inputTables renders one table per input of the suites beyond
// socket_listener (suite "inputs.<name>"): each case with its outcome,
// then the input's count of cases, agreed and differed. In self-check mode
// the title says that both sides were Telegraf.
func inputTables(rows []outcome) string {
	var b strings.Builder
	byInput := map[string][]outcome{}
	var inputs []string
	for _, r := range rows {
		if !strings.HasPrefix(r.suite, "inputs.") {
			continue
		}
		if byInput[r.suite] == nil {
			inputs = append(inputs, r.suite)
		}
		byInput[r.suite] = append(byInput[r.suite], r)
	}
	sort.Strings(inputs)
	against := "fakegraf"
	if selfCheck {
		against = "Telegraf itself (FAKEGRAF_PARITY_SELF=1: a check of the harness, not of fakegraf)"
	}
	for _, in := range inputs {
		var n, agree, differ int
		fmt.Fprintf(&b, "\n  [[%s]] against %s\n", in, against)
		for _, r := range byInput[in] {
			n++
			switch r.status {
			case agreed, deliberate:
				agree++
			case differed:
				differ++
			}
			// the case's name below the test and the input
			name := r.name
			if i := strings.Index(name, "/"+strings.TrimPrefix(in, "inputs.")+"/"); i >= 0 {
				name = name[i+len(in)-len("inputs.")+2:]
			} else if i := strings.Index(name, "/"); i >= 0 {
				name = name[i+1:]
			}
			fmt.Fprintf(&b, "    %-36s %s\n", name, r.status)
		}
		fmt.Fprintf(&b, "    %-36s cases %d, agree %d, differ %d\n", "total", n, agree, differ)
	}
	return b.String()
}

// printSummary prints the agreement table. make parity runs the compiled
// test binary itself, so the table shows whether the suite passes or not.
func printSummary(elapsed time.Duration, code int) {
	fmt.Print(summaryText(elapsed))
}
