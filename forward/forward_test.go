package forward_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/forward"
	"github.com/fakegraf/fakegraf/listener"
)

// recorder is the handler forward wraps: what fakegraf's engine would get.
type recorder struct {
	mu         sync.Mutex
	records    []listener.Record
	closed     int
	bytes      int64 // of closed connections
	transports []listener.Transport
}

func (r *recorder) Record(rec listener.Record) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec.Data = append([]byte(nil), rec.Data...)
	r.records = append(r.records, rec)
}

func (r *recorder) Conn(ev listener.ConnEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !ev.Open {
		r.closed++
		r.bytes += ev.Bytes
	}
}

func (r *recorder) Transport(ev listener.Transport) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.transports = append(r.transports, ev)
}

func (r *recorder) lost() (uint64, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var n uint64
	var msgs []string
	for _, t := range r.transports {
		if errors.Is(t.Err, listener.ErrForwardLoss) {
			n += t.Dropped
			msgs = append(msgs, t.Err.Error())
		}
	}
	return n, msgs
}

// tee binds a listener on address whose handler forwards to upstream.
func tee(t *testing.T, address, upstream string, opt forward.Options) (*listener.Listener, *forward.Handler, *recorder) {
	t.Helper()
	rec := &recorder{}
	opt.Upstream = upstream
	opt.Stream = listener.IsStream(listener.Scheme(address))
	fw, err := forward.New(rec, opt)
	require.NoError(t, err)
	l, err := listener.Listen(listener.Config{Address: address}, fw)
	require.NoError(t, err)
	return l, fw, rec
}

// streamUpstream accepts connections and keeps what each one sent, in
// accept order, once it has ended.
type streamUpstream struct {
	ln    net.Listener
	mu    sync.Mutex
	conns [][]byte
}

func newStreamUpstream(t *testing.T, network, address string) *streamUpstream {
	ln, err := net.Listen(network, address)
	require.NoError(t, err)
	u := &streamUpstream{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u.mu.Lock()
			i := len(u.conns)
			u.conns = append(u.conns, nil)
			u.mu.Unlock()
			go func() {
				b, _ := io.ReadAll(c)
				c.Close()
				u.mu.Lock()
				u.conns[i] = append(b, 0) // a trailing 0 marks the end seen
				u.mu.Unlock()
			}()
		}
	}()
	return u
}

func (u *streamUpstream) ended() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := []string{}
	for _, b := range u.conns {
		if len(b) == 0 {
			return nil // still open
		}
		out = append(out, string(b[:len(b)-1]))
	}
	return out
}

func TestStreamConnectionsAreForwardedByteForByte(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			addr, up := "tcp://127.0.0.1:0", "127.0.0.1:0"
			if network == "unix" {
				dir := t.TempDir()
				addr, up = "unix://"+filepath.Join(dir, "in.sock"), filepath.Join(dir, "up.sock")
			}
			u := newStreamUpstream(t, network, up)
			l, fw, rec := tee(t, addr, network+"://"+u.ln.Addr().String(), forward.Options{})
			// What Telegraf's framing would alter or drop must arrive as
			// sent: CRLF, a blank line, no final newline.
			sends := []string{"cpu v=1\r\n\ncpu v=2\n", "mem v=3\nmem v=4"}
			for _, s := range sends {
				c, err := net.Dial(network, l.Addr().String())
				require.NoError(t, err)
				_, err = c.Write([]byte(s))
				require.NoError(t, err)
				require.NoError(t, c.Close())
				// one at a time, so the upstream's accept order is ours
				require.Eventually(t, func() bool {
					return len(u.ended()) == len(u.conns) && len(u.ended()) > 0 && u.ended()[len(u.ended())-1] == s
				},
					5*time.Second, 10*time.Millisecond)
			}
			l.Close()
			fw.Close()
			if diff := cmp.Diff(sends, u.ended()); diff != "" {
				t.Errorf("upstream connections (-want +got):\n%s", diff)
			}
			lost, _ := rec.lost()
			require.Zero(t, lost)
			rec.mu.Lock()
			defer rec.mu.Unlock()
			require.Len(t, rec.records, 5, "the wrapped handler gets every record")
			require.Equal(t, 2, rec.closed)
		})
	}
}

func TestDatagramsAreForwardedOneForOne(t *testing.T) {
	for _, network := range []string{"udp", "unixgram"} {
		t.Run(network, func(t *testing.T) {
			addr, up := "udp://127.0.0.1:0", "127.0.0.1:0"
			if network == "unixgram" {
				dir := t.TempDir()
				addr, up = "unixgram://"+filepath.Join(dir, "in.sock"), filepath.Join(dir, "up.sock")
			}
			pc, err := net.ListenPacket(network, up)
			require.NoError(t, err)
			defer pc.Close()
			upstream := network + "://" + pc.LocalAddr().String()
			l, fw, rec := tee(t, addr, upstream, forward.Options{})
			c, err := net.Dial(network, l.Addr().String())
			require.NoError(t, err)
			sends := []string{"cpu v=1\ncpu v=2\n", "cpu v=3", ""}
			var got []string
			buf := make([]byte, 65536)
			for _, s := range sends {
				_, err := c.Write([]byte(s))
				require.NoError(t, err)
				require.NoError(t, pc.SetReadDeadline(time.Now().Add(5*time.Second)))
				n, _, err := pc.ReadFrom(buf)
				require.NoError(t, err)
				got = append(got, string(buf[:n]))
			}
			c.Close()
			l.Close()
			fw.Close()
			if diff := cmp.Diff(sends, got); diff != "" {
				t.Errorf("upstream datagrams (-want +got):\n%s", diff)
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			require.Len(t, rec.records, 3)
		})
	}
}

func TestDeadUpstreamLosesNothingOfFakegrafsOwn(t *testing.T) {
	// A port that refuses: bound, then closed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	ln.Close()
	l, fw, rec := tee(t, "tcp://127.0.0.1:0", "tcp://"+dead, forward.Options{Interval: 20 * time.Millisecond})
	c, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	payload := []byte("cpu v=1\ncpu v=2\n")
	_, err = c.Write(payload)
	require.NoError(t, err)
	c.Close()
	require.Eventually(t, func() bool { n, _ := rec.lost(); return n == uint64(len(payload)) }, 5*time.Second, 10*time.Millisecond)
	l.Close()
	fw.Close()
	_, msgs := rec.lost()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.Len(t, rec.records, 2)
	require.EqualValues(t, len(payload), rec.bytes)
	require.Contains(t, msgs[0], "connection refused")
}

func TestStalledUpstreamDoesNotSlowTheListener(t *testing.T) {
	// An upstream that accepts and never reads: the kernel's buffers fill,
	// then the forward buffer, then the connection is given up.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()
	l, fw, rec := tee(t, "tcp://127.0.0.1:0", "tcp://"+ln.Addr().String(), forward.Options{Buffer: 64 << 10, Drain: 100 * time.Millisecond})
	c, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	line := bytes.Repeat([]byte("x"), 1023)
	line = append(line, '\n')
	const lines = 32 << 10 // 32 MiB: more than any loopback socket buffers
	for range lines {
		_, err := c.Write(line)
		require.NoError(t, err, "the listener stopped reading: forwarding blocked ingestion")
	}
	c.Close()
	require.Eventually(t, func() bool { rec.mu.Lock(); defer rec.mu.Unlock(); return rec.closed == 1 }, 30*time.Second, 10*time.Millisecond)
	l.Close()
	fw.Close()
	rec.mu.Lock()
	require.Len(t, rec.records, lines, "fakegraf's own accounting lost records")
	require.EqualValues(t, lines*len(line), rec.bytes)
	rec.mu.Unlock()
	lost, msgs := rec.lost()
	require.NotZero(t, lost)
	require.LessOrEqual(t, lost, uint64(lines*len(line)))
	require.Contains(t, msgs[0], "buffer of 65536 bytes was full")

	// The upstream, reading at last, gets exactly what was not counted
	// lost: what the reset threw away in fakegraf's kernel is counted too.
	mu.Lock()
	require.Len(t, held, 1)
	got, _ := io.Copy(io.Discard, held[0])
	mu.Unlock()
	if runtime.GOOS == "linux" {
		require.Equal(t, int64(lines*len(line)), got+int64(lost), "the upstream got %d bytes, fakegraf says it lost %d", got, lost)
	}
}

func TestCheckRefusesMismatchedUpstreams(t *testing.T) {
	for _, tc := range []struct {
		name, upstream string
		stream         bool
		want           string
	}{
		{"datagrams to a stream", "tcp://127.0.0.1:8094", false, "use udp:// or unixgram://"},
		{"stream to datagrams", "udp://127.0.0.1:8094", true, "use tcp://"},
		{"http", "http://127.0.0.1:8086", true, "not HTTP requests"},
		{"no port", "tcp://telegraf", true, "give host:port"},
		{"no scheme", "127.0.0.1:8094", true, "want a URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := forward.Check(tc.upstream, tc.stream)
			require.ErrorIs(t, err, forward.ErrUpstream)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestBatchedDatagramsKeepOrderAndAccounting drives the batch writer with a
// kernel that takes at most three datagrams a call (a partial write, sent
// again), refuses some datagrams (lost, the rest of the batch goes on) and
// fails hard on one (lost with the rest of its batch and those until the
// redial): every datagram is either sent, once and in order, or counted.
func TestBatchedDatagramsKeepOrderAndAccounting(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer pc.Close()
	gate := make(chan struct{})
	var mu sync.Mutex
	var sent []string
	var sizes []int
	restore := forward.SetWriteBatch(func(bs [][]byte) (int, error) {
		<-gate // let the queue fill, so that the batches are big
		mu.Lock()
		defer mu.Unlock()
		sizes = append(sizes, len(bs))
		for i, b := range bs {
			switch {
			case i == 3:
				return i, nil // the kernel stopped early, no error
			case bytes.HasPrefix(b, []byte("refuse")):
				return i, &net.OpError{Op: "write", Net: "udp", Err: syscall.ECONNREFUSED}
			case bytes.HasPrefix(b, []byte("fail")):
				return i, &net.OpError{Op: "write", Net: "udp", Err: syscall.EMSGSIZE}
			}
			sent = append(sent, string(b))
		}
		return len(bs), nil
	})
	defer restore()
	rec := &recorder{}
	fw, err := forward.New(rec, forward.Options{Upstream: "udp://" + pc.LocalAddr().String(), Interval: time.Hour})
	require.NoError(t, err)
	var all []string
	for i := range 40 {
		d := fmt.Sprintf("cpu v=%d\n", i)
		switch i {
		case 5, 6, 20:
			d = "refuse " + d
		case 30:
			d = "fail " + d
		}
		all = append(all, d)
		fw.Record(listener.Record{Listener: "udp://127.0.0.1:8094", Data: []byte(d)})
	}
	close(gate)
	fw.Close()

	n, msgs := rec.lost()
	mu.Lock()
	defer mu.Unlock()
	require.Greater(t, slices.Max(sizes), 3, "datagrams went in batches")
	// What was sent is the input in order, minus the refused ones and
	// everything from the hard failure on (the redial waits a second).
	var want []string
	var lostBytes uint64
	for i, d := range all {
		if strings.HasPrefix(d, "refuse") || i >= 30 {
			lostBytes += uint64(len(d))
			continue
		}
		want = append(want, d)
	}
	if diff := cmp.Diff(want, sent); diff != "" {
		t.Errorf("sent (-want +got):\n%s", diff)
	}
	require.Equal(t, lostBytes, n, "every byte not sent is counted")
	require.Len(t, msgs, 1)
	require.Contains(t, msgs[0], "13 datagram(s)")
	require.Equal(t, 40, len(rec.records), "the wrapped handler gets every record")
}
