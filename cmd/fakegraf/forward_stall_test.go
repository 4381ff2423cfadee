package main

import (
	"bufio"
	"bytes"
	"context"
	binenc "encoding/binary"
	"encoding/json"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// stallFor is how long the upstream of TestForwardToStalledUpstream does
// not read: the "an upstream that stalls for 10 s". It is the
// scenario, not a budget: nothing is asserted about how long anything took.
const stallFor = 10 * time.Second

// TestForwardToStalledUpstream runs `fakegraf listen --forward` in front of
// a tcp and a udp upstream that do not read for stallFor, then read
// everything. A sender sends 16 MiB over tcp and 1000 datagrams over udp.
// fakegraf's own summary must account for every byte sent, the sender must
// be done before the stall ends (forwarding never held it up), and once the
// upstream reads, what it got plus what fakegraf reported as forward-loss
// is what fakegraf received: over tcp byte for byte (the connection that
// lost bytes is reset, and the bytes the reset discards are counted lost),
// over udp with the upstream's own kernel drops (SO_RXQ_OVFL), which a
// sender cannot see.
func TestForwardToStalledUpstream(t *testing.T) {
	var (
		eventsMu sync.Mutex
		events   []string
	)
	event := func(e string) {
		eventsMu.Lock()
		defer eventsMu.Unlock()
		events = append(events, e)
	}
	release := make(chan struct{})

	// The tcp upstream accepts (the kernel does, into the backlog) and
	// reads nothing until the stall is over.
	tcpUp, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer tcpUp.Close()
	type upResult struct {
		got int64
		err error
	}
	tcpGot := make(chan upResult, 1)
	go func() {
		<-release
		c, err := tcpUp.Accept()
		if err != nil {
			tcpGot <- upResult{err: err}
			return
		}
		defer c.Close()
		n, err := io.Copy(io.Discard, c)
		tcpGot <- upResult{got: n, err: err}
	}()

	// The udp upstream: a socket nobody reads until the stall is over,
	// that counts what its kernel drops.
	udpUp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer udpUp.Close()
	rc, err := udpUp.SyscallConn()
	require.NoError(t, err)
	require.NoError(t, rc.Control(func(fd uintptr) {
		err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 1)
	}))
	require.NoError(t, err)

	const (
		tcpLines  = 16 << 10
		datagrams = 1000
	)
	line := []byte("stall pad=\"" + strings.Repeat("x", 1011) + "\"\n") // 1024 bytes
	require.Len(t, line, 1024)
	dgram := []byte("stall,kind=udp pad=\"" + strings.Repeat("y", 978) + "\"\n") // 1000 bytes
	require.Len(t, dgram, 1000)

	stderr := &lockedBuffer{}
	var stdout bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"listen", "tcp://127.0.0.1:0", "udp://127.0.0.1:0",
			"--data-format", "influx", "--output", "json", "-q", "--until", "idle=1s",
			"--forward", "tcp://127.0.0.1:0=tcp://" + tcpUp.Addr().String(),
			"--forward", "udp://127.0.0.1:0=udp://" + udpUp.LocalAddr().String(),
			"--forward-buffer", "2MiB"}, strings.NewReader(""), &stdout, stderr)
	}()
	listening := regexp.MustCompile(`(?m)^listening on (tcp|udp)://(\S+)$`)
	addrs := map[string]string{}
	require.Eventually(t, func() bool {
		for _, m := range listening.FindAllStringSubmatch(stderr.String(), -1) {
			addrs[m[1]] = m[2]
		}
		return len(addrs) == 2
	}, waitTimeout, 10*time.Millisecond, "fakegraf did not listen: %s", stderr.String())
	time.AfterFunc(stallFor, func() { event("stall over"); close(release) })

	var senders sync.WaitGroup
	senders.Add(2)
	go func() {
		defer senders.Done()
		c, err := net.Dial("tcp", addrs["tcp"])
		if err != nil {
			event("tcp sender: " + err.Error())
			return
		}
		for range tcpLines {
			if _, err := c.Write(line); err != nil {
				event("tcp sender: " + err.Error())
				return
			}
		}
		c.Close()
		event("tcp sender done")
	}()
	go func() {
		defer senders.Done()
		c, err := net.Dial("udp", addrs["udp"])
		if err != nil {
			event("udp sender: " + err.Error())
			return
		}
		defer c.Close()
		for i := range datagrams {
			if i%25 == 0 {
				// a steady sender, not a burst: a burst overruns
				// fakegraf's own socket (counted, but then little is
				// left to forward)
				time.Sleep(2 * time.Millisecond)
			}
			if _, err := c.Write(dgram); err != nil {
				event("udp sender: " + err.Error())
				return
			}
		}
		event("udp sender done")
	}()
	senders.Wait()
	exit := <-done
	require.Equal(t, 1, exit, "fakegraf's exit (1: forward-loss is a finding)\nstderr: %s", stderr.String())
	<-release

	// The upstreams read at last: the tcp one to the reset or the end,
	// the udp one what its queue holds (it is all there: fakegraf is done),
	// then a marker the test sends last: the kernel stamps each datagram
	// with the drops so far (SO_RXQ_OVFL), so the marker carries them all.
	marker := []byte("marker")
	mc, err := net.DialUDP("udp", nil, udpUp.LocalAddr().(*net.UDPAddr))
	require.NoError(t, err)
	defer mc.Close()
	_, err = mc.Write(marker)
	require.NoError(t, err)
	up := <-tcpGot
	var udpGot, udpDropped int64
	oob := make([]byte, unix.CmsgSpace(4))
	buf := make([]byte, 2048)
	for {
		require.NoError(t, udpUp.SetReadDeadline(time.Now().Add(waitTimeout)))
		n, oobn, _, _, err := udpUp.ReadMsgUDP(buf, oob)
		require.NoError(t, err, "the marker did not arrive")
		if bytes.Equal(buf[:n], marker) {
			msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
			require.NoError(t, err)
			for _, m := range msgs {
				if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SO_RXQ_OVFL {
					udpDropped = int64(binenc.NativeEndian.Uint32(m.Data))
				}
			}
			break
		}
		udpGot += int64(n)
	}

	eventsMu.Lock()
	order := strings.Join(events, "; ")
	eventsMu.Unlock()
	require.Contains(t, []string{"tcp sender done; udp sender done; stall over", "udp sender done; tcp sender done; stall over"}, order,
		"the senders must be done before the upstream reads: forwarding must not hold them up")

	sum := summaryOf(t, stdout.String())
	tcpSum, udpSum := sum["tcp://"+addrs["tcp"]], sum["udp://"+addrs["udp"]]
	require.NotNil(t, tcpSum, "no tcp listener in the summary: %v", sum)
	require.NotNil(t, udpSum, "no udp listener in the summary: %v", sum)

	// fakegraf's own accounting: every byte the sender sent
	sent := int64(tcpLines * len(line))
	require.Equal(t, stallSummary{Records: tcpLines, Metrics: tcpLines, Bytes: sent, AcceptedBytes: sent,
		Connections: 1, ForwardLost: tcpSum.ForwardLost}, *tcpSum)
	require.NotZero(t, tcpSum.ForwardLost, "16 MiB through a 2 MiB forward buffer to an upstream that does not read lost nothing?")
	require.Equal(t, int64(datagrams), udpSum.Records+udpSum.KernelDrops, "udp: records + fakegraf's kernel drops")
	require.Equal(t, udpSum.Records*int64(len(dgram)), udpSum.Bytes)
	require.Equal(t, udpSum.Records, udpSum.Metrics)

	// and the upstreams got what was not counted lost
	require.Equal(t, sent, up.got+tcpSum.ForwardLost,
		"tcp: the upstream got %d bytes (then %v), fakegraf says it lost %d, of %d sent", up.got, up.err, tcpSum.ForwardLost, sent)
	require.Equal(t, udpSum.Bytes, udpGot+udpDropped*int64(len(dgram))+udpSum.ForwardLost,
		"udp: the upstream got %d bytes, its kernel dropped %d datagrams, fakegraf says it lost %d bytes, of %d fakegraf received",
		udpGot, udpDropped, udpSum.ForwardLost, udpSum.Bytes)
	t.Logf("tcp: sent %d, upstream got %d, forward-loss %d; udp: sent %d datagrams, fakegraf got %d (kernel drops %d), upstream got %d, its kernel dropped %d, forward-loss %d bytes",
		sent, up.got, tcpSum.ForwardLost, datagrams, udpSum.Records, udpSum.KernelDrops, udpGot/int64(len(dgram)), udpDropped, udpSum.ForwardLost)
}

// stallSummary is the part of a listener's summary the stall test checks.
type stallSummary struct {
	Records       int64 `json:"records"`
	Rejected      int64 `json:"rejected_records"`
	Metrics       int64 `json:"metrics"`
	Bytes         int64 `json:"bytes"`
	AcceptedBytes int64 `json:"accepted_bytes"`
	RejectedBytes int64 `json:"rejected_bytes"`
	PendingBytes  int64 `json:"pending_bytes"`
	Connections   int64 `json:"connections"`
	SocketErrors  int64 `json:"socket_errors"`
	KernelDrops   int64 `json:"kernel_drops"`
	ForwardLost   int64 `json:"forward_lost_bytes"`
}

// summaryOf reads the summary event of --output json, by listener URL.
func summaryOf(t *testing.T, ndjson string) map[string]*stallSummary {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(ndjson))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev struct {
			Event     string `json:"event"`
			Listeners []struct {
				Listener string `json:"listener"`
				stallSummary
			} `json:"listeners"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ev), "%s", sc.Text())
		if ev.Event != "summary" {
			continue
		}
		out := map[string]*stallSummary{}
		for _, l := range ev.Listeners {
			out[l.Listener] = &l.stallSummary
		}
		return out
	}
	t.Fatalf("no summary event in:\n%s", ndjson)
	return nil
}
