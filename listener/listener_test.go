package listener_test

import (
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/plugins/common/socket"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/internal/testcert"
	"github.com/fakegraf/fakegraf/listener"
)

// sink collects what a Listener hands out.
type sink struct {
	mu      sync.Mutex
	records []listener.Record
	conns   []listener.ConnEvent
	errs    []error
}

func (s *sink) Record(r listener.Record) {
	s.mu.Lock()
	s.records = append(s.records, r)
	s.mu.Unlock()
}
func (s *sink) Conn(ev listener.ConnEvent) {
	s.mu.Lock()
	s.conns = append(s.conns, ev)
	s.mu.Unlock()
}
func (s *sink) Transport(t listener.Transport) {
	s.mu.Lock()
	s.errs = append(s.errs, t.Err)
	s.mu.Unlock()
}

func (s *sink) snapshot() ([]listener.Record, []listener.ConnEvent, []error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]listener.Record(nil), s.records...), append([]listener.ConnEvent(nil), s.conns...), append([]error(nil), s.errs...)
}

func (s *sink) closed() int {
	_, conns, _ := s.snapshot()
	n := 0
	for _, c := range conns {
		if !c.Open {
			n++
		}
	}
	return n
}

// tempSock returns a short unix socket path (sun_path is ~108 bytes).
func tempSock(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "fg")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "s.sock")
}

func start(t *testing.T, cfg listener.Config) (*listener.Listener, *sink) {
	t.Helper()
	s := &sink{}
	l, err := listener.Listen(cfg, s)
	require.NoError(t, err)
	t.Cleanup(l.Close)
	return l, s
}

func dial(t *testing.T, l *listener.Listener) net.Conn {
	t.Helper()
	a := l.Addr()
	c, err := net.Dial(a.Network(), a.String())
	require.NoError(t, err)
	return c
}

type recordView struct {
	Data       string
	Size       int
	Conn       uint64
	Stream     bool
	Terminated bool
}

func views(rs []listener.Record) []recordView {
	out := make([]recordView, len(rs))
	for i, r := range rs {
		out[i] = recordView{string(r.Data), r.Size, r.Conn, r.Stream, r.Terminated}
	}
	return out
}

func TestStreamSocketsFrameLikeTelegraf(t *testing.T) {
	for _, scheme := range []string{"tcp", "tcp4", "unix", "unixpacket"} {
		t.Run(scheme, func(t *testing.T) {
			addr := scheme + "://127.0.0.1:0"
			if strings.HasPrefix(scheme, "unix") {
				addr = scheme + "://" + tempSock(t)
			}
			l, s := start(t, listener.Config{Address: addr})
			require.True(t, l.Stream())
			c := dial(t, l)
			// unixpacket keeps message boundaries, so write the whole
			// sequence in one message to make both kinds comparable.
			_, err := c.Write([]byte("cpu v=1\r\nmem v=2\n\ndisk v=3"))
			require.NoError(t, err)
			require.NoError(t, c.Close())
			require.Eventually(t, func() bool { return s.closed() == 1 }, 5*time.Second, 10*time.Millisecond)

			recs, conns, errs := s.snapshot()
			want := []recordView{
				{"cpu v=1", 9, 1, true, true}, // ScanLines drops the \r
				{"mem v=2", 8, 1, true, true},
				{"", 1, 1, true, true},
				{"disk v=3", 8, 1, true, false}, // delivered only at close
			}
			if diff := cmp.Diff(want, views(recs)); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			require.Empty(t, errs)
			require.Len(t, conns, 2)
			type closeView struct {
				Bytes, PendingBytes int64
				Records             int
			}
			if diff := cmp.Diff(closeView{Bytes: 26, PendingBytes: 0, Records: 4}, closeView{conns[1].Bytes, conns[1].PendingBytes, conns[1].Records}); diff != "" {
				t.Errorf("close event (-want +got):\n%s", diff)
			}
			type origin struct {
				Seq      uint64
				Listener string
			}
			var wantOrigins, gotOrigins []origin
			for i, r := range recs {
				wantOrigins = append(wantOrigins, origin{uint64(i + 1), l.URL()})
				gotOrigins = append(gotOrigins, origin{r.Seq, r.Listener})
			}
			if diff := cmp.Diff(wantOrigins, gotOrigins); diff != "" {
				t.Errorf("record sequence numbers and listener (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDatagramSocketsGiveOneRecordPerDatagram(t *testing.T) {
	for _, scheme := range []string{"udp", "udp4", "unixgram"} {
		t.Run(scheme, func(t *testing.T) {
			addr := scheme + "://127.0.0.1:0"
			if scheme == "unixgram" {
				addr = scheme + "://" + tempSock(t)
			}
			l, s := start(t, listener.Config{Address: addr})
			require.False(t, l.Stream())
			var c net.Conn
			if scheme == "unixgram" {
				uc, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: l.Addr().String(), Net: "unixgram"})
				require.NoError(t, err)
				c = uc
			} else {
				c = dial(t, l)
			}
			defer c.Close()
			for _, d := range []string{"cpu v=1\nmem v=2", "disk v=3\n"} {
				_, err := c.Write([]byte(d))
				require.NoError(t, err)
			}
			require.Eventually(t, func() bool { r, _, _ := s.snapshot(); return len(r) == 2 }, 5*time.Second, 10*time.Millisecond)
			recs, conns, _ := s.snapshot()
			want := []recordView{
				{"cpu v=1\nmem v=2", 15, 0, false, true},
				{"disk v=3\n", 9, 0, false, true},
			}
			if diff := cmp.Diff(want, views(recs)); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			require.Empty(t, conns)
		})
	}
}

func TestListenerURLHasTheRealPort(t *testing.T) {
	l, _ := start(t, listener.Config{Address: "tcp://127.0.0.1:0"})
	require.NotEqual(t, "tcp://127.0.0.1:0", l.URL())
	if diff := cmp.Diff("tcp://"+l.Addr().String(), l.URL()); diff != "" {
		t.Errorf("URL (-want +got):\n%s", diff)
	}
}

func TestSplittingStrategies(t *testing.T) {
	tests := []struct {
		name  string
		split socket.SplitConfig
		send  string
		want  []recordView
	}{
		{
			name:  "null",
			split: socket.SplitConfig{SplittingStrategy: "null"},
			send:  "a v=1\x00b v=2\x00c v=3",
			want:  []recordView{{"a v=1", 6, 1, true, true}, {"b v=2", 6, 1, true, true}, {"c v=3", 5, 1, true, false}},
		},
		{
			name:  "delimiter",
			split: socket.SplitConfig{SplittingStrategy: "delimiter", SplittingDelimiter: "0xBE 0xEF"},
			send:  "a v=1\xbe\xefb v=2\xbe\xef",
			want:  []recordView{{"a v=1", 7, 1, true, true}, {"b v=2", 7, 1, true, true}},
		},
		{
			name:  "fixed length",
			split: socket.SplitConfig{SplittingStrategy: "fixed length", SplittingLength: 3},
			send:  "abcdefgh",
			want:  []recordView{{"abc", 3, 1, true, true}, {"def", 3, 1, true, true}, {"gh", 2, 1, true, false}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, s := start(t, listener.Config{Address: "tcp://127.0.0.1:0", Split: tt.split})
			c := dial(t, l)
			_, err := c.Write([]byte(tt.send))
			require.NoError(t, err)
			require.NoError(t, c.Close())
			require.Eventually(t, func() bool { return s.closed() == 1 }, 5*time.Second, 10*time.Millisecond)
			recs, _, _ := s.snapshot()
			if diff := cmp.Diff(tt.want, views(recs)); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTokenTooLongIsTelegrafsErrorAndCounted(t *testing.T) {
	l, s := start(t, listener.Config{Address: "tcp://127.0.0.1:0"})
	c := dial(t, l)
	_, err := c.Write([]byte("ok v=1\n"))
	require.NoError(t, err)
	long := bytes.Repeat([]byte("x"), 70000)
	_, _ = c.Write(append(long, '\n'))
	_ = c.Close()
	require.Eventually(t, func() bool { return s.closed() == 1 }, 5*time.Second, 10*time.Millisecond)
	recs, conns, errs := s.snapshot()
	require.Len(t, recs, 1)
	require.Len(t, errs, 1)
	require.Error(t, errs[0])
	if diff := cmp.Diff("bufio.Scanner: token too long", errs[0].Error()); diff != "" {
		t.Errorf("transport error (-want +got):\n%s", diff)
	}
	closed := conns[len(conns)-1]
	if diff := cmp.Diff("bufio.Scanner: token too long", closed.Reason); diff != "" {
		t.Errorf("close reason (-want +got):\n%s", diff)
	}
	// Every byte read is accounted for: in the record, or pending.
	if diff := cmp.Diff(closed.Bytes, int64(recs[0].Size)+closed.PendingBytes); diff != "" {
		t.Errorf("record size + pending bytes, against the bytes read (-want +got):\n%s", diff)
	}
	require.Positive(t, closed.PendingBytes)
}

func TestReadBufferSizeRaisesTheLineLimit(t *testing.T) {
	l, s := start(t, listener.Config{Address: "tcp://127.0.0.1:0", Socket: socket.Config{ReadBufferSize: config.Size(1 << 20)}})
	c := dial(t, l)
	long := bytes.Repeat([]byte("x"), 70000)
	_, err := c.Write(append(long, '\n'))
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.Eventually(t, func() bool { return s.closed() == 1 }, 5*time.Second, 10*time.Millisecond)
	recs, _, errs := s.snapshot()
	require.Empty(t, errs)
	require.Len(t, recs, 1)
	require.Len(t, recs[0].Data, 70000)
}

func TestMaxConnections(t *testing.T) {
	l, s := start(t, listener.Config{Address: "tcp://127.0.0.1:0", Socket: socket.Config{MaxConnections: 1}})
	first := dial(t, l)
	defer first.Close()
	_, err := first.Write([]byte("a v=1\n"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { r, _, _ := s.snapshot(); return len(r) == 1 }, 5*time.Second, 10*time.Millisecond)
	second := dial(t, l)
	defer second.Close()
	require.Eventually(t, func() bool { _, _, e := s.snapshot(); return len(e) == 1 }, 5*time.Second, 10*time.Millisecond)
	_, _, errs := s.snapshot()
	require.ErrorContains(t, errs[0], "too many connections")
}

func TestGzipContentEncoding(t *testing.T) {
	t.Run("stream", func(t *testing.T) {
		l, s := start(t, listener.Config{Address: "tcp://127.0.0.1:0", Socket: socket.Config{ContentEncoding: "gzip"}})
		c := dial(t, l)
		zw := gzip.NewWriter(c)
		_, err := zw.Write([]byte("a v=1\nb v=2\n"))
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		require.NoError(t, c.Close())
		require.Eventually(t, func() bool { return s.closed() == 1 }, 5*time.Second, 10*time.Millisecond)
		recs, _, errs := s.snapshot()
		require.Empty(t, errs)
		if diff := cmp.Diff([]recordView{{"a v=1", 6, 1, true, true}, {"b v=2", 6, 1, true, true}}, views(recs)); diff != "" {
			t.Errorf("records (-want +got):\n%s", diff)
		}
	})
	t.Run("stream with plain data", func(t *testing.T) {
		l, s := start(t, listener.Config{Address: "tcp://127.0.0.1:0", Socket: socket.Config{ContentEncoding: "gzip"}})
		c := dial(t, l)
		_, err := c.Write([]byte("a v=1\nb v=2\n"))
		require.NoError(t, err)
		require.NoError(t, c.Close())
		require.Eventually(t, func() bool { _, _, e := s.snapshot(); return len(e) == 1 }, 5*time.Second, 10*time.Millisecond)
		_, _, errs := s.snapshot()
		require.Error(t, errs[0])
		if diff := cmp.Diff("creating decoder failed: gzip: invalid header", errs[0].Error()); diff != "" {
			t.Errorf("transport error (-want +got):\n%s", diff)
		}
	})
	t.Run("datagram", func(t *testing.T) {
		l, s := start(t, listener.Config{Address: "udp://127.0.0.1:0", Socket: socket.Config{ContentEncoding: "gzip"}})
		c := dial(t, l)
		defer c.Close()
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write([]byte("a v=1\n"))
		require.NoError(t, zw.Close())
		_, err := c.Write(buf.Bytes())
		require.NoError(t, err)
		require.Eventually(t, func() bool { r, _, _ := s.snapshot(); return len(r) == 1 }, 5*time.Second, 10*time.Millisecond)
		recs, _, _ := s.snapshot()
		if diff := cmp.Diff("a v=1\n", string(recs[0].Data)); diff != "" {
			t.Errorf("decoded datagram (-want +got):\n%s", diff)
		}
	})
}

func TestInvalidDatagramEncodingIsRefused(t *testing.T) {
	_, err := listener.Listen(listener.Config{Address: "udp://127.0.0.1:0", Socket: socket.Config{ContentEncoding: "deflate"}}, &sink{})
	require.ErrorContains(t, err, `invalid content_encoding "deflate"`)
}

func TestTelegrafsAddressErrors(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"http://127.0.0.1:1", `unknown protocol "http" in "http://127.0.0.1:1"`},
		{":8094", `parsing address failed: parse ":8094": missing protocol scheme`},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			_, err := listener.Listen(listener.Config{Address: tt.addr}, &sink{})
			require.Error(t, err)
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("Listen error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPortInUse(t *testing.T) {
	l, _ := start(t, listener.Config{Address: "tcp://127.0.0.1:0"})
	_, err := listener.Listen(listener.Config{Address: l.URL()}, &sink{})
	require.ErrorContains(t, err, "address already in use")
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := testcert.Write(t, dir)
	cfg := listener.Config{Address: "tcp://127.0.0.1:0"}
	cfg.Socket.TLSCert = cert
	cfg.Socket.TLSKey = key
	l, s := start(t, cfg)
	c, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // test against a self-signed cert
	require.NoError(t, err)
	_, err = c.Write([]byte("secure v=1\n"))
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.Eventually(t, func() bool { return s.closed() == 1 }, 5*time.Second, 10*time.Millisecond)
	recs, _, _ := s.snapshot()
	if diff := cmp.Diff([]recordView{{"secure v=1", 11, 1, true, true}}, views(recs)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

func TestCloseDeliversPendingRecords(t *testing.T) {
	s := &sink{}
	l, err := listener.Listen(listener.Config{Address: "tcp://127.0.0.1:0"}, s)
	require.NoError(t, err)
	c := dial(t, l)
	defer c.Close()
	_, err = c.Write([]byte("a v=1\nb v=2"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { r, _, _ := s.snapshot(); return len(r) == 1 }, 5*time.Second, 10*time.Millisecond)
	l.Close() // the connection is still open on the sender's side
	recs, conns, _ := s.snapshot()
	if diff := cmp.Diff([]recordView{{"a v=1", 6, 1, true, true}, {"b v=2", 5, 1, true, false}}, views(recs)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	require.False(t, conns[len(conns)-1].Open)
}

func TestReadStreamAccountsForEveryByte(t *testing.T) {
	var got []listener.Record
	ev := listener.ReadStream(strings.NewReader("a\r\nb\n\nc"), listener.StreamOptions{Listener: "file"}, func(r listener.Record) { got = append(got, r) })
	total := 0
	for _, r := range got {
		total += r.Size
	}
	if diff := cmp.Diff(ev.Bytes, int64(total)+ev.PendingBytes); diff != "" {
		t.Errorf("record sizes + pending bytes, against the bytes read (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(int64(7), ev.Bytes); diff != "" {
		t.Errorf("bytes read (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a", "b", "", "c"}, func() []string {
		var s []string
		for _, r := range got {
			s = append(s, string(r.Data))
		}
		return s
	}(), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestUnixSocketPathInUse(t *testing.T) {
	path := tempSock(t)
	first, _ := start(t, listener.Config{Address: "unix://" + path})
	_, err := listener.Listen(listener.Config{Address: "unix://" + path}, &sink{})
	require.ErrorIs(t, err, syscall.EADDRINUSE, "a live socket is not taken over")
	first.Close()

	// A stale socket file, left by a program that died, is replaced.
	stale := tempSock(t)
	ln, err := net.Listen("unix", stale)
	require.NoError(t, err)
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	require.NoError(t, ln.Close())
	_, err = os.Stat(stale)
	require.NoError(t, err)
	l, err := listener.Listen(listener.Config{Address: "unix://" + stale}, &sink{})
	require.NoError(t, err)
	l.Close()
}

func TestAllowedSources(t *testing.T) {
	other := []net.IP{net.ParseIP("10.0.0.5")}
	for _, scheme := range []string{"tcp", "udp"} {
		t.Run(scheme+" from a source not listed", func(t *testing.T) {
			l, s := start(t, listener.Config{Address: scheme + "://127.0.0.1:0", Socket: socket.Config{AllowedSources: other}})
			c := dial(t, l)
			defer c.Close()
			_, err := c.Write([]byte("cpu v=1\n"))
			require.NoError(t, err)
			require.Eventually(t, func() bool { _, _, e := s.snapshot(); return len(e) == 1 }, 5*time.Second, 10*time.Millisecond)
			recs, _, errs := s.snapshot()
			require.Empty(t, recs, "Telegraf drops it")
			require.ErrorIs(t, errs[0], listener.ErrSourceNotAllowed, "fakegraf says so")
		})
	}
	t.Run("tcp from a listed source", func(t *testing.T) {
		l, s := start(t, listener.Config{Address: "tcp://127.0.0.1:0", Socket: socket.Config{AllowedSources: []net.IP{net.ParseIP("127.0.0.1")}}})
		c := dial(t, l)
		_, err := c.Write([]byte("cpu v=1\n"))
		require.NoError(t, err)
		require.NoError(t, c.Close())
		require.Eventually(t, func() bool { return s.closed() == 1 }, 5*time.Second, 10*time.Millisecond)
		recs, _, errs := s.snapshot()
		require.Len(t, recs, 1)
		require.Empty(t, errs)
	})
	t.Run("unix has no IP to check", func(t *testing.T) {
		l, s := start(t, listener.Config{Address: "unix://" + tempSock(t), Socket: socket.Config{AllowedSources: other}})
		c := dial(t, l)
		defer c.Close()
		require.Eventually(t, func() bool { _, _, e := s.snapshot(); return len(e) == 1 }, 5*time.Second, 10*time.Millisecond)
		_, _, errs := s.snapshot()
		require.ErrorContains(t, errs[0], "(*net.UnixAddr) has no IP", "Telegraf's own error")
	})
}
