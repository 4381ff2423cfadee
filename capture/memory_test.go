package capture

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestLargeCaptureFeedsInBoundedMemory writes a 100 MB capture (eight
// connections open at once, interleaved chunks, and datagrams) and feeds it:
// the heap stays far below the capture's size.
func TestLargeCaptureFeedsInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100 MB")
	}
	path := filepath.Join(t.TempDir(), "big.fgcap")
	written := writeBigCapture(t, path, 100<<20)

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak uint64
	var mu sync.Mutex
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapInuse)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	rf, err := os.Open(path)
	require.NoError(t, err)
	defer rf.Close()
	r, err := NewReader(rf)
	require.NoError(t, err)
	var records counter
	require.NoError(t, Feed(r, func(*Entry) (Framing, error) { return Framing{}, nil }, &records))
	close(stop)
	<-sampled
	require.Greater(t, records.n, 1_000_000, "every line of the capture was framed")
	grew := int64(peak) - int64(base.HeapInuse)
	t.Logf("fed %d records from a %d MB capture; heap grew by at most %.1f MiB", records.n, written>>20, float64(grew)/(1<<20))
	require.Less(t, grew, int64(32<<20), "the heap grows with the capture")
}

// writeBigCapture writes a capture of about size bytes of traffic to path,
// for a TCP listener given --data-format influx: eight connections open at
// once with interleaved chunks of line protocol, and a datagram of it after
// each chunk. It returns the traffic's size.
func writeBigCapture(t *testing.T, path string, size int) int {
	f, err := os.Create(path)
	require.NoError(t, err)
	bw := bufio.NewWriterSize(f, 1<<20)
	_, err = bw.Write(appendHeader(nil, Header{Flags: []string{"--data-format", "influx", "tcp://127.0.0.1:1"}}))
	require.NoError(t, err)
	at := time.Unix(1700000000, 0)
	var b []byte
	put := func(e *Entry) {
		b = appendEntry(b[:0], e)
		_, err := bw.Write(b)
		require.NoError(t, err)
	}
	put(&Entry{Kind: KindListener, Listener: 1, Input: 1, URL: "tcp://127.0.0.1:1", InputKind: "socket_listener", DataFormat: "influx"})
	const conns = 8
	for c := uint64(1); c <= conns; c++ {
		put(&Entry{Kind: KindOpen, Listener: 1, Conn: c, Time: at})
	}
	var chunk bytes.Buffer
	for i := 0; chunk.Len() < 32<<10; i++ {
		fmt.Fprintf(&chunk, "cpu,host=h%d usage=%d.5 1700000000000000000\n", i%10, i)
	}
	written := 0
	for i := 0; written < size; i++ {
		put(&Entry{Kind: KindChunk, Listener: 1, Conn: uint64(i%conns) + 1, Time: at, Data: chunk.Bytes()})
		put(&Entry{Kind: KindDatagram, Listener: 1, Time: at, Peer: "127.0.0.1:2", Data: chunk.Bytes()[:1400]})
		written += chunk.Len() + 1400
	}
	require.NoError(t, bw.Flush())
	require.NoError(t, f.Close())
	return written
}

// bigCapture and bigSize make TestWriteBigCapture write a capture for the
// memory figures of docs/benchmarks.md (make bigcaptures).
var (
	bigCapture = flag.String("big-capture", "", "TestWriteBigCapture writes a capture of -big-size bytes to this file")
	bigSize    = flag.Int("big-size", 1<<30, "the size of -big-capture's traffic")
)

// TestWriteBigCapture is the generator behind make bigcaptures, not a
// check: it writes writeBigCapture's capture at -big-size to -big-capture.
func TestWriteBigCapture(t *testing.T) {
	if *bigCapture == "" {
		t.Skip("a generator for make bigcaptures: give -big-capture FILE")
	}
	n := writeBigCapture(t, *bigCapture, *bigSize)
	t.Logf("wrote %d MB of traffic to %s", n>>20, *bigCapture)
}

type counter struct {
	discard
	n int
}

func (c *counter) Record(r listenerRecord) { c.n++ }
