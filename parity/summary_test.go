//go:build parity

package parity

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Outcomes of a case.
const (
	agreed   = "agreed"
	differed = "differed"
	skipped  = "skipped"
)

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
		switch {
		case t.Failed():
			o.status = differed
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

	type counts struct{ run, agreed, differed, skipped int }
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
	fmt.Fprintf(&b, "  %-38s %5s %7s %9s %8s %10s\n", "suite", "run", "agreed", "differed", "skipped", "agreement")
	line := func(name string, c counts) {
		pct := "-"
		if c.run > 0 {
			pct = strconv.FormatFloat(100*float64(c.agreed)/float64(c.run), 'f', 1, 64) + " %"
		}
		fmt.Fprintf(&b, "  %-38s %5d %7d %9d %8d %10s\n", name, c.run, c.agreed, c.differed, c.skipped, pct)
	}
	for _, s := range suites {
		line(s, *bySuite[s])
	}
	line("total", total)
	for _, r := range rows {
		switch r.status {
		case differed:
			fmt.Fprintf(&b, "  DIFFERED %s\n", r.name)
		case skipped:
			fmt.Fprintf(&b, "  skipped  %s: %s\n", r.name, r.note)
		}
	}
	fmt.Fprintf(&b, "  runtime %s\n", elapsed.Round(100*time.Millisecond))
	return b.String()
}

// printSummary prints the agreement table to our stdout, which go test
// shows with -v or when the package fails. A passing package's output is
// hidden in package-list mode (`go test ./parity/...`, what `make parity`
// runs), so then the table is also written to the standard output of the
// `go test` that started this binary, reopened through /proc for appending
// before go prints its "ok" line. Only a pipe or a terminal is safe to
// share so: a regular file (`make parity > log`) would have go's "ok" line
// overwrite the table, since go writes at its own offset; there the table
// is not repeated (run with -v to see it).
func printSummary(elapsed time.Duration, code int) {
	text := summaryText(elapsed)
	fmt.Print(text)
	if code != 0 || verbose() {
		return // go test shows our output itself
	}
	if w := parentStdout(); w != nil {
		io.WriteString(w, text)
		w.Close()
	}
}

func verbose() bool {
	for _, a := range os.Args[1:] {
		if a == "-test.v" || a == "-test.v=true" || a == "-test.v=test2json" {
			return true
		}
	}
	return false
}

func parentStdout() io.WriteCloser {
	ppid := os.Getppid()
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", ppid))
	if err != nil || strings.TrimSpace(string(comm)) != "go" {
		return nil
	}
	path := fmt.Sprintf("/proc/%d/fd/1", ppid)
	st, err := os.Stat(path)
	if err != nil || st.Mode()&(os.ModeNamedPipe|os.ModeCharDevice) == 0 {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil
	}
	return f
}
