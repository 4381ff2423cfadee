package report_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
)

func TestLineDiff(t *testing.T) {
	tests := []struct {
		name      string
		want, got []string
		diff      string
	}{
		{name: "equal", want: []string{"a", "b"}, got: []string{"a", "b"}, diff: ""},
		{
			name: "one line changed",
			want: []string{"# metrics", "cpu usage=1.5", "mem used=3i"},
			got:  []string{"# metrics", "cpu usage=1.25", "mem used=3i"},
			diff: "--- want (golden file)\n+++ got (this run)\n@@ -1,3 +1,3 @@\n # metrics\n-cpu usage=1.5\n+cpu usage=1.25\n mem used=3i\n",
		},
		{
			name: "changes far apart are separate hunks",
			want: []string{"a", "1", "2", "3", "4", "5", "6", "7", "8", "b"},
			got:  []string{"A", "1", "2", "3", "4", "5", "6", "7", "8", "B"},
			diff: "--- want (golden file)\n+++ got (this run)\n" +
				"@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n 3\n" +
				"@@ -7,4 +7,4 @@\n 6\n 7\n 8\n-b\n+B\n",
		},
		{
			name: "empty want",
			got:  []string{"cpu usage=1"},
			diff: "--- want (golden file)\n+++ got (this run)\n@@ -0,0 +1,1 @@\n+cpu usage=1\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.diff, report.LineDiff(tt.want, tt.got)); diff != "" {
				t.Errorf("LineDiff (-want +got):\n%s", diff)
			}
		})
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A golden run of 20,000 metrics against a file of 20,000 other values
// once allocated 3 GiB in a quadratic LCS table; the diff must stay
// linear in its input.
func TestLineDiffMemoryIsLinear(t *testing.T) {
	const n = 20000
	want, got := make([]string, n), make([]string, n)
	for i := range n {
		want[i] = fmt.Sprintf("cpu,host=a usage=%d", i)
		got[i] = fmt.Sprintf("cpu,host=a usage=%d", n+i)
	}
	var diff string
	alloc := allocated(func() { diff = report.LineDiff(want, got) })
	t.Logf("LineDiff allocated %.1f MiB", float64(alloc)/(1<<20))
	if alloc > 100<<20 {
		t.Errorf("LineDiff of two %d-line inputs allocated %d MiB, want at most 100 MiB", n, alloc>>20)
	}
	removed, added := strings.Count(diff, "\n-cpu"), strings.Count(diff, "\n+cpu")
	if d := cmp.Diff([2]int{n, n}, [2]int{removed, added}); d != "" {
		t.Errorf("lines removed and added (-want +got):\n%s", d)
	}
}

// The same through Golden.Compare, the path --golden and RequireGolden take.
func TestGoldenCompareMemoryIsLinear(t *testing.T) {
	const n = 20000
	path := filepath.Join(t.TempDir(), "client.golden")
	old := report.NewGolden(report.GoldenOptions{})
	old.Result(&parse.Result{Metrics: cpuMetrics(0, n)})
	require.NoError(t, old.Update(path))

	g := report.NewGolden(report.GoldenOptions{})
	g.Result(&parse.Result{Metrics: cpuMetrics(n, n)})
	var diff string
	var err error
	alloc := allocated(func() { diff, err = g.Compare(path) })
	t.Logf("Compare allocated %.1f MiB", float64(alloc)/(1<<20))
	require.NoError(t, err)
	if alloc > 100<<20 {
		t.Errorf("Compare of two %d-metric recordings allocated %d MiB, want at most 100 MiB", n, alloc>>20)
	}
	removed, added := strings.Count(diff, "\n-cpu"), strings.Count(diff, "\n+cpu")
	if d := cmp.Diff([2]int{n, n}, [2]int{removed, added}); d != "" {
		t.Errorf("lines removed and added (-want +got):\n%s", d)
	}
}

func cpuMetrics(from, n int) []telegraf.Metric {
	ms := make([]telegraf.Metric, n)
	for i := range ms {
		ms[i] = metric.New("cpu", map[string]string{"core": "0"}, map[string]any{"usage": float64(from + i)}, time.Unix(0, 0))
	}
	return ms
}

// Every text a Golden produces (the file header, Compare's errors and the
// diff's context) names the switch its reader uses, and never another.
func TestGoldenNamesTheReadersSwitch(t *testing.T) {
	switches := []string{"--update", "FAKEGRAF_UPDATE=1"}
	for _, hint := range switches {
		t.Run(hint, func(t *testing.T) {
			wrong := switches[0]
			if wrong == hint {
				wrong = switches[1]
			}
			dir := t.TempDir()
			record := func(usage float64) *report.Golden {
				g := report.NewGolden(report.GoldenOptions{UpdateHint: hint})
				g.Result(&parse.Result{
					Record:  listener.Record{Seq: 1},
					Metrics: []telegraf.Metric{metric.New("cpu", nil, map[string]any{"usage": usage}, time.Unix(0, 0))},
				})
				return g
			}

			missing := filepath.Join(dir, "missing.golden")
			_, err := record(1.5).Compare(missing)
			require.ErrorIs(t, err, os.ErrNotExist)
			want := "golden file " + missing + ": file does not exist: run once with " + hint + " to create it, then review and commit it"
			if d := cmp.Diff(want, err.Error()); d != "" {
				t.Errorf("missing file error (-want +got):\n%s", d)
			}

			path := filepath.Join(dir, "client.golden")
			require.NoError(t, record(1.5).Update(path))
			content, err := os.ReadFile(path)
			require.NoError(t, err)
			// The changed metric is the first line after the header, so the
			// diff's context shows the header.
			diff, err := record(1.25).Compare(path)
			require.NoError(t, err)
			for name, text := range map[string]string{"file": string(content), "diff": diff} {
				if !strings.Contains(text, hint) || strings.Contains(text, wrong) {
					t.Errorf("the %s should name %s and not %s:\n%s", name, hint, wrong, text)
				}
			}
		})
	}
}

// A golden file written before UpdateHint, or by the other tool, still
// matches: its header says how to regenerate it, which is not a difference.
func TestGoldenHeaderIsNotCompared(t *testing.T) {
	path := filepath.Join(t.TempDir(), "client.golden")
	require.NoError(t, os.WriteFile(path, []byte("# fakegraf golden file: accepted metrics as sorted line protocol (timestamps only where the sender set them), then findings by rule.\n"+
		"# Regenerate with --update and review the diff.\n\n# metrics\ncpu usage=1.5\n\n# findings\n"), 0o644))
	g := report.NewGolden(report.GoldenOptions{UpdateHint: "FAKEGRAF_UPDATE=1"})
	g.Result(&parse.Result{Metrics: []telegraf.Metric{metric.New("cpu", nil, map[string]any{"usage": 1.5}, time.Unix(0, 0))}})
	diff, err := g.Compare(path)
	require.NoError(t, err)
	if d := cmp.Diff("", diff); d != "" {
		t.Errorf("Compare (-want +got):\n%s", d)
	}
}
