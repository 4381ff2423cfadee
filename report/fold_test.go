package report_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
)

// flood plays n datagrams from one host (a new port each, as a sender that
// opens a socket per datagram), each with a millisecond timestamp, through
// p; the clock advances by step per datagram.
func flood(p report.Printer, n int, clock *time.Time, step time.Duration) {
	const udp = "udp://127.0.0.1:8094"
	for i := range n {
		ms := 1795909180710 + int64(i)
		peer := fmt.Sprintf("127.0.0.1:%d", 40000+i%20000)
		data := fmt.Sprintf("order_price,shop=eu-1 price=9.99 %d\n", ms)
		p.Result(&parse.Result{
			Record: listener.Record{Listener: udp, Peer: peer, Seq: uint64(i + 1), Size: len(data), Terminated: true, Data: []byte(data)},
			Format: "influx",
			Diagnostics: []parse.Diagnostic{{
				Rule: "timestamp-unit", Severity: parse.Error,
				Message:  fmt.Sprintf("timestamp %d is read as nanoseconds, which puts the point at 1970-01-01T00:29:55.%dZ (56 years before it arrived)", ms, ms%1000000000),
				Source:   parse.Source{Listener: udp, Peer: peer, Record: uint64(i + 1)},
				Position: parse.Position{Offset: 33, Line: 1, Column: 34},
				Fixes:    []string{`set influx_timestamp_precision = "1ms"`, "or send nanoseconds"},
			}},
		})
		*clock = clock.Add(step)
	}
}

// 10,000 datagrams with the same mistake print its first three findings,
// a line saying the rest are counted, a reminder every FoldEvery, and the
// count in the summary; a different mistake from the same sender is not
// folded into it.
func TestTextFoldsAFlood(t *testing.T) {
	for _, quiet := range []bool{false, true} {
		t.Run(fmt.Sprintf("quiet=%v", quiet), func(t *testing.T) {
			clock := t0
			var out bytes.Buffer
			p := report.NewText(&out, report.Options{Quiet: quiet, Now: func() time.Time { return clock }})
			flood(p, 10000, &clock, 5*time.Millisecond) // 50 s of traffic
			p.Finding(parse.Diagnostic{Rule: "udp-kernel-drops", Severity: parse.Error, Message: "the kernel dropped 17 datagrams", Source: parse.Source{Listener: "udp://127.0.0.1:8094"}})
			p.Summary(&report.Summary{Metrics: 10000, Findings: map[string]int{"error": 10001}, Worst: parse.Error})
			got := out.String()

			blocks := strings.Count(got, "error[timestamp-unit] timestamp ")
			if blocks >= 50 || blocks < 1 {
				t.Errorf("printed %d timestamp-unit blocks, want 1 to 49", blocks)
			}
			require.Equal(t, 3, blocks)
			require.Equal(t, 1, strings.Count(got, "error[udp-kernel-drops]"), "another rule is another cause")
			require.Contains(t, got, "\n… error[timestamp-unit] on udp://127.0.0.1:8094 from 127.0.0.1 keeps coming: the ones after these 3 are counted, not printed (a reminder every 10s; the summary has the total)\n")
			reminders := regexp.MustCompile(`(?m)^… error\[timestamp-unit\] on udp://127\.0\.0\.1:8094 from 127\.0\.0\.1: (\d+) more since the last reminder, (\d+) in all$`).FindAllStringSubmatch(got, -1)
			require.Len(t, reminders, 4, "a reminder every 10 s of 50 s, after the first")
			require.Equal(t, []string{"2000", "2004"}, reminders[0][1:])
			require.Contains(t, got, "\n  not printed: the same finding again (--output json has every one)\n    error[timestamp-unit] on udp://127.0.0.1:8094 from 127.0.0.1: 9997 of 10000\n")
			if !quiet {
				// a folded record is not printed either
				require.Equal(t, 3, strings.Count(got, "  < \"order_price"))
			}
		})
	}
}

// A negative FoldAfter prints every finding.
func TestTextFoldAfterNegativePrintsAll(t *testing.T) {
	clock := t0
	var out bytes.Buffer
	p := report.NewText(&out, report.Options{FoldAfter: -1, Now: func() time.Time { return clock }})
	flood(p, 100, &clock, time.Second)
	require.Equal(t, 100, strings.Count(out.String(), "error[timestamp-unit]"))
	require.NotContains(t, out.String(), "…")
}

// --output json carries every finding: nothing is folded.
func TestJSONCarriesEveryFinding(t *testing.T) {
	clock := t0
	var out bytes.Buffer
	flood(report.NewJSON(&out, report.Options{}), 10000, &clock, 0)
	require.Equal(t, 10000, strings.Count(out.String(), `"event":"finding"`))
}

// GitHub annotates the first three of a cause and counts the rest.
func TestGitHubFoldsAFlood(t *testing.T) {
	clock := t0
	var out bytes.Buffer
	p := report.NewGitHub(&out)
	flood(p, 10000, &clock, 0)
	p.Summary(&report.Summary{Metrics: 10000, Findings: map[string]int{"error": 10000}})
	got := out.String()
	require.Equal(t, 3, strings.Count(got, "::error title=fakegraf timestamp-unit::"))
	require.Contains(t, got, "\nfakegraf: not annotated, the same finding again: error[timestamp-unit] on udp://127.0.0.1:8094 from 127.0.0.1: 9997 of 10000\n")
}

// JUnit lists the first three failures of a cause on a test case and says
// how many more there were.
func TestJUnitFoldsAFlood(t *testing.T) {
	clock := t0
	var out bytes.Buffer
	p := report.NewJUnit(&out, parse.Warning)
	flood(p, 10000, &clock, 0)
	p.Summary(&report.Summary{})
	got := out.String()
	require.Equal(t, 3, strings.Count(got, "<failure "))
	require.Contains(t, got, "not listed, the same finding again: error[timestamp-unit] on udp://127.0.0.1:8094 from 127.0.0.1: 9997 of 10000")
}

// Two timestamp-unit findings from the same sender are the same cause even
// when one timestamp has no milliseconds: RFC 3339 leaves the fraction out.
func TestFoldNumbersWithFractions(t *testing.T) {
	var out bytes.Buffer
	p := report.NewText(&out, report.Options{Quiet: true})
	for i, msg := range []string{
		"timestamp 1795914802697 puts the point at 1970-01-01T00:29:55.914802697Z; it looks like milliseconds: 2026-11-29T01:13:22.697Z",
		"timestamp 1795914803000 puts the point at 1970-01-01T00:29:55.914803Z; it looks like milliseconds: 2026-11-29T01:13:23Z",
		"timestamp 1795914803100 puts the point at 1970-01-01T00:29:55.9148031Z; it looks like milliseconds: 2026-11-29T01:13:23.1Z",
		"timestamp 1795914803000 puts the point at 1970-01-01T00:29:55.914803Z; it looks like milliseconds: 2026-11-29T01:13:23Z",
		// a different message: "#." is not a number
		"timestamp 1795914803000. puts the point at 1970-01-01T00:29:55.914803Z; it looks like milliseconds: 2026-11-29T01:13:23Z",
	} {
		p.Result(&parse.Result{Record: listener.Record{Seq: uint64(i + 1)}, Diagnostics: []parse.Diagnostic{{Rule: "timestamp-unit", Severity: parse.Error, Message: msg}}})
	}
	require.Equal(t, 4, strings.Count(out.String(), "error[timestamp-unit] timestamp"), out.String())
}
