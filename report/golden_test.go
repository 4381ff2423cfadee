package report_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// session plays a fixed run through a printer: what every output format
// must render the same way from one release to the next.
func session(p report.Printer) {
	const udp, tcp = "udp://127.0.0.1:8094", "tcp://127.0.0.1:8094"
	p.Listening(udp, "json")
	p.Listening(tcp, "influx")
	p.Result(&parse.Result{
		Record: listener.Record{Listener: udp, Peer: "127.0.0.1:40000", Seq: 1, Size: 62, Terminated: true, Received: t0,
			Data: []byte(`{"metric_name": "good_metric_name", "value1": 10, "value2": 7}`)},
		Format: "json",
		// value1 is a float and value2 an int, both 10 in JSON; the time has
		// nanoseconds that a float64 reader rounds.
		Metrics: []telegraf.Metric{withField(metric.New("good_metric_name", map[string]string{"host": "box"}, map[string]interface{}{"value1": 10.0}, t0.Add(123456789)), "value2", int64(10))},
	})
	p.Conn(listener.ConnEvent{Listener: tcp, Peer: "127.0.0.1:50000", Conn: 1, Open: true, Time: t0})
	p.Result(&parse.Result{
		Record: listener.Record{Listener: tcp, Peer: "127.0.0.1:50000", Conn: 1, Seq: 1, Size: 10, Stream: true, Terminated: true, Received: t0,
			Data: []byte("wild boyz")},
		Format: "influx",
		Err:    errors.New(`metric parse error: expected field at 1:10: "wild boyz"`),
		Diagnostics: []parse.Diagnostic{{
			Rule: "parse-error", Severity: parse.Error, Message: `metric parse error: expected field at 1:10: "wild boyz"`,
			Source:   parse.Source{Listener: tcp, Peer: "127.0.0.1:50000", Conn: 1, Record: 1},
			Position: parse.Position{Offset: 9, Line: 1, Column: 10},
			Fixes:    []string{"make the record valid influx line protocol"},
		}},
	})
	p.Result(&parse.Result{
		Record: listener.Record{Listener: tcp, Peer: "127.0.0.1:50000", Conn: 1, Seq: 2, Size: 30, Stream: true, Received: t0,
			Data: []byte("cpu,core=0 usage=1.5 1700000000")},
		Format:  "influx",
		Metrics: []telegraf.Metric{metric.New("cpu", map[string]string{"core": "0"}, map[string]interface{}{"usage": 1.5}, time.Unix(1, 700000000))},
		Diagnostics: []parse.Diagnostic{{
			Rule: "missing-newline", Severity: parse.Warning, Message: "the last record on the connection had no terminator: Telegraf got it only when the connection closed",
			Source:   parse.Source{Listener: tcp, Peer: "127.0.0.1:50000", Conn: 1, Record: 2},
			Position: parse.Position{Offset: 30, Line: 1, Column: 31},
			Fixes:    []string{`append "\n" after every record, the last one too`},
		}},
	})
	p.Conn(listener.ConnEvent{Listener: tcp, Peer: "127.0.0.1:50000", Conn: 1, Time: t0, Records: 2, Bytes: 40, Reason: "closed"})
	p.Finding(parse.Diagnostic{Rule: "line-too-long", Severity: parse.Error, Message: "bufio.Scanner: token too long: Telegraf reset the connection and lost the rest of its data",
		Source: parse.Source{Listener: tcp}, Fixes: []string{`set read_buffer_size larger than the longest record (e.g. read_buffer_size = "1MiB"), or send shorter records`}})
	goldenFailed := report.CheckResult{Check: "golden", Name: "client.golden", Result: report.Fail, File: "client.golden", Line: 5,
		Message: "what arrived differs from the golden file (rerun with --update to accept it)",
		Detail:  report.LineDiff([]string{"# metrics", "cpu usage=1.5"}, []string{"# metrics", "cpu usage=1.25"})}
	p.Failure(goldenFailed.Failure())

	p.Summary(&report.Summary{
		Listeners: []*report.ListenerSummary{
			{Listener: udp, DataFormat: "json", Records: 1, Metrics: 1, ByMeasurement: map[string]int{"good_metric_name": 1}, Bytes: 62, AcceptedBytes: 62, Findings: map[string]int{}},
			{Listener: tcp, DataFormat: "influx", Records: 2, Rejected: 1, Metrics: 1, ByMeasurement: map[string]int{"cpu": 1}, Bytes: 40, AcceptedBytes: 30, RejectedBytes: 10,
				Connections: 1, SocketErrors: 1, Findings: map[string]int{"parse-error": 1, "missing-newline": 1, "line-too-long": 1}},
		},
		Metrics:  2,
		Findings: map[string]int{"error": 2, "warning": 1},
		ByRule:   map[string]int{"parse-error": 1, "missing-newline": 1, "line-too-long": 1},
		Worst:    parse.Error, WorstLabel: "error",
		Checks: []report.CheckResult{
			goldenFailed,
			{Check: "expect", Name: "client.expect:2", Result: report.Pass, File: "client.expect", Line: 2,
				Message: `"at-least 1 good_metric_name value1:float": 1 matching metric(s) arrived, want at least 1`},
		},
	})
}

// withField adds a field after the others: a map has no order.
func withField(m telegraf.Metric, key string, v any) telegraf.Metric {
	m.AddField(key, v)
	return m
}

func TestOutputFormatsGolden(t *testing.T) {
	tests := []struct {
		name    string
		printer func(*bytes.Buffer) report.Printer
	}{
		{"text.txt", func(b *bytes.Buffer) report.Printer { return report.NewText(b, report.Options{}) }},
		{"text-quiet.txt", func(b *bytes.Buffer) report.Printer { return report.NewText(b, report.Options{Quiet: true}) }},
		{"text-color.txt", func(b *bytes.Buffer) report.Printer { return report.NewText(b, report.Options{Color: true}) }},
		{"events.ndjson", func(b *bytes.Buffer) report.Printer { return report.NewJSON(b, report.Options{}) }},
		{"github.txt", func(b *bytes.Buffer) report.Printer { return report.NewGitHub(b) }},
		{"junit.xml", func(b *bytes.Buffer) report.Printer { return report.NewJUnit(b, parse.Warning) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got bytes.Buffer
			session(tt.printer(&got))
			path := filepath.Join("..", "testdata", "golden", "report-"+tt.name)
			if *update {
				require.NoError(t, os.WriteFile(path, got.Bytes(), 0o644))
				return
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run make golden to create it")
			if diff := report.LineDiff(lines(want), lines(got.Bytes())); diff != "" {
				t.Errorf("%s changed (make golden rewrites it; review the diff):\n%s", path, diff)
			}
		})
	}
}

func lines(b []byte) []string {
	var out []string
	for _, l := range bytes.Split(b, []byte("\n")) {
		out = append(out, string(l))
	}
	return out
}

// A golden file's findings are what the same sender reproduces: severity,
// rule, record, position and the Token a rule may set, sorted by rule, then
// record and position (record 2 before record 10). Messages name the
// sender's timestamp and how long ago it lies, which change every run, so
// they are not recorded.
func TestGoldenFindingsAreStable(t *testing.T) {
	const udp = "udp://127.0.0.1:8094"
	finding := func(seq uint64, col int, msg string) parse.Diagnostic {
		return parse.Diagnostic{Rule: "timestamp-unit", Severity: parse.Error, Message: msg,
			Source: parse.Source{Listener: udp, Record: seq}, Position: parse.Position{Offset: col - 1, Line: 1, Column: col}}
	}
	g := report.NewGolden(report.GoldenOptions{})
	g.Result(&parse.Result{Record: listener.Record{Listener: udp, Seq: 10}, Diagnostics: []parse.Diagnostic{
		finding(10, 34, "timestamp 1795909182510 is read as nanoseconds, which puts the point at 1970-01-01T00:29:55.909182510Z (56 years before it arrived)"),
	}})
	g.Result(&parse.Result{Record: listener.Record{Listener: udp, Seq: 2}, Diagnostics: []parse.Diagnostic{
		finding(2, 34, "timestamp 1795909180710 is read as nanoseconds, which puts the point at 1970-01-01T00:29:55.909180710Z (56 years before it arrived)"),
		{Rule: "forbidden-char", Severity: parse.Warning, Message: "a tab in a tag value", Token: "\t",
			Source: parse.Source{Listener: udp, Record: 2}, Position: parse.Position{Offset: 9, Line: 1, Column: 10}},
	}})
	g.Finding(parse.Diagnostic{Rule: "udp-kernel-drops", Severity: parse.Error, Message: "the kernel dropped 17 datagrams", Count: 17,
		Source: parse.Source{Listener: udp}})
	got := string(g.Content())
	want := "\n# findings\n" +
		"warning[forbidden-char] record 2 at 1:10 \"\\t\"\n" +
		"error[timestamp-unit] record 2 at 1:34\n" +
		"error[timestamp-unit] record 10 at 1:34\n" +
		"error[udp-kernel-drops] socket\n"
	if !strings.HasSuffix(got, want) {
		t.Errorf("golden file ends\n%s\nwant it to end\n%s", got[strings.Index(got, "\n# findings"):], want)
	}
}

// Golden.Check says what it found, and a difference names the line of the
// file where it starts, for annotations.
func TestGoldenCheck(t *testing.T) {
	dir := t.TempDir()
	record := func(usages ...float64) *report.Golden {
		g := report.NewGolden(report.GoldenOptions{UpdateHint: "--update"})
		for _, u := range usages {
			g.Result(&parse.Result{Metrics: []telegraf.Metric{metric.New("cpu", nil, map[string]any{"usage": u}, time.Unix(0, 0))}})
		}
		return g
	}
	path := filepath.Join(dir, "client.golden")
	res := record(1.5, 2.5).Check(path, true)
	require.Equal(t, report.CheckResult{Check: "golden", Name: path, File: path, Result: report.Updated,
		Message: "rewritten: 2 metric line(s), 0 finding line(s); review the diff before committing it"}, res)

	tests := []struct {
		name   string
		usages []float64
		result string
		line   int
	}{
		{"same", []float64{1.5, 2.5}, report.Pass, 0},
		{"first metric changed", []float64{1.25, 2.5}, report.Fail, 5}, // two header lines, a blank line, "# metrics"
		{"a metric more", []float64{1.5, 2.5, 3.5}, report.Fail, 7},
		{"a metric less", []float64{2.5}, report.Fail, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := record(tt.usages...).Check(path, false)
			require.Equal(t, tt.result, res.Result, res.Message)
			require.Equal(t, tt.line, res.Line)
		})
	}
}

// The golden recorder shares each metric with the other sinks: it must
// neither sort the fields nor drop the ignored tags of the metric itself.
func TestGoldenLeavesTheMetricAlone(t *testing.T) {
	m := metric.New("cpu", map[string]string{"host": "box", "core": "0"}, nil, time.Unix(0, 0))
	m.AddField("user", 1.5)
	m.AddField("idle", 2.5)
	g := report.NewGolden(report.GoldenOptions{IgnoreTags: []string{"host"}})
	g.Result(&parse.Result{Metrics: []telegraf.Metric{m}})
	require.Contains(t, string(g.Content()), "\ncpu,core=0 idle=2.5,user=1.5\n")
	require.Equal(t, "user", m.FieldList()[0].Key)
	require.True(t, m.HasTag("host"))
}

// A file that matches is a pass whoever wrote its header and however many
// newlines end it; with different metrics it is a diff.
func TestGoldenCompareIgnoresTheHeaderAndTrailingNewlines(t *testing.T) {
	g := report.NewGolden(report.GoldenOptions{})
	g.Result(&parse.Result{Metrics: []telegraf.Metric{metric.New("cpu", nil, map[string]any{"usage": 1.5}, time.Unix(0, 0))}})
	content := g.Content()
	_, body, _ := strings.Cut(string(content), "\n\n")
	other := "# fakegraf golden file: accepted metrics as sorted line protocol (timestamps only where the sender set them), then findings by rule.\n# Regenerate with make golden and review the diff.\n\n" + body + "\n\n"
	require.Empty(t, g.CompareContent([]byte(other)))
	require.NotEmpty(t, g.CompareContent([]byte(strings.Replace(other, "usage=1.5", "usage=2.5", 1))))
}
