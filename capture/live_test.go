package capture_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/capture"
	"github.com/fakegraf/fakegraf/internal/jsontest"
	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
)

// reportSink is what --output json prints, with the summary's counters.
type reportSink struct {
	*report.Collector
	json   *report.JSON
	buf    bytes.Buffer
	mu     sync.Mutex
	closed int
}

func newReportSink() *reportSink {
	s := &reportSink{Collector: report.NewCollector()}
	s.json = report.NewJSON(&s.buf, report.Options{})
	return s
}

func (s *reportSink) Listening(url, f string) {
	s.Collector.Listening(url, f)
	s.json.Listening(url, f)
}
func (s *reportSink) Result(r *parse.Result) { s.Collector.Result(r); s.json.Result(r) }
func (s *reportSink) Finding(d parse.Diagnostic) {
	s.Collector.Finding(d)
	s.json.Finding(d)
}

func (s *reportSink) Conn(ev listener.ConnEvent) {
	s.Collector.Conn(ev)
	s.json.Conn(ev)
	if !ev.Open {
		s.mu.Lock()
		s.closed++
		s.mu.Unlock()
	}
}

func (s *reportSink) closedConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// events is the report, timestamps aside: one line per event, sorted, since
// two connections' records may interleave differently in the engine's queue
// than in the capture. A metric's time is the agent's clock when it has no
// timestamp of its own, and its line's field order is a map's.
func (s *reportSink) events(t *testing.T) []string {
	t.Helper()
	s.json.Summary(s.Collector.Summary())
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(s.buf.String()), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		for _, k := range []string{"time", "time_ns", "time_rfc3339", "line"} {
			delete(m, k)
		}
		b, err := json.Marshal(m)
		require.NoError(t, err)
		out = append(out, string(b))
	}
	slices.Sort(out)
	return out
}

// liveAndChecked serves table with a capture in front of its handler, lets
// send talk to it, and returns the live report and the report of the
// capture fed back through a fresh engine, as fakegraf check does.
func liveAndChecked(t *testing.T, table string, send func(url string, live *reportSink)) (live, checked []string) {
	t.Helper()
	cfg, err := setup.Load([]byte("[agent]\n  omit_hostname = true\n[[inputs.socket_listener]]\n"+table), "test")
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "c.fgcap")
	f, err := os.Create(path)
	require.NoError(t, err)
	w := capture.NewWriter(f, capture.Header{}, 0, nil)
	sink := newReportSink()
	srv, err := serve.Start(cfg, sink, serve.Options{Wrap: func(n int, in *setup.Input, h listener.Handler) listener.Handler {
		return w.Handler(capture.Input{Number: n, Kind: in.Kind, DataFormat: in.DataFormat}, h)
	}})
	require.NoError(t, err)
	send(srv.Listening()[0].URL, sink)
	srv.Close()
	st := w.Close()
	require.NoError(t, st.Err)
	require.Empty(t, st.Cut)
	live = sink.events(t)

	in := cfg.Inputs[0]
	check := newReportSink()
	engine := serve.NewEngine(check)
	rf, err := os.Open(path)
	require.NoError(t, err)
	defer rf.Close()
	r, err := capture.NewReader(rf)
	require.NoError(t, err)
	err = capture.Feed(r, func(e *capture.Entry) (capture.Framing, error) {
		engine.Add(e.URL, in.DataFormat, parse.NewPipeline(e.URL, parse.DefaultRules(), serve.Stages(in)...))
		split, err := in.Listen.Split.NewSplitter()
		return capture.Framing{Splitter: split, ReadBufferSize: int(in.Listen.Socket.ReadBufferSize), ContentEncoding: in.Listen.Socket.ContentEncoding}, err
	}, engine)
	require.NoError(t, err)
	return live, check.events(t)
}

func hostPort(url string) string { _, after, _ := strings.Cut(url, "://"); return after }

func dial(t *testing.T, url string) net.Conn {
	t.Helper()
	network := strings.SplitN(url, "://", 2)[0]
	addr := hostPort(url)
	if strings.HasPrefix(network, "unix") {
		addr = strings.TrimPrefix(url, network+"://")
	}
	c, err := net.Dial(network, addr)
	require.NoError(t, err)
	return c
}

// TestCheckedIsLive is the promise of `fakegraf check capture`: the
// findings, metrics and summary of the live run, for the hostile inputs of
// serve/hostile_test.go and the framing cases a replay by lines would get
// wrong.
func TestCheckedIsLive(t *testing.T) {
	gzipped := func(data []byte) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write(data)
		_ = zw.Close()
		return b.Bytes()
	}
	streamCases := []struct {
		name, table string
		conns       [][][]byte // per connection, its writes
	}{
		{"glued JSON stays missing-newline", "  service_address = \"tcp://127.0.0.1:0\"\n  data_format = \"json\"",
			[][][]byte{{[]byte(`{"a":1}{"a":2}`)}}},
		{"CRLF line endings", `  service_address = "tcp://127.0.0.1:0"`,
			[][][]byte{{[]byte("m v=1\r\nm v=2\r\n")}}},
		{"a line split across writes", `  service_address = "tcp://127.0.0.1:0"`,
			[][][]byte{{[]byte("m v="), []byte("1\nm v=2"), []byte("\n")}}},
		{"binary garbage", `  service_address = "tcp://127.0.0.1:0"`,
			[][][]byte{{randomBytes(256 << 10)}}},
		{"a 10 MB line", `  service_address = "tcp://127.0.0.1:0"`,
			[][][]byte{{[]byte("before v=1\n"), append(bytes.Repeat([]byte("x"), 10<<20), '\n')}}},
		{"gzip stream", "  service_address = \"tcp://127.0.0.1:0\"\n  content_encoding = \"gzip\"",
			[][][]byte{{gzipped([]byte("m v=1\nm v=2\n"))}}},
		{"gzip bomb on a stream", "  service_address = \"tcp://127.0.0.1:0\"\n  content_encoding = \"gzip\"",
			[][][]byte{{gzipped(make([]byte, 4<<20))}}},
		{"several connections", `  service_address = "tcp://127.0.0.1:0"`,
			[][][]byte{{[]byte("a v=1\n")}, {[]byte("b v=2\nno newline")}, {[]byte("c v=1i\nc v=1.5\n")}}},
		{"unix stream", "  service_address = \"unix://" + filepath.Join(os.TempDir(), fmt.Sprintf("fgcap-%d.sock", os.Getpid())) + "\"",
			[][][]byte{{[]byte("u v=1\nu v=\"x\"\n")}}},
	}
	for _, tc := range streamCases {
		t.Run(tc.name, func(t *testing.T) {
			live, checked := liveAndChecked(t, tc.table, func(url string, sink *reportSink) {
				for i, writes := range tc.conns {
					c := dial(t, url)
					for _, w := range writes {
						_, _ = c.Write(w) // may fail: Telegraf drops a connection on a scanner error
					}
					_ = c.Close()
					// One connection at a time, each closed on the server's
					// side before the next opens: the live queue and the
					// capture then see the same order (a remainder without
					// a newline is a record only at close, and could
					// otherwise be numbered after the next connection's).
					require.Eventually(t, func() bool { return sink.closedConns() == i+1 }, 10*time.Second, 5*time.Millisecond)
				}
				require.Eventually(t, func() bool { return sink.closedConns() == len(tc.conns) }, 10*time.Second, 5*time.Millisecond)
			})
			if diff := cmp.Diff(live, checked); diff != "" {
				t.Errorf("check of the capture against the live run (-live +checked):\n%s", diff)
			}
			if tc.name == "glued JSON stays missing-newline" {
				require.Contains(t, strings.Join(checked, "\n"), `"rule":"missing-newline"`)
			}
		})
	}

	datagramCases := []struct {
		name, table string
		datagrams   [][]byte
	}{
		{"JSON datagrams", "  service_address = \"udp://127.0.0.1:0\"\n  data_format = \"json\"",
			[][]byte{[]byte(`{"a":1}`), []byte(`{"a":1}{"a":2}`), []byte("{\"name\":\"\xff\xfe\",\"v\":1}")}},
		{"line protocol split over datagrams", `  service_address = "udp://127.0.0.1:0"`,
			[][]byte{[]byte("m v=1\nm v="), []byte("2\n"), []byte("m,t=a v=1 1700000000000\n")}},
		{"gzip datagrams", "  service_address = \"udp://127.0.0.1:0\"\n  content_encoding = \"gzip\"",
			[][]byte{gzipped([]byte("g v=1\n"))}},
	}
	for _, tc := range datagramCases {
		t.Run(tc.name, func(t *testing.T) {
			live, checked := liveAndChecked(t, tc.table, func(url string, sink *reportSink) {
				c := dial(t, url)
				defer c.Close()
				for i, d := range tc.datagrams {
					_, err := c.Write(d)
					require.NoError(t, err)
					require.Eventually(t, func() bool { return sink.Summary().Listeners[0].Records == i+1 }, 10*time.Second, 5*time.Millisecond)
				}
			})
			if diff := cmp.Diff(live, checked); diff != "" {
				t.Errorf("check of the capture against the live run (-live +checked):\n%s", diff)
			}
		})
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// stripAddresses removes what a replay changes: the listener's port, the
// senders' addresses and the order records of different connections are
// numbered in.
func stripAddresses(lines []string, urls ...string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		var m any
		_ = json.Unmarshal([]byte(l), &m)
		m = jsontest.Drop(m, "listener", "peer", "record")
		b, _ := json.Marshal(m)
		s := string(b)
		for _, u := range urls {
			s = strings.ReplaceAll(s, u, "URL")
		}
		out[i] = s
	}
	slices.Sort(out)
	return out
}

// TestReplayIsLive replays captures into a fresh fakegraf, as fakegraf
// replay --max does: the findings, metrics and summary are the live run's.
func TestReplayIsLive(t *testing.T) {
	for _, tc := range []struct {
		name, table string
		conns       [][]byte // stream: one connection each; datagram: one datagram each
	}{
		{"glued JSON on tcp", "  service_address = \"tcp://127.0.0.1:0\"\n  data_format = \"json\"", [][]byte{[]byte(`{"a":1}{"a":2}`), []byte("{\"a\":3}\r\n")}},
		{"line protocol on udp", `  service_address = "udp://127.0.0.1:0"`, [][]byte{[]byte("m v=1\nm v="), []byte("2\n"), []byte("m v=1i\n")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := setup.Load([]byte("[agent]\n  omit_hostname = true\n[[inputs.socket_listener]]\n"+tc.table), "test")
			require.NoError(t, err)
			stream := strings.Contains(tc.table, "tcp://")
			path := filepath.Join(t.TempDir(), "c.fgcap")
			f, err := os.Create(path)
			require.NoError(t, err)
			w := capture.NewWriter(f, capture.Header{}, 0, nil)
			liveSink := newReportSink()
			srv, err := serve.Start(cfg, liveSink, serve.Options{Wrap: func(n int, in *setup.Input, h listener.Handler) listener.Handler {
				return w.Handler(capture.Input{Number: n, Kind: in.Kind, DataFormat: in.DataFormat}, h)
			}})
			require.NoError(t, err)
			liveURL := srv.Listening()[0].URL
			send(t, liveURL, stream, tc.conns, liveSink)
			srv.Close()
			require.NoError(t, w.Close().Err)

			cfg2, err := setup.Load([]byte("[agent]\n  omit_hostname = true\n[[inputs.socket_listener]]\n"+tc.table), "test")
			require.NoError(t, err)
			replaySink := newReportSink()
			srv2, err := serve.Start(cfg2, replaySink, serve.Options{})
			require.NoError(t, err)
			replayURL := srv2.Listening()[0].URL
			rf, err := os.Open(path)
			require.NoError(t, err)
			defer rf.Close()
			r, err := capture.NewReader(rf)
			require.NoError(t, err)
			// --max: a connection can then overtake the one before it in
			// the receiver, and the records are numbered in another order,
			// so record numbers are left out of the comparison.
			_, err = capture.Replay(context.Background(), r, capture.ReplayOptions{To: map[string]string{"": replayURL}})
			require.NoError(t, err)
			require.Eventually(t, func() bool {
				if stream {
					return replaySink.closedConns() == len(tc.conns)
				}
				return replaySink.Summary().Listeners[0].Records == len(tc.conns)
			}, 10*time.Second, 5*time.Millisecond)
			srv2.Close()
			live := stripAddresses(liveSink.events(t), liveURL)
			replayed := stripAddresses(replaySink.events(t), replayURL)
			if diff := cmp.Diff(live, replayed); diff != "" {
				t.Errorf("the replayed run against the live run (-live +replayed):\n%s", diff)
			}
		})
	}
}

// send sends each payload on a connection of its own (stream) or as a
// datagram, one at a time, and waits until fakegraf has it.
func send(t *testing.T, url string, stream bool, payloads [][]byte, sink *reportSink) {
	t.Helper()
	for i, p := range payloads {
		c := dial(t, url)
		_, err := c.Write(p)
		require.NoError(t, err)
		require.NoError(t, c.Close())
		require.Eventually(t, func() bool {
			if stream {
				return sink.closedConns() == i+1
			}
			return sink.Summary().Listeners[0].Records == i+1
		}, 10*time.Second, 5*time.Millisecond)
	}
}
