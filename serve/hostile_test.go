package serve_test

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
)

// accountingSink keeps the summary and the findings of a run.
type accountingSink struct {
	*report.Collector
	mu       sync.Mutex
	findings []parse.Diagnostic
	truncs   int
	closed   int
}

func newAccountingSink() *accountingSink { return &accountingSink{Collector: report.NewCollector()} }

func (a *accountingSink) Result(r *parse.Result) {
	a.Collector.Result(r)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.findings = append(a.findings, r.Diagnostics...)
	if r.Record.Truncated {
		a.truncs++
	}
}

func (a *accountingSink) Conn(ev listener.ConnEvent) {
	a.Collector.Conn(ev)
	if !ev.Open {
		a.mu.Lock()
		a.closed++
		a.mu.Unlock()
	}
}

func (a *accountingSink) Finding(d parse.Diagnostic) {
	a.Collector.Finding(d)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.findings = append(a.findings, d)
}

func (a *accountingSink) rules() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string]int{}
	for _, d := range a.findings {
		out[d.Rule]++
	}
	return out
}

func (a *accountingSink) closedConns() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.closed
}

// startServer runs one socket_listener table.
func startServer(t *testing.T, table string) (*serve.Server, *accountingSink, string) {
	t.Helper()
	cfg, err := setup.Load([]byte("[agent]\n  omit_hostname = true\n[[inputs.socket_listener]]\n"+table), "test")
	require.NoError(t, err)
	sink := newAccountingSink()
	srv, err := serve.Start(cfg, sink, serve.Options{})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	return srv, sink, srv.Listening()[0].URL
}

func hostPort(url string) string {
	_, after, _ := bytes.Cut([]byte(url), []byte("://"))
	return string(after)
}

// checkAccounted checks the promise of no silent loss: every byte received
// is in an accepted record, a rejected record, or pending at a close.
func checkAccounted(t *testing.T, sink *accountingSink) *report.ListenerSummary {
	t.Helper()
	ls := sink.Summary().Listeners[0]
	if diff := cmp.Diff(ls.Bytes, ls.AcceptedBytes+ls.RejectedBytes+ls.PendingBytes); diff != "" {
		t.Errorf("accepted %d + rejected %d + pending %d bytes, against the %d received (-want +got):\n%s",
			ls.AcceptedBytes, ls.RejectedBytes, ls.PendingBytes, ls.Bytes, diff)
	}
	return ls
}

func TestHostileInput(t *testing.T) {
	t.Run("binary garbage", func(t *testing.T) {
		srv, sink, url := startServer(t, `  service_address = "tcp://127.0.0.1:0"`)
		c, err := net.Dial("tcp", hostPort(url))
		require.NoError(t, err)
		garbage := make([]byte, 256<<10)
		_, _ = rand.Read(garbage)
		_, err = c.Write(garbage)
		require.NoError(t, err)
		require.NoError(t, c.Close())
		require.Eventually(t, func() bool { return sink.closedConns() == 1 }, 10*time.Second, 10*time.Millisecond)
		srv.Close()
		ls := checkAccounted(t, sink)
		require.Positive(t, ls.Rejected+ls.SocketErrors, "garbage is rejected or cut, never silently taken")
	})

	t.Run("a 10 MB line", func(t *testing.T) {
		srv, sink, url := startServer(t, `  service_address = "tcp://127.0.0.1:0"`)
		c, err := net.Dial("tcp", hostPort(url))
		require.NoError(t, err)
		_, _ = c.Write([]byte("before v=1\n"))
		_, _ = c.Write(append(bytes.Repeat([]byte("x"), 10<<20), '\n')) // may fail: Telegraf resets the connection
		_ = c.Close()
		require.Eventually(t, func() bool { return sink.closedConns() == 1 }, 10*time.Second, 10*time.Millisecond)
		srv.Close()
		ls := checkAccounted(t, sink)
		if diff := cmp.Diff(1, sink.rules()["line-too-long"]); diff != "" {
			t.Errorf("line-too-long findings (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(1, ls.Metrics); diff != "" {
			t.Errorf("metrics (-want +got):\n%s", diff)
		}
		require.Positive(t, ls.PendingBytes)
	})

	t.Run("invalid UTF-8", func(t *testing.T) {
		srv, sink, url := startServer(t, "  service_address = \"udp://127.0.0.1:0\"\n  data_format = \"json\"")
		c, err := net.Dial("udp", hostPort(url))
		require.NoError(t, err)
		_, err = c.Write([]byte("{\"name\":\"\xff\xfe\",\"v\":1}"))
		require.NoError(t, err)
		require.Eventually(t, func() bool { return sink.Summary().Listeners[0].Records == 1 }, 5*time.Second, 10*time.Millisecond)
		srv.Close()
		checkAccounted(t, sink)
	})

	t.Run("gzip bomb on a datagram socket with max_decompression_size", func(t *testing.T) {
		srv, sink, url := startServer(t, "  service_address = \"udp://127.0.0.1:0\"\n  content_encoding = \"gzip\"\n  max_decompression_size = \"1MiB\"")
		var bomb bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
		chunk := bytes.Repeat([]byte("a"), 1<<20)
		for i := 0; i < 50; i++ { // 50 MiB of 'a' in ~50 KiB
			_, _ = zw.Write(chunk)
		}
		require.NoError(t, zw.Close())
		require.Less(t, bomb.Len(), 65000)
		c, err := net.Dial("udp", hostPort(url))
		require.NoError(t, err)
		_, err = c.Write(bomb.Bytes())
		require.NoError(t, err)
		require.Eventually(t, func() bool { return sink.rules()["socket-error"] == 1 }, 10*time.Second, 10*time.Millisecond)
		srv.Close()
		checkAccounted(t, sink)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		require.Less(t, ms.HeapInuse, uint64(40<<20), "the bomb was not decoded past the limit")
	})

	t.Run("gzip bombs on a stream socket leave nothing behind", func(t *testing.T) {
		// Telegraf's gzip reader (pgzip) decodes ahead in a goroutine that
		// holds megabytes and blocks forever once the connection ends with
		// decoded bytes unread; Telegraf never closes it. fakegraf must.
		srv, sink, url := startServer(t, "  service_address = \"tcp://127.0.0.1:0\"\n  content_encoding = \"gzip\"")
		var bomb bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
		zeros := make([]byte, 1<<20)
		for range 20 { // 20 MiB without a newline: the scanner gives up at 64 KiB
			_, _ = zw.Write(zeros)
		}
		require.NoError(t, zw.Close())
		before := runtime.NumGoroutine()
		const conns = 10
		for range conns {
			c, err := net.Dial("tcp", hostPort(url))
			require.NoError(t, err)
			_, _ = c.Write(bomb.Bytes())
			c.Close()
		}
		require.Eventually(t, func() bool {
			sink.mu.Lock()
			defer sink.mu.Unlock()
			return sink.closed == conns
		}, 10*time.Second, 10*time.Millisecond)
		require.Eventually(t, func() bool { return runtime.NumGoroutine() <= before+2 }, 5*time.Second, 10*time.Millisecond,
			"goroutines left behind by the gzip readers of closed connections")
		srv.Close()
		ls := checkAccounted(t, sink)
		if diff := cmp.Diff(int64(conns*64<<10), ls.PendingBytes); diff != "" {
			t.Errorf("pending bytes, each connection's 64 KiB of zeros at its close (-want +got):\n%s", diff)
		}
	})

	t.Run("1000 connections against max_connections = 100", func(t *testing.T) {
		srv, sink, url := startServer(t, "  service_address = \"tcp://127.0.0.1:0\"\n  max_connections = 100")
		var conns []net.Conn
		for i := 0; i < 1000; i++ {
			c, err := net.Dial("tcp", hostPort(url))
			require.NoError(t, err)
			conns = append(conns, c)
		}
		for i, c := range conns {
			_, _ = fmt.Fprintf(c, "conn v=%di\n", i)
		}
		for _, c := range conns {
			_ = c.Close()
		}
		require.Eventually(t, func() bool {
			r := sink.rules()
			return sink.closedConns()+r["max-connections"] >= 1000
		}, 20*time.Second, 20*time.Millisecond)
		srv.Close()
		ls := checkAccounted(t, sink)
		refused := sink.rules()["max-connections"]
		require.Positive(t, refused, "Telegraf refuses connections over the limit, and says so")
		if diff := cmp.Diff(1000, ls.Metrics+refused); diff != "" {
			t.Errorf("connections served + reported refused (-want +got):\n%s", diff)
		}
	})

	t.Run("slowloris does not hang the shutdown", func(t *testing.T) {
		srv, sink, url := startServer(t, `  service_address = "tcp://127.0.0.1:0"`)
		c, err := net.Dial("tcp", hostPort(url))
		require.NoError(t, err)
		defer c.Close()
		_, err = c.Write([]byte("first v=1\n"))
		require.NoError(t, err)
		for _, b := range []byte("slow v=") {
			_, err = c.Write([]byte{b})
			require.NoError(t, err)
		}
		require.Eventually(t, func() bool { return sink.Summary().Listeners[0].Records == 1 }, 5*time.Second, 10*time.Millisecond)
		done := make(chan struct{})
		go func() { srv.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Close hung on a slow connection")
		}
		ls := checkAccounted(t, sink)
		require.GreaterOrEqual(t, ls.Bytes, int64(10))
		if diff := cmp.Diff(1, ls.Metrics); diff != "" {
			t.Errorf("metrics (-want +got):\n%s", diff)
		}
	})

	t.Run("connection reset mid-record", func(t *testing.T) {
		srv, sink, url := startServer(t, `  service_address = "tcp://127.0.0.1:0"`)
		c, err := net.Dial("tcp", hostPort(url))
		require.NoError(t, err)
		_, err = c.Write([]byte("ok v=1\ncut v="))
		require.NoError(t, err)
		require.NoError(t, c.(*net.TCPConn).SetLinger(0)) // close with RST
		require.NoError(t, c.Close())
		require.Eventually(t, func() bool { return sink.closedConns() == 1 }, 5*time.Second, 10*time.Millisecond)
		srv.Close()
		ls := checkAccounted(t, sink)
		if diff := cmp.Diff(1, ls.Metrics); diff != "" {
			t.Errorf("metrics (-want +got):\n%s", diff)
		}
	})

	t.Run("a 64 KiB datagram on unixgram is truncated and said so", func(t *testing.T) {
		dir, err := os.MkdirTemp("", "fg")
		require.NoError(t, err)
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "g.sock")
		srv, sink, _ := startServer(t, fmt.Sprintf("  service_address = \"unixgram://%s\"\n  data_format = \"value\"\n  data_type = \"string\"", path))
		c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
		require.NoError(t, err)
		defer c.Close()
		_, err = c.Write(bytes.Repeat([]byte("y"), 100000))
		require.NoError(t, err)
		require.Eventually(t, func() bool { return sink.Summary().Listeners[0].Records == 1 }, 5*time.Second, 10*time.Millisecond)
		srv.Close()
		ls := checkAccounted(t, sink)
		if diff := cmp.Diff(int64(65536), ls.Bytes); diff != "" {
			t.Errorf("bytes read, Telegraf's 64 KiB unixgram buffer (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(1, sink.truncs); diff != "" {
			t.Errorf("records marked truncated (-want +got):\n%s", diff)
		}
	})
}

func TestUnixPathThatIsARegularFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "important.txt")
	require.NoError(t, os.WriteFile(path, []byte("keep me"), 0o600))
	_, err := setup.Load([]byte(fmt.Sprintf("[[inputs.socket_listener]]\n  service_address = \"unix://%s\"\n", path)), "test")
	require.ErrorContains(t, err, "exists and is not a socket: Telegraf would delete it to bind there; fakegraf will not")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	if diff := cmp.Diff("keep me", string(b)); diff != "" {
		t.Errorf("the regular file's content (-want +got):\n%s", diff)
	}
}

// TestShutdownUnderLoad closes the server while senders are still writing:
// everything fakegraf read is in the report, as a record or as bytes
// pending at the close, and nothing hangs.
func TestShutdownUnderLoad(t *testing.T) {
	for _, scheme := range []string{"tcp", "udp"} {
		t.Run(scheme, func(t *testing.T) {
			srv, sink, url := startServer(t, fmt.Sprintf("  service_address = \"%s://127.0.0.1:0\"", scheme))
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for w := 0; w < 4; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, err := net.Dial(scheme, hostPort(url))
					if err != nil {
						return
					}
					defer c.Close()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						if _, err := fmt.Fprintf(c, "load,w=%d v=%di\n", w, i); err != nil {
							return // closed under us: expected
						}
					}
				}()
			}
			require.Eventually(t, func() bool { return sink.Summary().Listeners[0].Records >= 2000 }, 10*time.Second, 10*time.Millisecond)
			done := make(chan struct{})
			go func() { srv.Close(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Close hung under load")
			}
			close(stop)
			wg.Wait()
			ls := checkAccounted(t, sink)
			if diff := cmp.Diff(ls.Records, ls.Metrics+ls.Rejected); diff != "" {
				t.Errorf("metrics + rejected, against the records read: every record read is in the report (-want +got):\n%s", diff)
			}
		})
	}
}
