package serve_test

import (
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
)

// statsdSink keeps flush metrics as line protocol and findings by rule.
type statsdSink struct {
	serve.Ignore
	mu       sync.Mutex
	lines    []string
	findings []parse.Diagnostic
	records  int
}

func (s *statsdSink) Result(r *parse.Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Record.Plugin == nil || !r.Record.Plugin.Flush {
		s.records++
	}
	for _, m := range r.Metrics {
		line, _ := report.Line(m)
		// The flush time differs per run, and the plugin's fields come in
		// map order.
		parts := strings.Split(line, " ")
		fields := strings.Split(parts[1], ",")
		slices.Sort(fields)
		s.lines = append(s.lines, parts[0]+" "+strings.Join(fields, ","))
	}
	s.findings = append(s.findings, r.Diagnostics...)
}

func (s *statsdSink) Finding(d parse.Diagnostic) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.findings = append(s.findings, d)
}

func (s *statsdSink) snapshot() ([]string, []string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rules := []string{}
	for _, d := range s.findings {
		rules = append(rules, d.Rule)
	}
	lines := slices.Clone(s.lines)
	slices.Sort(lines)
	return lines, rules, s.records
}

func TestStatsdFromConfig(t *testing.T) {
	for _, proto := range []string{"udp", "tcp"} {
		t.Run(proto, func(t *testing.T) {
			cfg, err := setup.Load([]byte(`[agent]
  interval = "200ms"
  omit_hostname = true
[[inputs.statsd]]
  protocol = "`+proto+`"
  service_address = "127.0.0.1:0"
  percentiles = [90.0]
`), "test.conf")
			require.NoError(t, err)
			sink := &statsdSink{}
			srv, err := serve.Start(cfg, sink, serve.Options{})
			require.NoError(t, err)
			u := srv.Listening()[0].URL
			conn, err := net.Dial(proto, strings.TrimPrefix(u, proto+"://"))
			require.NoError(t, err)
			// The plugin's parser goroutines take datagrams (UDP) and lines
			// (TCP) in any order, so a gauge and its delta go in one
			// datagram, and TCP gets no delta.
			gauge := "temp:20|g\ntemp:+5|g"
			if proto == "tcp" {
				gauge = "temp:25|g"
			}
			for _, line := range []string{"hits:1|c", "hits:2|c|@0.5", gauge, "lat:10|ms", "lat:20|ms", "users:a|s", "users:b|s", "req,region=eu:1|c", "nope:1", "bad:x|c", "odd:1|q"} {
				_, err := conn.Write([]byte(line + "\n"))
				require.NoError(t, err)
			}
			conn.Close()
			want := []string{
				"hits,metric_type=counter value=5i",
				"lat,metric_type=timing 90_percentile=20,count=2i,lower=10,mean=15,median=15,stddev=5,sum=30,upper=20",
				"req,metric_type=counter,region=eu value=1i",
				"temp,metric_type=gauge value=25",
				"users,metric_type=set value=2i",
			}
			require.Eventually(t, func() bool {
				lines, _, _ := sink.snapshot()
				return len(lines) >= len(want)
			}, 10*time.Second, 10*time.Millisecond)
			srv.Close()
			lines, rules, records := sink.snapshot()
			require.Equal(t, want, lines[:len(want)])
			require.Equal(t, map[string]int{"udp": 11, "tcp": 11}[proto], records)
			slices.Sort(rules)
			require.Equal(t, []string{"statsd-bad-value", "statsd-missing-type", "statsd-unknown-type"}, rules)
		})
	}
}

var _ listener.Handler = (*serve.Engine)(nil)
