package listener_test

import (
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
)

// gatedSink holds every record until the gate opens, as a busy processing
// loop would.
type gatedSink struct {
	sink
	gate chan struct{}
}

func (g *gatedSink) Record(r listener.Record) {
	<-g.gate
	g.sink.Record(r)
}

// A datagram waiting in the socket's kernel queue makes the listener busy:
// fakegraf run must not end while one is there.
func TestBusyWhileDatagramsWaitInTheKernel(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the kernel's queue is read on Linux only")
	}
	for _, scheme := range []string{"udp", "unixgram"} {
		t.Run(scheme, func(t *testing.T) {
			addr := "udp://127.0.0.1:0"
			if scheme == "unixgram" {
				addr = "unixgram://" + tempSock(t)
			}
			s := &gatedSink{gate: make(chan struct{})}
			l, err := listener.Listen(listener.Config{Address: addr}, s)
			require.NoError(t, err)
			t.Cleanup(l.Close)
			opened := false
			t.Cleanup(func() {
				if !opened {
					close(s.gate)
				}
			})
			require.False(t, l.Busy(), "nothing sent yet")

			c, err := net.Dial(l.Addr().Network(), l.Addr().String())
			require.NoError(t, err)
			defer c.Close()
			// The first datagram blocks in the handler, the second in
			// Telegraf's reader handing it to its parse pool; the third
			// can only wait in the kernel.
			for _, d := range []string{"a v=1\n", "b v=2\n", "c v=3\n"} {
				_, err := c.Write([]byte(d))
				require.NoError(t, err)
			}
			require.True(t, l.Busy(), "three datagrams sent, none handed out")

			close(s.gate)
			opened = true
			require.Eventually(t, func() bool { r, _, _ := s.snapshot(); return len(r) == 3 }, 5*time.Second, 5*time.Millisecond)
			require.Eventually(t, func() bool { return !l.Busy() }, 5*time.Second, 5*time.Millisecond, "every datagram was handed out")
		})
	}
}

// A stream connection keeps the listener busy from the moment it is
// established until its closing ConnEvent has been handed out.
func TestBusyWhileAConnectionIsOpen(t *testing.T) {
	for _, scheme := range []string{"tcp", "unix"} {
		t.Run(scheme, func(t *testing.T) {
			addr := "tcp://127.0.0.1:0"
			if scheme == "unix" {
				addr = "unix://" + tempSock(t)
			}
			l, s := start(t, listener.Config{Address: addr})
			require.False(t, l.Busy(), "no connection yet")
			c := dial(t, l)
			require.Eventually(t, l.Busy, 5*time.Second, 5*time.Millisecond, "a connection is open")
			_, err := c.Write([]byte("a v=1\n"))
			require.NoError(t, err)
			require.NoError(t, c.Close())
			require.Eventually(t, func() bool { return s.closed() == 1 }, 5*time.Second, 5*time.Millisecond)
			require.False(t, l.Busy(), "the connection has been reported closed")
		})
	}
}
