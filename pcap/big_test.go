package pcap_test

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/stretchr/testify/require"
)

// bigPcap and bigSize make TestWriteBigPcap write a capture for the memory
// figures of docs/benchmarks.md (make bigcaptures).
var (
	bigPcap = flag.String("big-pcap", "", "TestWriteBigPcap writes a pcap of -big-size bytes to this file")
	bigSize = flag.Int("big-size", 1<<30, "the size of -big-pcap's traffic")
)

// TestWriteBigPcap is the generator behind make bigcaptures, not a check:
// a pcap, as tcpdump -w writes it, of about -big-size bytes to port 8094:
// 64 TCP connections open at once, each of 100 segments of 1400 bytes of
// line protocol with its handshake and FINs, interleaved segment by
// segment and replaced as they end (thousands in all), and a UDP datagram
// after every eighth segment.
func TestWriteBigPcap(t *testing.T) {
	if *bigPcap == "" {
		t.Skip("a generator for make bigcaptures: give -big-pcap FILE")
	}
	f, err := os.Create(*bigPcap)
	require.NoError(t, err)
	bw := bufio.NewWriterSize(f, 1<<20)
	w := pcapgo.NewWriter(bw)
	require.NoError(t, w.WriteFileHeader(65535, layers.LinkTypeEthernet))
	var stream bytes.Buffer
	for i := 0; stream.Len() < 1<<20; i++ {
		fmt.Fprintf(&stream, "cpu,host=h%d usage=%d.5 1700000000000000000\n", i%10, i)
	}
	lines := stream.Bytes()
	at := time.Unix(1700000000, 0)
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	client, server := net.IP{10, 0, 0, 1}, net.IP{10, 0, 0, 2}
	written, packets := 0, 0
	send := func(tcp *layers.TCP, udp *layers.UDP, payload []byte) {
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: client, DstIP: server, Protocol: layers.IPProtocolTCP}
		var l4 gopacket.SerializableLayer = tcp
		if udp != nil {
			ip.Protocol, l4 = layers.IPProtocolUDP, udp
			require.NoError(t, udp.SetNetworkLayerForChecksum(ip))
		} else {
			if tcp.SYN && tcp.ACK || tcp.FIN && tcp.ACK && tcp.SrcPort == 8094 {
				ip.SrcIP, ip.DstIP = server, client
			}
			require.NoError(t, tcp.SetNetworkLayerForChecksum(ip))
		}
		require.NoError(t, gopacket.SerializeLayers(buf, opts, eth, ip, l4, gopacket.Payload(payload)))
		at = at.Add(10 * time.Microsecond)
		data := buf.Bytes()
		require.NoError(t, w.WritePacket(gopacket.CaptureInfo{Timestamp: at, CaptureLength: len(data), Length: len(data)}, data))
		packets++
	}
	type conn struct {
		port     layers.TCPPort
		seq, ack uint32
		off      int // into lines
		left     int // segments to send
	}
	const open, segments, size = 64, 100, 1400
	next := layers.TCPPort(10000)
	begin := func() *conn {
		c := &conn{port: next, seq: 1000, ack: 5000, off: int(next) * 977 % (len(lines) / 2), left: segments}
		c.off += bytes.IndexByte(lines[c.off:], '\n') + 1 // a connection begins with a whole line
		next++
		if next == 8094 || next < 10000 {
			next = 10000 // wraps: ports are reused only long after they closed
		}
		send(&layers.TCP{SrcPort: c.port, DstPort: 8094, Seq: c.seq, SYN: true, Window: 65535}, nil, nil)
		send(&layers.TCP{SrcPort: 8094, DstPort: c.port, Seq: c.ack, Ack: c.seq + 1, SYN: true, ACK: true, Window: 65535}, nil, nil)
		c.seq++
		c.ack++
		send(&layers.TCP{SrcPort: c.port, DstPort: 8094, Seq: c.seq, Ack: c.ack, ACK: true, Window: 65535}, nil, nil)
		return c
	}
	conns := make([]*conn, open)
	for i := range conns {
		conns[i] = begin()
	}
	total := open
	for i := 0; written < *bigSize; i++ {
		c := conns[i%open]
		seg := lines[c.off : c.off+size]
		c.off += size
		if c.left == 1 {
			// The last segment ends at a newline: the connection's
			// records are whole, as a sender's are.
			seg = seg[:bytes.LastIndexByte(seg, '\n')+1]
		}
		send(&layers.TCP{SrcPort: c.port, DstPort: 8094, Seq: c.seq, Ack: c.ack, ACK: true, PSH: true, Window: 65535}, nil, seg)
		c.seq += uint32(len(seg))
		written += len(seg)
		if c.left--; c.left == 0 {
			send(&layers.TCP{SrcPort: c.port, DstPort: 8094, Seq: c.seq, Ack: c.ack, FIN: true, ACK: true, Window: 65535}, nil, nil)
			send(&layers.TCP{SrcPort: 8094, DstPort: c.port, Seq: c.ack, Ack: c.seq + 1, FIN: true, ACK: true, Window: 65535}, nil, nil)
			send(&layers.TCP{SrcPort: c.port, DstPort: 8094, Seq: c.seq + 1, Ack: c.ack + 1, ACK: true, Window: 65535}, nil, nil)
			conns[i%open] = begin()
			total++
		}
		if i%8 == 0 {
			d := lines[:bytes.IndexByte(lines[1000:], '\n')+1001]
			send(nil, &layers.UDP{SrcPort: 40000, DstPort: 8094}, d)
			written += len(d)
		}
	}
	require.NoError(t, bw.Flush())
	require.NoError(t, f.Close())
	t.Logf("wrote %d MB of traffic in %d packets, %d TCP connections (%d open at the end), to %s", written>>20, packets, total, open, *bigPcap)
}
