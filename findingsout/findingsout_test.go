package findingsout_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/influxdata/telegraf"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/fakegraftest"
	"github.com/fakegraf/fakegraf/findingsout"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
)

// hostile is a message as a finding quotes a sender: every character line
// protocol escapes in a string field or a tag, and a newline that would end
// the line.
const hostile = `field "v" = 1,2 \ ends here` + "\nsecond line,a=b c=\"d\"\\"

func findings() []parse.Diagnostic {
	return []parse.Diagnostic{
		{Rule: "missing-newline", Severity: parse.Warning, Message: "the record does not end with a newline",
			Source:   parse.Source{Listener: "tcp://127.0.0.1:8094", Peer: "127.0.0.1:40000", Conn: 1, Record: 3},
			Position: parse.Position{Line: 2, Column: 7}, Fixes: []string{"append a trailing newline"}},
		{Rule: "parse-error", Severity: parse.Error, Message: hostile,
			Source: parse.Source{Listener: "udp://127.0.0.1:8094", Peer: "[::1]:5000", Record: 1}},
		{Rule: "udp-kernel-drops", Severity: parse.Error, Message: "the kernel dropped 17 datagram(s)", Count: 17,
			Source: parse.Source{Listener: `unix:///tmp/a b,c=d.sock`}},
	}
}

// finding is what a receiver stores of a finding, the parts a test compares.
type finding struct {
	Rule, Severity, Listener, Sender, Instance string
	Message, Fix                               string
	Count, Record, Line, Column                int64
}

func stored(t *testing.T, ms []telegraf.Metric) []finding {
	t.Helper()
	var out []finding
	for _, m := range ms {
		if m.Name() != findingsout.FindingMeasurement {
			continue
		}
		f := finding{}
		f.Rule, _ = m.GetTag("rule")
		f.Severity, _ = m.GetTag("severity")
		f.Listener, _ = m.GetTag("listener")
		f.Sender, _ = m.GetTag("sender")
		f.Instance, _ = m.GetTag("instance")
		str := func(k string) string { v, _ := m.GetField(k); s, _ := v.(string); return s }
		num := func(k string) int64 { v, _ := m.GetField(k); n, _ := v.(int64); return n }
		f.Message, f.Fix = str("message"), str("fix")
		f.Count, f.Record, f.Line, f.Column = num("count"), num("record"), num("line"), num("column")
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rule < out[j].Rule })
	return out
}

func want() []finding {
	return []finding{
		{Rule: "missing-newline", Severity: "warning", Listener: "tcp://127.0.0.1:8094", Sender: "127.0.0.1", Instance: "ci-7",
			Message: "the record does not end with a newline", Fix: "append a trailing newline", Count: 1, Record: 3, Line: 2, Column: 7},
		{Rule: "parse-error", Severity: "error", Listener: "udp://127.0.0.1:8094", Sender: "::1", Instance: "ci-7", Count: 1, Record: 1,
			Message: `field "v" = 1,2 \ ends here\nsecond line,a=b c="d"\`}, // the newline escaped, all else as it was
		{Rule: "udp-kernel-drops", Severity: "error", Listener: `unix:///tmp/a b,c=d.sock`, Instance: "ci-7", Message: "the kernel dropped 17 datagram(s)", Count: 17},
	}
}

// summaryOf is a run's collector after one record with a finding.
func summaryOf() func() *report.Summary {
	c := report.NewCollector()
	c.Listening("udp://127.0.0.1:8094", "influx")
	c.Finding(findings()[1])
	return c.Summary
}

// TestDelivered sends findings to a second fakegraf over each kind of
// destination: what it stores is exactly the findings, escaped right, and
// it finds nothing wrong with fakegraf's line protocol.
func TestDelivered(t *testing.T) {
	for _, tc := range []struct {
		name string
		recv func(t *testing.T) (*fakegraftest.Server, string)
	}{
		{"udp", func(t *testing.T) (*fakegraftest.Server, string) {
			s := fakegraftest.NewServer(t, "udp")
			return s, "udp://" + s.Addr()
		}},
		{"tcp", func(t *testing.T) (*fakegraftest.Server, string) {
			s := fakegraftest.NewServer(t, "tcp")
			return s, "tcp://" + s.Addr()
		}},
		{"unix", func(t *testing.T) (*fakegraftest.Server, string) {
			s := fakegraftest.NewServer(t, "unix")
			return s, "unix://" + s.Addr()
		}},
		{"influxdb-v2", func(t *testing.T) (*fakegraftest.Server, string) {
			s := fakegraftest.NewServer(t, "tcp", fakegraftest.InfluxDBV2())
			return s, s.HTTPURL + "/api/v2/write?org=ops&bucket=fakegraf&precision=ns"
		}},
		{"influxdb-v2 as fakegraf names it", func(t *testing.T) (*fakegraftest.Server, string) {
			s := fakegraftest.NewServer(t, "tcp", fakegraftest.InfluxDBV2())
			return s, strings.Replace(s.HTTPURL, "http://", "influxdb-v2://", 1) + "?org=ops&bucket=fakegraf"
		}},
		{"influxdb-v1", func(t *testing.T) (*fakegraftest.Server, string) {
			s := fakegraftest.NewServer(t, "tcp", fakegraftest.InfluxDB())
			return s, s.HTTPURL + "/write?db=fakegraf"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recv, url := tc.recv(t)
			out, err := findingsout.Open(url, findingsout.Options{Instance: "ci-7", Summary: summaryOf()})
			require.NoError(t, err)
			for _, d := range findings() {
				out.Finding(d)
			}
			st := out.Close(5 * time.Second)
			require.Equal(t, 0, st.Total(), "undelivered: %v", st.Undelivered)
			require.Equal(t, 3, st.Findings)
			require.Equal(t, 1, st.Summaries)

			ms := recv.WaitForMetrics(t, 4, 5*time.Second)
			if diff := cmp.Diff(want(), stored(t, ms)); diff != "" {
				t.Errorf("stored findings (-want +got):\n%s", diff)
			}
			var sum telegraf.Metric
			for _, m := range ms {
				if m.Name() == findingsout.SummaryMeasurement {
					sum = m
				}
			}
			require.NotNil(t, sum, "no fakegraf_summary among %d metrics", len(ms))
			got := map[string]any{}
			for _, f := range sum.FieldList() {
				got[f.Key] = f.Value
			}
			got["listener"], _ = sum.GetTag("listener")
			wantSum := map[string]any{"listener": "udp://127.0.0.1:8094", "records": int64(0), "rejected_records": int64(0), "metrics": int64(0),
				"bytes": int64(0), "connections": int64(0), "kernel_drops": int64(0),
				"findings_info": int64(0), "findings_warning": int64(0), "findings_error": int64(1)}
			if diff := cmp.Diff(wantSum, got); diff != "" {
				t.Errorf("fakegraf_summary (-want +got):\n%s", diff)
			}
			// The receiver says only that a listener URL or an IPv6 sender
			// in a tag would not suit statsd or Prometheus (info): nothing
			// wrong for Telegraf or InfluxDB.
			for _, d := range recv.Findings() {
				if d.Rule != "forbidden-char" || d.Severity != parse.Info {
					t.Errorf("the receiver finds %s %s: %s", d.Severity, d.Rule, d.Message)
				}
			}
		})
	}
}

// TestDeadDestination: nothing listens; every line is counted undelivered,
// per listener, and none is lost from the count.
func TestDeadDestination(t *testing.T) {
	for _, url := range []string{
		"tcp://" + closedPort(t),
		"unix://" + filepath.Join(t.TempDir(), "nobody.sock"),
		"http://" + closedPort(t) + "/api/v2/write?org=o&bucket=b",
	} {
		t.Run(strings.SplitN(url, ":", 2)[0], func(t *testing.T) {
			var errs atomic.Int32
			out, err := findingsout.Open(url, findingsout.Options{Summary: summaryOf(), OnError: func(error) { errs.Add(1) }})
			require.NoError(t, err, "a destination that is down is not an error at start")
			for range 50 {
				for _, d := range findings() {
					out.Finding(d)
				}
			}
			st := out.Close(5 * time.Second)
			want := map[string]findingsout.Undelivered{
				"tcp://127.0.0.1:8094":     {Findings: 50},
				"udp://127.0.0.1:8094":     {Findings: 50, Summaries: 1},
				`unix:///tmp/a b,c=d.sock`: {Findings: 50},
			}
			if diff := cmp.Diff(want, st.Undelivered); diff != "" {
				t.Errorf("undelivered (-want +got):\n%s", diff)
			}
			require.Zero(t, st.Findings+st.Summaries)
			require.Positive(t, errs.Load(), "the failure is said")
		})
	}
}

// TestStalledDestination: a destination that does not answer never blocks
// Finding; what the bounded queue cannot hold and what Close gives up on
// are counted, and delivered plus undelivered is everything sent.
func TestStalledDestination(t *testing.T) {
	release := make(chan struct{})
	var got atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		got.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	defer close(release)
	out, err := findingsout.Open(srv.URL+"/write?db=x", findingsout.Options{Queue: 8})
	require.NoError(t, err)
	const n = 1000
	for range n / 2 {
		out.Finding(findings()[0]) // returns at once: the test would hang otherwise
		out.Finding(findings()[1])
	}
	st := out.Close(200 * time.Millisecond)
	require.Equal(t, n, st.Findings+st.Total(), "every finding is delivered or counted: %+v", st)
	require.Positive(t, st.Total())
	require.Zero(t, st.Findings, "the stalled destination answered nothing")
}

// TestRefused: a destination that answers with an error counts the batch
// and says what to do.
func TestRefused(t *testing.T) {
	srv := fakegraftest.NewServer(t, "tcp", fakegraftest.InfluxDBV2(), fakegraftest.Option("token", `"right"`))
	var msgs []string
	out, err := findingsout.Open(srv.HTTPURL+"/api/v2/write?org=o&bucket=b", findingsout.Options{Token: "wrong",
		OnError: func(err error) { msgs = append(msgs, err.Error()) }})
	require.NoError(t, err)
	out.Finding(findings()[0])
	st := out.Close(5 * time.Second)
	require.Equal(t, map[string]findingsout.Undelivered{"tcp://127.0.0.1:8094": {Findings: 1}}, st.Undelivered)
	require.Len(t, msgs, 1)
	require.Contains(t, msgs[0], "401 Unauthorized")
	require.Contains(t, msgs[0], "set FAKEGRAF_FINDINGS_TOKEN")
}

func TestOpenErrors(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"telegraf:8094", "over udp://, tcp://, unix://"},
		{"127.0.0.1:8094", "is not a URL"},
		{"udp://127.0.0.1", "name a host and port"},
		{"unix://", "name the socket's path"},
		{"http://127.0.0.1:8086", "name the write API"},
		{"http://127.0.0.1:8086/api/v2/write?org=o", "needs a bucket"},
		{"http://admin:hunter2@127.0.0.1:8086/write?db=x", "FAKEGRAF_FINDINGS_TOKEN"},
		{"http://127.0.0.1:8086/write?db=x&u=admin&p=hunter2", "FAKEGRAF_FINDINGS_TOKEN"},
		{"ftp://127.0.0.1/x", "not ftp://"},
		{"influxdb-v2://127.0.0.1:8086", "needs a bucket"},
		{"influxdb://127.0.0.1:8086/write", "name only a host and port"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			_, err := findingsout.Open(tc.url, findingsout.Options{})
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), "hunter2", "a secret is not repeated")
		})
	}
}

func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestPeriodicSummary: with an interval, fakegraf_summary goes out while
// the run goes on, not only at Close.
func TestPeriodicSummary(t *testing.T) {
	recv := fakegraftest.NewServer(t, "tcp")
	out, err := findingsout.Open("tcp://"+recv.Addr(), findingsout.Options{Summary: summaryOf(), Interval: 20 * time.Millisecond})
	require.NoError(t, err)
	ms := recv.WaitForMetrics(t, 2, 5*time.Second) // before Close
	for _, m := range ms {
		require.Equal(t, findingsout.SummaryMeasurement, m.Name())
	}
	st := out.Close(5 * time.Second)
	require.Zero(t, st.Total())
	require.GreaterOrEqual(t, st.Summaries, 3, "two while running, one at Close")
}
