package serve_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
)

// Settled is what fakegraf run ends on after its sender's exit: it must be
// false while anything that arrived is still being processed, queued, or
// waiting in the kernel, and true once all of it has reached the sink.
func TestSettled(t *testing.T) {
	for _, address := range []string{"udp://127.0.0.1:0", "tcp://127.0.0.1:0"} {
		t.Run(strings.SplitN(address, ":", 2)[0], func(t *testing.T) {
			cfg, err := setup.Load([]byte("[[inputs.socket_listener]]\n  service_address = \""+address+"\"\n  data_format = \"influx\"\n"), "test")
			require.NoError(t, err)
			sink := &blockingSink{release: make(chan struct{})}
			srv, err := serve.Start(cfg, sink, serve.Options{})
			require.NoError(t, err)
			defer srv.Close()
			released := false
			defer func() {
				if !released {
					close(sink.release)
				}
			}()
			require.True(t, srv.Settled(), "nothing has arrived")
			require.True(t, srv.LastEvent().IsZero(), "nothing has arrived")
			require.False(t, srv.Backlog(), "nothing has arrived")

			u := srv.Listening()[0].URL
			c, err := net.Dial(u[:3], u[len("udp://"):])
			require.NoError(t, err)
			for _, line := range []string{"a v=1\n", "b v=2\n", "c v=3\n"} {
				_, err := c.Write([]byte(line))
				require.NoError(t, err)
			}
			require.NoError(t, c.Close())
			// The sink holds the first record: nothing is settled until it
			// lets go.
			require.Eventually(t, func() bool { return !srv.LastEvent().IsZero() }, 5*time.Second, 5*time.Millisecond)
			require.False(t, srv.Settled(), "the first record is still being processed")
			// --until idle must not count this time as idle: the queue is
			// draining, though nothing new arrives.
			// (Eventually: over tcp the first event is the connection's
			// opening, before its first record is read.)
			require.Eventually(t, srv.Backlog, 5*time.Second, 5*time.Millisecond, "the first record is held by the sink")

			close(sink.release)
			released = true
			require.Eventually(t, srv.Settled, 5*time.Second, 5*time.Millisecond)
			require.False(t, srv.Backlog(), "everything was processed")
			sink.mu.Lock()
			defer sink.mu.Unlock()
			require.Equal(t, 3, sink.records, "settled before every record reached the sink")
		})
	}
}
