package pcap_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/fakegraftest"
	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/pcap"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
)

var (
	server = netip.MustParseAddr("10.0.0.2")
	t0     = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

// packet is one frame of a test capture.
type packet struct {
	data   []byte
	at     time.Time
	caplen int // bytes kept; 0 keeps them all
}

// frames builds test captures: Ethernet, IPv4, TCP or UDP.
type frames struct {
	t   testing.TB
	out []packet
	now time.Time
}

func (f *frames) add(l4 gopacket.SerializableLayer, src, dst netip.Addr, proto layers.IPProtocol, payload []byte) {
	f.t.Helper()
	f.now = f.now.Add(time.Millisecond)
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
	switch l := l4.(type) {
	case *layers.TCP:
		require.NoError(f.t, l.SetNetworkLayerForChecksum(ip))
	case *layers.UDP:
		require.NoError(f.t, l.SetNetworkLayerForChecksum(ip))
	}
	buf := gopacket.NewSerializeBuffer()
	require.NoError(f.t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, l4, gopacket.Payload(payload)))
	f.out = append(f.out, packet{data: append([]byte(nil), buf.Bytes()...), at: f.now})
}

func (f *frames) udp(src netip.AddrPort, dstPort uint16, payload string) {
	f.add(&layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dstPort)}, src.Addr(), server, layers.IPProtocolUDP, []byte(payload))
}

// conn is one TCP connection to server:port: seq numbers are offsets into
// the client's stream.
type conn struct {
	f      *frames
	client netip.AddrPort
	port   uint16
}

const isn = 1000

func (c conn) seg(fromClient bool, seq uint32, payload string, flags func(*layers.TCP)) {
	tcp := &layers.TCP{SrcPort: layers.TCPPort(c.client.Port()), DstPort: layers.TCPPort(c.port), Seq: seq, Window: 65535, ACK: true}
	src, dst := c.client.Addr(), server
	if !fromClient {
		tcp.SrcPort, tcp.DstPort = tcp.DstPort, tcp.SrcPort
		src, dst = dst, src
	}
	if flags != nil {
		flags(tcp)
	}
	c.f.add(tcp, src, dst, layers.IPProtocolTCP, []byte(payload))
}

func (c conn) open() {
	c.seg(true, isn, "", func(t *layers.TCP) { t.SYN, t.ACK = true, false })
	c.seg(false, 5000, "", func(t *layers.TCP) { t.SYN = true })
}

// data sends stream[from:to] from the client.
func (c conn) data(stream string, from, to int) {
	c.seg(true, uint32(isn+1+from), stream[from:to], nil)
}

func (c conn) close(n int) {
	c.seg(true, uint32(isn+1+n), "", func(t *layers.TCP) { t.FIN = true })
	c.seg(false, 5001, "", func(t *layers.TCP) { t.FIN = true })
}

func (f *frames) pcapng() []byte {
	var b bytes.Buffer
	w, err := pcapgo.NewNgWriter(&b, layers.LinkTypeEthernet)
	require.NoError(f.t, err)
	for _, p := range f.out {
		require.NoError(f.t, w.WritePacket(p.ci(), p.kept()))
	}
	require.NoError(f.t, w.Flush())
	return b.Bytes()
}

func (f *frames) pcap() []byte {
	var b bytes.Buffer
	w := pcapgo.NewWriter(&b)
	require.NoError(f.t, w.WriteFileHeader(65535, layers.LinkTypeEthernet))
	for _, p := range f.out {
		require.NoError(f.t, w.WritePacket(p.ci(), p.kept()))
	}
	return b.Bytes()
}

func (p packet) ci() gopacket.CaptureInfo {
	return gopacket.CaptureInfo{Timestamp: p.at, CaptureLength: len(p.kept()), Length: len(p.data)}
}

func (p packet) kept() []byte {
	if p.caplen > 0 {
		return p.data[:p.caplen]
	}
	return p.data
}

// The streams of TestCaptureIsReadAsLive, and the datagrams.
const (
	streamA = "cpu v=1\nmem v=2\ndisk v=3\n"
	streamB = "a v=1\nbad\nb v=2i" // a parse error, and a last line without its newline
)

var datagrams = []string{"udp1 v=1\n", "oops\n", "udp2 v=2 1700000000000000000"}

// A capture with out-of-order and retransmitted segments gives the records
// and findings the same bytes give when they are sent to fakegraf live.
func TestCaptureIsReadAsLive(t *testing.T) {
	f := &frames{t: t, now: t0}
	a := conn{f: f, client: netip.MustParseAddrPort("10.0.0.1:40001"), port: 8094}
	b := conn{f: f, client: netip.MustParseAddrPort("10.0.0.3:40002"), port: 8094}
	a.open()
	a.data(streamA, 10, 20) // before the segment it follows
	a.data(streamA, 0, 10)
	a.data(streamA, 0, 10) // a retransmission
	a.data(streamA, 5, 15) // overlapping what arrived
	a.data(streamA, 20, len(streamA))
	a.close(len(streamA))
	b.open()
	b.data(streamB, 0, len(streamB))
	b.close(len(streamB))
	sender := netip.MustParseAddrPort("10.0.0.4:50000")
	for _, d := range datagrams {
		f.udp(sender, 8094, d)
	}
	f.udp(sender, 9999, "elsewhere v=1\n") // no input's port

	for name, file := range map[string][]byte{"pcapng": f.pcapng(), "pcap": f.pcap()} {
		t.Run(name, func(t *testing.T) {
			got, st := readCapture(t, file)
			require.Equal(t, 2, st.Connections)
			require.Equal(t, len(datagrams), st.Datagrams)
			require.Equal(t, 1, st.Other)
			require.Empty(t, st.Losses)
			want := live(t)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("capture and live differ (-live +capture):\n%s", diff)
			}
			require.Equal(t, []string{"tcp 1 open 10.0.0.1:40001", "tcp 1 closed", "tcp 2 open 10.0.0.3:40002", "tcp 2 closed"}, st.conns)
		})
	}
}

// outcome is what a test compares of one record: what a peer's port or
// a clock changes is left out.
type outcome struct {
	Conn, Seq             uint64
	Data                  string
	Size                  int
	Terminated, Truncated bool
	Metrics               []string
	Findings              []string
}

func outcomeOf(r *parse.Result) outcome {
	o := outcome{Conn: r.Record.Conn, Seq: r.Record.Seq, Data: string(r.Record.Data), Size: r.Record.Size,
		Terminated: r.Record.Terminated, Truncated: r.Record.Truncated}
	for _, m := range r.Metrics {
		o.Metrics = append(o.Metrics, fmt.Sprintf("%s %v %v", m.Name(), m.Tags(), m.Fields()))
	}
	for _, d := range r.Diagnostics {
		o.Findings = append(o.Findings, fmt.Sprintf("%s %s %+v %s", d.Rule, d.Severity, d.Position, d.Token))
	}
	return o
}

// outcomes are a run's records by network.
type outcomes map[string][]outcome

type captureStats struct {
	*pcap.Stats
	conns []string
}

// collector is the sink of a capture's engine.
type collector struct {
	serve.Ignore
	got   outcomes
	conns []string
}

func (c *collector) Result(r *parse.Result) {
	n := listener.Scheme(r.Record.Listener)
	c.got[n] = append(c.got[n], outcomeOf(r))
}

func (c *collector) Conn(ev listener.ConnEvent) {
	if ev.Open {
		c.conns = append(c.conns, fmt.Sprintf("%s %d open %s", listener.Scheme(ev.Listener), ev.Conn, ev.Peer))
	} else {
		c.conns = append(c.conns, fmt.Sprintf("%s %d %s", listener.Scheme(ev.Listener), ev.Conn, ev.Reason))
	}
}

// readCapture reads file for an influx socket_listener on tcp and one on
// udp, both on port 8094, configured as fakegraftest configures its own.
func readCapture(t *testing.T, file []byte) (outcomes, captureStats) {
	t.Helper()
	cfg, err := setup.Load([]byte("[agent]\n  omit_hostname = true\n"+
		"[[inputs.socket_listener]]\n  service_address = \"tcp://:8094\"\n  data_format = \"influx\"\n"+
		"[[inputs.socket_listener]]\n  service_address = \"udp://:8094\"\n  data_format = \"influx\"\n"), "test")
	require.NoError(t, err)
	rules, err := parse.NewRuleSet(nil, nil)
	require.NoError(t, err)
	sink := &collector{got: outcomes{}}
	engine := serve.NewEngine(sink)
	var inputs []*pcap.Input
	for _, in := range cfg.Inputs {
		split, err := in.Listen.Split.NewSplitter()
		require.NoError(t, err)
		network := listener.Scheme(in.Listen.Address)
		inputs = append(inputs, &pcap.Input{Listener: in.Listen.Address, Network: network, Port: 8094, Splitter: split})
		engine.Add(in.Listen.Address, in.DataFormat, parse.NewPipeline(in.Listen.Address, rules, serve.Stages(in)...))
	}
	st, err := pcap.Read(bytes.NewReader(file), inputs, engine)
	require.NoError(t, err)
	return sink.got, captureStats{Stats: st, conns: sink.conns}
}

var (
	liveOnce sync.Once
	liveGot  outcomes
)

// live sends the test's streams and datagrams to fakegraftest servers, one
// connection after the other, as the capture has them.
func live(t *testing.T) outcomes {
	liveOnce.Do(func() {
		got := outcomes{}
		tcp := fakegraftest.NewServer(t, "tcp")
		for i, stream := range []string{streamA, streamB} {
			c, err := tcp.Dial()
			require.NoError(t, err)
			_, err = c.Write([]byte(stream))
			require.NoError(t, err)
			require.NoError(t, c.Close())
			want := []int{3, 6}[i]
			require.Eventually(t, func() bool { return len(tcp.Results()) == want }, 10*time.Second, 5*time.Millisecond)
		}
		for _, r := range tcp.Results() {
			got["tcp"] = append(got["tcp"], outcomeOf(r))
		}
		udp := fakegraftest.NewServer(t, "udp")
		c, err := udp.Dial()
		require.NoError(t, err)
		for i, d := range datagrams {
			_, err := c.Write([]byte(d))
			require.NoError(t, err)
			// One at a time: the test compares the order too.
			require.Eventually(t, func() bool { return len(udp.Results()) == i+1 }, 10*time.Second, 5*time.Millisecond)
		}
		c.Close()
		for _, r := range udp.Results() {
			got["udp"] = append(got["udp"], outcomeOf(r))
		}
		liveGot = got
	})
	require.NotNil(t, liveGot, "the live run failed")
	return liveGot
}

// A segment missing from the capture loses the records it cut, which are
// counted, and no others: the records before and after the hole are read.
func TestCaptureWithAHole(t *testing.T) {
	const stream = "x v=1\nlost v=2\ny v=3\nz v=4\n"
	f := &frames{t: t, now: t0}
	c := conn{f: f, client: netip.MustParseAddrPort("10.0.0.1:40001"), port: 8094}
	c.open()
	c.data(stream, 0, 8) // "x v=1\nlo"
	// stream[8:13], "st v=", never captured
	c.data(stream, 13, len(stream)) // "2\ny v=3\nz v=4\n"
	c.close(len(stream))
	got, st := readCapture(t, f.pcapng())
	var data []string
	for _, o := range got["tcp"] {
		data = append(data, o.Data)
	}
	require.Equal(t, []string{"x v=1", "y v=3", "z v=4"}, data)
	require.Equal(t, []pcap.Loss{{Listener: "tcp://:8094", Peer: "10.0.0.1:40001", Conn: 1, Missing: 5, Holes: 1, Unchecked: int64(len("lo") + len("2\n"))}}, st.Losses)
	require.Equal(t, []uint64{1, 2, 3}, []uint64{got["tcp"][0].Seq, got["tcp"][1].Seq, got["tcp"][2].Seq})
}

// A connection that began before the capture and was open when it ended:
// its first and last records, which the capture has only part of, are not
// read, and the loss says so.
func TestCaptureBeginsAndEndsMidConnection(t *testing.T) {
	const stream = "x v=1\ny v=2\nz v=3\npartial v="
	f := &frames{t: t, now: t0}
	c := conn{f: f, client: netip.MustParseAddrPort("10.0.0.1:40001"), port: 8094}
	c.data(stream, 3, len(stream)) // no SYN: "=1\n" is the end of a record
	got, st := readCapture(t, f.pcapng())
	var data []string
	for _, o := range got["tcp"] {
		data = append(data, o.Data)
	}
	require.Equal(t, []string{"y v=2", "z v=3"}, data)
	require.Equal(t, []pcap.Loss{{Listener: "tcp://:8094", Peer: "10.0.0.1:40001", Conn: 1, BeganBefore: true, OpenAtEnd: true, Unchecked: int64(len("=1\n") + len("partial v="))}}, st.Losses)
	require.Equal(t, []string{"tcp 1 open 10.0.0.1:40001", "tcp 1 still open when the capture ended"}, st.conns)
}

// A datagram the snaplen cut is counted, not read: its findings would be
// about the capture.
func TestCaptureSnaplenCutsADatagram(t *testing.T) {
	f := &frames{t: t, now: t0}
	sender := netip.MustParseAddrPort("10.0.0.4:50000")
	f.udp(sender, 8094, "whole v=1\n")
	f.udp(sender, 8094, "cut v=1234567890\n")
	f.out[1].caplen = len(f.out[1].data) - 8
	got, st := readCapture(t, f.pcap())
	require.Len(t, got["udp"], 1)
	require.Equal(t, "whole v=1\n", got["udp"][0].Data)
	require.Equal(t, 1, st.Truncated)
	require.Equal(t, int64(8), st.TruncatedBytes)
}

func TestNotACapture(t *testing.T) {
	tests := []struct {
		name string
		file []byte
		want error
	}{
		{name: "text", file: []byte("cpu v=1\n")},
		{name: "empty", file: nil},
		{name: "pcapng with a 4 GiB packet", want: pcap.ErrCorrupt, file: hugePacket()},
		{name: "pcap header only, cut", want: pcap.ErrCorrupt, file: []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pcap.Read(bytes.NewReader(tc.file), nil, nopHandler{})
			require.Error(t, err)
			if tc.want != nil {
				require.True(t, errors.Is(err, tc.want), "%v", err)
			} else {
				require.Contains(t, err.Error(), "not a pcap or pcapng file")
			}
		})
	}
	for _, head := range [][]byte{[]byte("\n\r\r\nabcdefgh"), []byte("cpu v=1\n"), nil} {
		require.Equal(t, pcap.NotCapture, pcap.Detect(head), "%q", head)
	}
}

// hugePacket is a pcapng file whose only packet says it holds 4 GiB.
func hugePacket() []byte {
	f := &frames{t: &testing.T{}, now: t0}
	f.udp(netip.MustParseAddrPort("10.0.0.4:50000"), 8094, "x")
	file := f.pcapng()
	i := bytes.LastIndex(file, []byte{6, 0, 0, 0}) // the enhanced packet block
	copy(file[i+20:], []byte{0xff, 0xff, 0xff, 0xff})
	return file
}

type nopHandler struct{}

func (nopHandler) Record(listener.Record)       {}
func (nopHandler) Conn(listener.ConnEvent)      {}
func (nopHandler) Transport(listener.Transport) {}
