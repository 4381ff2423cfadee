package parse_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
)

// The rules that depend on the transport are tested over real sockets: a
// listener bound to port 0 or a unix socket in a temporary directory hands
// its records to a pipeline, as `fakegraf listen` does.

// processor runs a Listener's records through a Pipeline.
type processor struct {
	mu      sync.Mutex
	p       *parse.Pipeline
	results []*parse.Result
	socket  []parse.Diagnostic // from the listener's errors
	closed  int
}

func (h *processor) Record(r listener.Record) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.results = append(h.results, h.p.Process(r))
}

func (h *processor) Conn(ev listener.ConnEvent) {
	if !ev.Open {
		h.mu.Lock()
		h.closed++
		h.mu.Unlock()
	}
}

func (h *processor) Transport(ev listener.Transport) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.socket = append(h.socket, h.p.Transport(ev)...)
}

// diagnostics returns every finding so far, record findings first.
func (h *processor) diagnostics() []parse.Diagnostic {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []parse.Diagnostic
	for _, r := range h.results {
		out = append(out, r.Diagnostics...)
	}
	return append(out, h.socket...)
}

func (h *processor) count() (records, closed int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.results), h.closed
}

// sockPath is a short unix socket path (sun_path holds ~108 bytes, and
// t.TempDir() under a long test name can exceed it).
func sockPath(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "fg")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "telegraf.sock")
}

// bind binds what c describes and returns its address and the processor.
func bind(t *testing.T, c conf) (net.Addr, *processor) {
	t.Helper()
	in := load(t, c)
	h := &processor{}
	h.mu.Lock()
	defer h.mu.Unlock()
	l, err := listener.Listen(in.Listen, h)
	require.NoError(t, err)
	t.Cleanup(l.Close)
	h.p = parse.NewPipeline(l.URL(), nil, stage(in))
	return l.Addr(), h
}

func dialAddr(t *testing.T, a net.Addr) net.Conn {
	t.Helper()
	if a.Network() == "unixgram" {
		c, err := net.DialUnix("unixgram", nil, a.(*net.UnixAddr))
		require.NoError(t, err)
		return c
	}
	c, err := net.Dial(a.Network(), a.String())
	require.NoError(t, err)
	return c
}

// sendOn writes every payload on one connection (one datagram each on
// datagram sockets), then closes it.
func sendOn(t *testing.T, a net.Addr, payloads ...string) {
	t.Helper()
	c := dialAddr(t, a)
	for _, p := range payloads {
		_, err := c.Write([]byte(p))
		require.NoError(t, err)
	}
	require.NoError(t, c.Close())
}

type tutorialCase struct {
	name     string
	conf     conf
	payloads []string
	records  int      // records the listener hands out
	rules    []string // rules of the findings, in order
	fixes    []string // text a fix must contain, one per finding
}

func tutorialCases(t *testing.T) []tutorialCase {
	example1 := conf{addr: "udp://127.0.0.1:0", format: "json", options: []string{`json_name_key = "metric_name"`}}
	example2 := conf{addr: "unix://" + sockPath(t), format: "json", options: []string{`name_override = "good_metric_name"`, `tag_keys = ["format"]`}}
	example3 := conf{addr: "tcp://127.0.0.1:0", format: "wavefront"}
	example4 := conf{addr: "udp://127.0.0.1:0", format: "influx"}
	wf := func(key, value string, tags string) string {
		return "prefix_metric_name." + key + " " + value + " " + nowS() + tags + "\n"
	}
	return []tutorialCase{
		// The four working examples.
		{name: "example 1 json over udp", conf: example1, records: 2,
			payloads: []string{`{"metric_name": "good_metric_name", "value1": 10, "value2": 7}`, `{"metric_name": "good_metric_name", "value1": 10, "value2": 2}`}},
		{name: "example 2 json lines over a unix stream", conf: example2, records: 2,
			payloads: []string{`{"value1": 10, "value2": 3, "format": "json"}` + "\n", `{"value1": 10, "value2": 8, "format": "json"}` + "\n"}},
		{name: "example 3 wavefront over tcp", conf: example3, records: 2,
			payloads: []string{wf("value1", "10", ` source=localhost format="wavefront"`) + wf("value2", "4", ` source=localhost format="wavefront"`)}},
		{name: "example 4 influx over udp", conf: example4, records: 2,
			payloads: []string{"good_metric_name,format=influxline value1=10,value2=5\n", "good_metric_name,format=influxline value1=10,value2=9\n"}},

		// The tutorial's broken variants.
		{name: "example 2 without newlines", conf: example2, records: 1,
			payloads: []string{`{"value1": 10, "value2": 3, "format": "json"}`, `{"value1": 10, "value2": 8, "format": "json"}`},
			rules:    []string{"missing-newline", "parse-error", "missing-newline"}, fixes: []string{`append "\n"`, "", `append "\n"`}},
		{name: "example 2 without the last newline", conf: example2, records: 2,
			payloads: []string{`{"value1": 10, "value2": 3, "format": "json"}` + "\n", `{"value1": 10, "value2": 8, "format": "json"}`},
			rules:    []string{"missing-newline"}, fixes: []string{`append "\n"`}},
		{name: "example 3 without newlines", conf: example3, records: 1,
			payloads: []string{strings.TrimSuffix(wf("value1", "10", " source=localhost"), "\n"), strings.TrimSuffix(wf("value2", "4", " source=localhost"), "\n")},
			rules:    []string{"missing-newline", "missing-newline", "parse-error"}, fixes: []string{`append "\n"`, `append "\n"`, ""}},
		{name: "example 3 without source", conf: example3, records: 1,
			payloads: []string{wf("value1", "10", ` format="wavefront"`)},
			rules:    []string{"wavefront-missing-source"}, fixes: []string{"source=localhost"}},
		{name: "example 4 with milliseconds", conf: example4, records: 1,
			payloads: []string{"good_metric_name,format=influxline value1=10,value2=5 " + nowMS() + "\n"},
			rules:    []string{"timestamp-unit"}, fixes: []string{`influx_timestamp_precision = "1ms"`}},
		{name: "example 1 with a forbidden name", conf: example1, records: 1,
			payloads: []string{`{"metric_name": "my:metric|name", "value1": 10, "value2": 7}`},
			rules:    []string{"forbidden-char"}, fixes: []string{`"my_metric_name"`}},
		{name: "example 4 with a forbidden name", conf: example4, records: 1,
			payloads: []string{"my:metric|name,format=influxline value1=10,value2=5\n"},
			rules:    []string{"forbidden-char"}, fixes: []string{`"my_metric_name"`}},
		{name: "example 3 with a forbidden name", conf: example3, records: 1,
			payloads: []string{"my:metric|name 10 " + nowS() + " source=localhost\n"},
			rules:    []string{"forbidden-char", "parse-error"}, fixes: []string{`"my_metric_name"`, ""}},
	}
}

func TestTutorialOverSockets(t *testing.T) {
	for _, tc := range tutorialCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			addr, h := bind(t, tc.conf)
			sendOn(t, addr, tc.payloads...)
			require.Eventually(t, func() bool { n, _ := h.count(); return n >= tc.records }, 5*time.Second, 10*time.Millisecond)
			if strings.HasPrefix(addr.Network(), "unix") || addr.Network() == "tcp" {
				require.Eventually(t, func() bool { _, c := h.count(); return c == 1 }, 5*time.Second, 10*time.Millisecond)
			}
			ds := h.diagnostics()
			checkStyle(t, ds)
			got := rulesOf(ds)
			if diff := cmp.Diff(tc.rules, got); diff != "" {
				t.Fatalf("rules (-want +got):\n%s\n%s", diff, describe(ds))
			}
			for i, d := range ds {
				if tc.fixes[i] != "" && !strings.Contains(strings.Join(d.Fixes, "\n"), tc.fixes[i]) {
					t.Errorf("%s: no fix says %q:\n%s", d.Rule, tc.fixes[i], describe(ds[i:i+1]))
				}
			}
		})
	}
}

func TestConnectionChurnOverTCP(t *testing.T) {
	tests := []struct {
		name  string
		conns int // connections, one record each; 0 = all records on one
		want  []string
	}{
		{name: "a connection per record", conns: 6, want: []string{"connection-churn"}},
		{name: "one connection", conns: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr, h := bind(t, conf{addr: "tcp://127.0.0.1:0", format: "influx"})
			if tc.conns == 0 {
				sendOn(t, addr, strings.Repeat("cpu v=1\n", 6))
			}
			for i := 0; i < tc.conns; i++ {
				sendOn(t, addr, "cpu v=1\n")
				// Wait for each connection's record, so the order is the
				// sender's.
				require.Eventually(t, func() bool { n, _ := h.count(); return n == i+1 }, 5*time.Second, 10*time.Millisecond)
			}
			require.Eventually(t, func() bool { n, _ := h.count(); return n == 6 }, 5*time.Second, 10*time.Millisecond)
			got := rulesOf(h.diagnostics())
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLineTooLongOverTCP(t *testing.T) {
	tests := []struct {
		name    string
		options []string
		want    []string
	}{
		{name: "default buffer", want: []string{"line-too-long"}},
		{name: "read_buffer_size raised", options: []string{`read_buffer_size = "1MiB"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr, h := bind(t, conf{addr: "tcp://127.0.0.1:0", format: "influx", options: tc.options})
			c := dialAddr(t, addr)
			// Telegraf resets the connection with data unread, so the write
			// may fail; what matters is what the listener saw.
			_, _ = c.Write([]byte("cpu s=\"" + strings.Repeat("x", 70000) + "\"\n"))
			_ = c.Close()
			require.Eventually(t, func() bool { _, closed := h.count(); return closed == 1 }, 5*time.Second, 10*time.Millisecond)
			got := rulesOf(h.diagnostics())
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDatagramTruncatedOverUnixgram(t *testing.T) {
	tests := []struct {
		name string
		size int
		want []string
	}{
		{name: "over read_buffer_size", size: 2000, want: []string{"datagram-truncated", "parse-error"}},
		{name: "under read_buffer_size", size: 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr, h := bind(t, conf{addr: "unixgram://" + sockPath(t), format: "influx", options: []string{`read_buffer_size = "1KiB"`}})
			line := "cpu s=\"" + strings.Repeat("x", tc.size-9) + "\"\n"
			sendOn(t, addr, line)
			require.Eventually(t, func() bool { n, _ := h.count(); return n == 1 }, 5*time.Second, 10*time.Millisecond)
			ds := h.diagnostics()
			got := rulesOf(ds)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("rules (-want +got):\n%s\n%s", diff, describe(ds))
			}
		})
	}
}

// TestDatagramOverMTU needs a peer that is not on loopback: it binds and
// sends on an address of the machine's own interfaces.
func TestDatagramOverMTU(t *testing.T) {
	ip := nonLoopbackIPv4(t)
	tests := []struct {
		name string
		size int
		want []string
	}{
		{name: "over 1472 bytes", size: 1600, want: []string{"datagram-truncated"}},
		{name: "1472 bytes", size: 1472},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr, h := bind(t, conf{addr: "udp://" + ip + ":0", format: "influx"})
			src, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(ip)})
			require.NoError(t, err)
			defer src.Close()
			line := "cpu s=\"" + strings.Repeat("x", tc.size-9) + "\"\n"
			_, err = src.WriteTo([]byte(line), addr)
			require.NoError(t, err)
			require.Eventually(t, func() bool { n, _ := h.count(); return n == 1 }, 5*time.Second, 10*time.Millisecond)
			ds := h.diagnostics()
			var got []string
			for _, d := range ds {
				got = append(got, d.Rule+" "+d.Severity.String())
			}
			var want []string
			for _, r := range tc.want {
				want = append(want, r+" warning")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("rules (-want +got):\n%s\n%s", diff, describe(ds))
			}
		})
	}
}

func nonLoopbackIPv4(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	require.NoError(t, err)
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	t.Skip("no non-loopback IPv4 address to send from")
	return ""
}
