package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/internal/jsontest"
)

// httpConns are the connections of the HTTP check tests: per connection,
// its port index (0: influxdb_v2_listener, 1: influxdb_listener) and its
// requests as sent, pipelined on one keep-alive connection.
func httpConns(t *testing.T) [][]string {
	req := func(path, body string, hdr ...string) string {
		h := ""
		for _, kv := range hdr {
			h += kv + "\r\n"
		}
		return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: fakegraf\r\n%sContent-Length: %d\r\n\r\n%s", path, h, len(body), body)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte("g,host=a v=1\ng v=\n"))
	require.NoError(t, zw.Close())
	return [][]string{
		{"0", req("/api/v2/write?org=o&bucket=b", "cpu v=1\nmem v=2 1700000000000000000\n", "Authorization: Token s3cret"),
			req("/api/v2/write?org=o&bucket=b&precision=ns", "p v=1 1700000000\n", "Authorization: Token s3cret"),
			req("/api/v2/write?org=o&bucket=b", "cpu v=1\nbad line\n", "Authorization: Token s3cret")},
		{"1", req("/write?db=x", gz.String(), "Content-Encoding: gzip"), req("/api/v2/write?org=x", "w v=1\n")},
		{"0", req("/api/v2/write?org=o&bucket=b", strings.Repeat("x", 3000), "Authorization: Token s3cret")},
	}
}

// httpConfig is a telegraf.conf with an influxdb_v2_listener and an
// influxdb_listener on the ports given.
func httpConfig(t *testing.T, dir string, ports [2]int) string {
	cfg := filepath.Join(dir, "telegraf.conf")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`[agent]
  omit_hostname = true
[[inputs.influxdb_v2_listener]]
  service_address = "127.0.0.1:%d"
  token = "s3cret"
  max_body_size = "1KiB"
[[inputs.influxdb_listener]]
  service_address = "127.0.0.1:%d"
`, ports[0], ports[1])), 0o644))
	return cfg
}

// liveHTTP serves cfg with fakegraf listen --capture, sends conns to it
// (each connection's requests at once, then every answer read), and returns
// its --output json report.
func liveHTTP(t *testing.T, cfg, capFile string, ports [2]int, conns [][]string) []byte {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"listen", "--config", cfg, "--capture", capFile, "--output", "json"}, nil, &stdout, &stderr)
	}()
	require.Eventually(t, func() bool { return bytes.Count(stderr.Bytes(), []byte("listening on")) == 2 }, 10*time.Second, 10*time.Millisecond)
	for _, c := range conns {
		port := ports[0]
		if c[0] == "1" {
			port = ports[1]
		}
		nc, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		require.NoError(t, err)
		_, err = nc.Write([]byte(strings.Join(c[1:], "")))
		require.NoError(t, err)
		br := bufio.NewReader(nc)
		for range c[1:] {
			resp, err := http.ReadResponse(br, nil)
			require.NoError(t, err)
			resp.Body.Close()
		}
		require.NoError(t, nc.Close())
	}
	require.Eventually(t, func() bool {
		return bytes.Count(stdout.Bytes(), []byte(`"event":"conn_close"`)) == len(conns)
	}, 10*time.Second, 10*time.Millisecond, "every connection's close")
	cancel()
	require.NotEqual(t, exitCannot, <-done, string(stderr.Bytes()))
	return stdout.Bytes()
}

// TestCheckHTTPCaptureIsLive: fakegraf check on a capture of Telegraf's
// HTTP inputs reports what the live run reported, timestamps aside.
func TestCheckHTTPCaptureIsLive(t *testing.T) {
	dir := t.TempDir()
	ports := [2]int{freePort(t, "tcp"), freePort(t, "tcp")}
	cfg := httpConfig(t, dir, ports)
	capFile := filepath.Join(dir, "run.fgcap")
	live := liveHTTP(t, cfg, capFile, ports, httpConns(t))
	var checked, checkErr bytes.Buffer
	code := run(context.Background(), []string{"check", capFile, "--output", "json"}, nil, &checked, &checkErr)
	require.Equal(t, exitFindings, code, checkErr.String())
	if diff := cmp.Diff(reportEvents(t, live), reportEvents(t, checked.Bytes())); diff != "" {
		t.Errorf("fakegraf check of the capture against the live run (-live +checked):\n%s", diff)
	}
	for _, rule := range []string{"http-precision-mismatch", "http-partial-write", "http-wrong-endpoint", "http-body-too-large"} {
		require.Contains(t, checked.String(), `"rule":"`+rule+`"`)
	}
	require.Contains(t, checkErr.String(), "a capture keeps no credentials")
}

// findingsAndMetrics are a report's findings and metrics, without what
// differs between a live run and a tcpdump capture of it: peers, times.
func findingsAndMetrics(t *testing.T, out []byte) []string {
	t.Helper()
	return jsonEvents(t, out, func(m map[string]any) map[string]any {
		if m["event"] != "finding" && m["event"] != "metric" {
			return nil
		}
		if m["event"] == "metric" {
			delete(m, "line") // the line protocol, with a time
		}
		return jsontest.Drop(m, "time", "time_ns", "time_rfc3339", "peer").(map[string]any)
	})
}

// tcpCapture writes a pcapng of TCP connections from 10.0.0.1 to
// 127.0.0.1, as tcpdump -w would have seen them.
type tcpCapture struct {
	t   *testing.T
	w   *pcapgo.NgWriter
	buf bytes.Buffer
	now time.Time
}

func newTCPCapture(t *testing.T) *tcpCapture {
	// Now: the timestamp rules measure a metric's time against its
	// receive time, which is the capture's.
	c := &tcpCapture{t: t, now: time.Now()}
	w, err := pcapgo.NewNgWriter(&c.buf, layers.LinkTypeEthernet)
	require.NoError(t, err)
	c.w = w
	return c
}

func (c *tcpCapture) seg(sport, dport uint16, seq uint32, toServer bool, payload string, flags func(*layers.TCP)) {
	c.now = c.now.Add(time.Millisecond)
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: seq, Window: 65535, ACK: true}
	src, dst := net.IP{10, 0, 0, 1}, net.IP{127, 0, 0, 1}
	if !toServer {
		tcp.SrcPort, tcp.DstPort, src, dst = tcp.DstPort, tcp.SrcPort, dst, src
	}
	if flags != nil {
		flags(tcp)
	}
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src, DstIP: dst}
	require.NoError(c.t, tcp.SetNetworkLayerForChecksum(ip))
	b := gopacket.NewSerializeBuffer()
	require.NoError(c.t, gopacket.SerializeLayers(b, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp, gopacket.Payload(payload)))
	require.NoError(c.t, c.w.WritePacket(gopacket.CaptureInfo{Timestamp: c.now, CaptureLength: len(b.Bytes()), Length: len(b.Bytes())}, b.Bytes()))
}

// conn writes one connection carrying stream, in segments of size bytes;
// order lists the segments in the order they are captured (a segment twice
// is a retransmission; one left out is a hole).
func (c *tcpCapture) conn(sport, dport uint16, stream string, size int, order func(n int) []int) {
	const isn = 1000
	c.seg(sport, dport, isn, true, "", func(t *layers.TCP) { t.SYN, t.ACK = true, false })
	c.seg(sport, dport, 5000, false, "", func(t *layers.TCP) { t.SYN = true })
	n := (len(stream) + size - 1) / size
	for _, i := range order(n) {
		end := min((i+1)*size, len(stream))
		c.seg(sport, dport, uint32(isn+1+i*size), true, stream[i*size:end], nil)
	}
	c.seg(sport, dport, uint32(isn+1+len(stream)), true, "", func(t *layers.TCP) { t.FIN = true })
	c.seg(sport, dport, 5001, false, "", func(t *layers.TCP) { t.FIN = true })
}

func (c *tcpCapture) file(dir string) string {
	require.NoError(c.t, c.w.Flush())
	f := filepath.Join(dir, "night.pcapng")
	require.NoError(c.t, os.WriteFile(f, c.buf.Bytes(), 0o644))
	return f
}

// TestCheckHTTPTcpdumpIsLive: fakegraf check on a tcpdump capture of
// requests to Telegraf's HTTP inputs, split across segments, out of order
// and retransmitted, reports the findings and metrics those requests get
// live; a request cut by a hole is counted as lost, not blamed on the
// sender.
func TestCheckHTTPTcpdumpIsLive(t *testing.T) {
	dir := t.TempDir()
	ports := [2]int{freePort(t, "tcp"), freePort(t, "tcp")}
	cfg := httpConfig(t, dir, ports)
	conns := httpConns(t)
	live := liveHTTP(t, cfg, filepath.Join(dir, "live.fgcap"), ports, conns)

	pc := newTCPCapture(t)
	for i, c := range conns {
		port := ports[0]
		if c[0] == "1" {
			port = ports[1]
		}
		pc.conn(uint16(40000+i), uint16(port), strings.Join(c[1:], ""), 7, func(n int) []int {
			var order []int
			for k := range n {
				order = append(order, k)
			}
			// Out of order: segments 2 and 3 swapped; segment 5 sent
			// twice.
			order[2], order[3] = order[3], order[2]
			return slices.Insert(order, 6, 5)
		})
	}
	// A connection whose second request lost a segment to the capture.
	first := "POST /api/v2/write?org=o&bucket=b HTTP/1.1\r\nHost: h\r\nAuthorization: Token s3cret\r\nContent-Length: 10\r\n\r\nkept v=1i\n"
	cut := "POST /api/v2/write?org=o&bucket=b HTTP/1.1\r\nHost: h\r\nAuthorization: Token s3cret\r\nContent-Length: 8\r\n\r\nlost v=1"
	pc.conn(40100, uint16(ports[0]), first+cut, 16, func(n int) []int {
		var order []int
		for k := range n {
			if k != n-2 {
				order = append(order, k)
			}
		}
		return order
	})
	file := pc.file(dir)
	var checked, checkErr bytes.Buffer
	code := run(context.Background(), []string{"check", "--config", cfg, file, "--output", "json"}, nil, &checked, &checkErr)
	require.Equal(t, exitFindings, code, checkErr.String())
	want := findingsAndMetrics(t, live)
	// The connection with the hole: its first request is checked.
	got := findingsAndMetrics(t, checked.Bytes())
	extra, lossFindings := []string{}, []string{}
	for _, l := range got {
		if strings.Contains(l, `"kept"`) {
			extra = append(extra, l)
		}
		if strings.Contains(l, `"rule":"capture-loss"`) {
			lossFindings = append(lossFindings, l)
		}
	}
	got = slices.DeleteFunc(got, func(l string) bool {
		return strings.Contains(l, `"kept"`) || strings.Contains(l, `"rule":"capture-loss"`)
	})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fakegraf check of the tcpdump capture against the live run (-live +checked):\n%s\nstderr:\n%s", diff, checkErr.String())
	}
	require.Len(t, extra, 1, "the first request of the cut connection")
	// The hole is the capture's loss, not the sender's: one capture-loss
	// finding says what was not checked.
	require.Len(t, lossFindings, 1, "a capture-loss finding for the hole")
	require.Contains(t, lossFindings[0], `"severity":"warning"`)
	require.Contains(t, lossFindings[0], "16 bytes missing in 1 hol")
	require.NotContains(t, checked.String(), "lost v=1", "a request cut by a hole is not served")
	// The cut request's bytes before and after the hole (its whole
	// length but the 16 missing) are counted, not checked.
	require.Contains(t, checkErr.String(), fmt.Sprintf("16 bytes missing from the capture in 1 holes (tcpdump's 'dropped by kernel': capture with a bigger -B buffer or a filter): %d bytes of records cut by it not checked", len(cut)-16))
}
