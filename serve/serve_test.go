package serve_test

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
)

// blockingSink holds the processing loop on its first record until released,
// the way a slow consumer would.
type blockingSink struct {
	mu       sync.Mutex
	release  chan struct{}
	once     sync.Once
	records  int
	findings []parse.Diagnostic
}

func (b *blockingSink) Result(*parse.Result) {
	b.once.Do(func() { <-b.release })
	b.mu.Lock()
	b.records++
	b.mu.Unlock()
}
func (*blockingSink) Listening(string, string) {}
func (*blockingSink) Conn(listener.ConnEvent)  {}
func (b *blockingSink) Finding(d parse.Diagnostic) {
	b.mu.Lock()
	b.findings = append(b.findings, d)
	b.mu.Unlock()
}

func TestKernelDropsAreReported(t *testing.T) {
	if _, ok := procAvailable(); !ok {
		t.Skip("no /proc/net/udp on this system")
	}
	cfg, err := setup.Load([]byte("[[inputs.socket_listener]]\n  service_address = \"udp://127.0.0.1:0\"\n  read_buffer_size = \"4KiB\"\n"), "test")
	require.NoError(t, err)
	sink := &blockingSink{release: make(chan struct{})}
	srv, err := serve.Start(cfg, sink, serve.Options{})
	require.NoError(t, err)
	defer srv.Close()

	network, addr := "udp", srv.Listening()[0].URL[len("udp://"):]
	c, err := net.Dial(network, addr)
	require.NoError(t, err)
	defer c.Close()
	// With the loop held, the reader blocks, the 4 KiB buffer fills and the
	// kernel drops the rest.
	for i := 0; i < 20000; i++ {
		_, _ = c.Write([]byte("cpu v=1\n"))
	}
	close(sink.release)
	require.Eventually(t, func() bool {
		sink.mu.Lock()
		defer sink.mu.Unlock()
		return len(sink.findings) > 0
	}, 5*time.Second, 10*time.Millisecond)
	sink.mu.Lock()
	d := sink.findings[0]
	sink.mu.Unlock()
	type finding struct {
		Rule     string
		Severity parse.Severity
	}
	if diff := cmp.Diff(finding{parse.RuleKernelDrops, parse.Error}, finding{d.Rule, d.Severity}); diff != "" {
		t.Fatalf("first finding (-want +got):\n%s", diff)
	}
	require.Positive(t, d.Count)
	require.Contains(t, d.Fixes[0], `read_buffer_size = "8MiB"`)
}

func procAvailable() (string, bool) {
	l, err := listener.Listen(listener.Config{Address: "udp://127.0.0.1:0"}, nopHandler{})
	if err != nil {
		return "", false
	}
	defer l.Close()
	_, ok := l.KernelDrops()
	return l.URL(), ok
}

type nopHandler struct{}

func (nopHandler) Record(listener.Record)       {}
func (nopHandler) Conn(listener.ConnEvent)      {}
func (nopHandler) Transport(listener.Transport) {}

func TestCloseDeliversEverything(t *testing.T) {
	cfg, err := setup.Load([]byte("[[inputs.socket_listener]]\n  service_address = \"tcp://127.0.0.1:0\"\n"), "test")
	require.NoError(t, err)
	sink := &blockingSink{release: make(chan struct{})}
	close(sink.release)
	srv, err := serve.Start(cfg, sink, serve.Options{})
	require.NoError(t, err)
	c, err := net.Dial("tcp", srv.Listening()[0].URL[len("tcp://"):])
	require.NoError(t, err)
	defer c.Close()
	for i := 0; i < 1000; i++ {
		_, err := c.Write([]byte("cpu v=1\n"))
		require.NoError(t, err)
	}
	_, err = c.Write([]byte("last v=2")) // no newline, connection still open
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		sink.mu.Lock()
		defer sink.mu.Unlock()
		return sink.records >= 1000
	}, 5*time.Second, 10*time.Millisecond)
	srv.Close() // graceful shutdown: the pending record is delivered too
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if diff := cmp.Diff(1001, sink.records); diff != "" {
		t.Errorf("records delivered, the pending one included (-want +got):\n%s", diff)
	}
}
