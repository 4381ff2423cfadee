package capture

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
)

type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }

func TestWriterCutAtMax(t *testing.T) {
	var buf bytes.Buffer
	var cuts []Status
	var mu sync.Mutex
	w := NewWriter(nopCloser{&buf}, Header{}, 4096, func(st Status) { mu.Lock(); cuts = append(cuts, st); mu.Unlock() })
	h := w.Handler(Input{Number: 1, Kind: "socket_listener", DataFormat: "influx"}, discard{})
	for i := 0; i < 100; i++ {
		h.Record(listener.Record{Listener: "udp://127.0.0.1:1", Peer: "p", Data: bytes.Repeat([]byte("x"), 100), Received: time.Now()})
	}
	st := w.Close()
	require.Contains(t, st.Cut, "--capture-max")
	require.LessOrEqual(t, int64(buf.Len()), int64(4096), "the file stays under --capture-max")
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(cuts) == 1 }, 5*time.Second, time.Millisecond)

	r, err := NewReader(&buf)
	require.NoError(t, err)
	datagrams := 0
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if e.Kind == KindDatagram {
			datagrams++
		}
	}
	require.True(t, r.Cut(), "the capture ends with its cut entry")
	require.Equal(t, st.Entries-1, datagrams, "every entry but the listener's is a datagram")
}

type fullDisk struct{}

func (fullDisk) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

func TestWriterFullDisk(t *testing.T) {
	w := NewWriter(fullDisk{}, Header{}, 0, nil)
	h := w.Handler(Input{Number: 1}, discard{})
	for i := 0; i < 10; i++ {
		h.Record(listener.Record{Listener: "udp://127.0.0.1:1", Data: []byte("m v=1\n")})
	}
	st := w.Close()
	require.ErrorIs(t, st.Err, syscall.ENOSPC)
	require.Contains(t, st.Cut, "writing the capture failed")
}
