package httpin_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
)

// connSink keeps the connection events of a served input.
type connSink struct {
	serve.Ignore
	mu     sync.Mutex
	events []listener.ConnEvent
}

func (k *connSink) Conn(ev listener.ConnEvent) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.events = append(k.events, ev)
}

// A keep-alive connection still open when fakegraf stops is reported
// closed, with the bytes of its requests, before Close returns: the
// summary counts an HTTP connection's bytes at its close, and without it
// they were missing from bytes while in accepted_bytes.
func TestCloseReportsIdleConnections(t *testing.T) {
	cfg, err := setup.Load([]byte("[agent]\n  omit_hostname = true\n[[inputs.influxdb_v2_listener]]\n  service_address = \"127.0.0.1:0\"\n"), "test")
	require.NoError(t, err)
	k := &connSink{}
	srv, err := serve.Start(cfg, k, serve.Options{})
	require.NoError(t, err)
	u, err := url.Parse(srv.Listening()[0].URL)
	require.NoError(t, err)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	defer client.CloseIdleConnections()
	for range 3 {
		resp, err := client.Post("http://"+u.Host+"/api/v2/write?org=o&bucket=b", "text/plain", strings.NewReader("cpu usage=1\n"))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 204, resp.StatusCode)
	}
	srv.Close() // the client's connection is idle, still open

	k.mu.Lock()
	defer k.mu.Unlock()
	var opened, closed int
	var bytes int64
	for _, ev := range k.events {
		if ev.Open {
			opened++
			continue
		}
		closed++
		bytes += ev.Bytes
	}
	require.Equal(t, 1, opened, "connections opened")
	require.Equal(t, 1, closed, "connections reported closed")
	require.Equal(t, int64(36), bytes, "bytes of the closed connection")
}
