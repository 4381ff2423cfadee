package pcap

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"sort"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/ip4defrag"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/gopacket/gopacket/reassembly"

	"github.com/fakegraf/fakegraf/listener"
)

// Input is one configured input whose traffic Read selects.
type Input struct {
	Listener string // the name its records and events carry
	Network  string // "tcp" or "udp"
	// Addr is the address it binds; the zero Addr or an unspecified one
	// (0.0.0.0, ::) takes the port on every address.
	Addr netip.Addr
	Port uint16
	// Splitter and ReadBufferSize frame its TCP connections as Telegraf
	// does (socket.SplitConfig.NewSplitter, read_buffer_size);
	// ReadBufferSize also tells a UDP datagram that filled Telegraf's
	// read buffer (64 KiB unless larger).
	Splitter       bufio.SplitFunc
	ReadBufferSize int

	// Serve, for one of Telegraf's HTTP inputs, serves a request read
	// from a connection (its body read ahead, as much as Telegraf's
	// server reads: MaxBody and then some) to the input's plugin, which
	// hands out its record; it returns the body's size on the wire. With
	// Serve, connections carry HTTP requests, not records to frame.
	Serve   func(r *http.Request, conn uint64, received time.Time) int
	MaxBody int64 // max_body_size, with Serve
	// Refused is the error of a request net/http would have answered
	// itself (answered) or found cut by the sender's close.
	Refused func(conn uint64, answered bool) error

	seq   atomic.Uint64 // records, as the listener numbers them
	conns uint64        // connections begun
}

func (in *Input) matches(ip netip.Addr, port uint16) bool {
	return port == in.Port && (!in.Addr.IsValid() || in.Addr.IsUnspecified() || in.Addr.Unmap() == ip.Unmap())
}

// Stats is what Read saw and what the capture lost.
type Stats struct {
	Packets     int // packets in the file
	Datagrams   int // UDP datagrams handed out as records
	Connections int // TCP connections handed out as streams
	// Other counts packets on no input's port (and packets that are not
	// IP: ARP, a link layer pcapgo cannot decode), Bytes their length on
	// the wire.
	Other      int
	OtherBytes int64
	// Truncated counts packets of an input that the capture cut (the
	// snaplen, tcpdump -s): a cut datagram is not handed out; a cut
	// segment leaves a hole in its stream, counted in Losses.
	Truncated      int
	TruncatedBytes int64 // bytes the capture did not keep
	// Fragments counts IPv6 fragments, which are not reassembled, and
	// IPv4 fragments that never completed: their datagrams are not
	// handed out.
	Fragments int
	// Dropped counts TCP connections beyond MaxConnections, not read.
	Dropped int
	// Losses lists the TCP connections that lost bytes to the capture, in
	// the order of Connections: the first MaxLosses to end, so that a
	// capture of any size reads in bounded memory. The totals below count
	// every one.
	Losses []Loss
	// LossConnections counts the TCP connections that lost bytes to the
	// capture; Missing, Holes and Unchecked are their Loss fields added
	// up, BeganBefore and OpenAtEnd how many of them began before the
	// capture and were still open when it ended.
	LossConnections        int
	Missing, Unchecked     int64
	Holes                  int
	BeganBefore, OpenAtEnd int
	// Cut says the file ended in the middle of a packet (tcpdump stopped
	// while writing): what was before it is read.
	Cut bool
	// ByListener is what each input lost, by its Listener: the counts
	// above, for a finding about that input.
	ByListener map[string]*Lost
}

// Lost is what one input lost to the capture.
type Lost struct {
	Truncated                          int // packets cut by the snaplen
	TruncatedBytes, Missing, Unchecked int64
	Holes, BeganBefore, OpenAtEnd      int
	Dropped                            int // connections beyond MaxConnections
}

// lost is in's entry in ByListener.
func (st *Stats) lost(in *Input) *Lost {
	if st.ByListener == nil {
		st.ByListener = map[string]*Lost{}
	}
	l := st.ByListener[in.Listener]
	if l == nil {
		l = &Lost{}
		st.ByListener[in.Listener] = l
	}
	return l
}

// Loss is what one TCP connection lost to the capture.
type Loss struct {
	Listener, Peer string
	Conn           uint64
	// Missing is how many bytes the stream lacks (segments not in the
	// capture, or cut by the snaplen), in Holes holes.
	Missing int64
	Holes   int
	// BeganBefore says the capture began after the connection did: its
	// first bytes, and how many, are unknown.
	BeganBefore bool
	// Unchecked is how many captured bytes were not handed out because
	// the record they belong to lost bytes: the part of a record before a
	// hole, the rest of it after, and a record still unfinished when the
	// capture ended.
	Unchecked int64
	// OpenAtEnd says the connection was still open when the capture
	// ended.
	OpenAtEnd bool

	order int // when it began among all connections, for sorting
}

// MaxLosses bounds Stats.Losses.
const MaxLosses = 1000

// MaxConnections bounds the TCP connections open at once: each holds a
// scanner, as a socket's would. Beyond it, new connections are counted in
// Stats.Dropped and not read.
const MaxConnections = 10000

// flushAfter is how long, in capture time, a hole in a stream is waited for
// before the data after it is handed out: a retransmission comes within
// seconds.
const flushAfter = time.Minute

// Read reads a pcap or pcapng file and hands h what the inputs' listeners
// would have: records, connection events. Nothing is handed out about
// traffic on other ports. It returns what it saw and the capture lost; the
// error is for a file that is not a capture or is corrupt (ErrCorrupt),
// after handing out what came before the corruption.
func Read(r io.Reader, inputs []*Input, h listener.Handler) (*Stats, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, _ := br.Peek(HeadSize)
	var src packetSource
	var link layers.LinkType
	switch Detect(head) {
	case Pcap:
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			return &Stats{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		// pcapgo refuses a packet longer than the header's snaplen, where
		// tcpdump reads up to its own maximum (print.c).
		pr.SetSnaplen(maxPacket)
		src, link = pr, pr.LinkType()
	case PcapNG:
		nr, err := newNgReader(&ngGuard{r: br})
		if err != nil {
			return &Stats{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		src, link = nr, nr.LinkType()
	default:
		return &Stats{}, errors.New("not a pcap or pcapng file")
	}
	rd := newReader(inputs, h)
	var err error
	for {
		data, ci, rerr := readPacket(src)
		if rerr != nil {
			switch {
			case rerr == io.EOF:
			case errors.Is(rerr, io.ErrUnexpectedEOF), errors.Is(rerr, io.EOF):
				rd.stats.Cut = true
			case errors.Is(rerr, ErrCorrupt):
				err = rerr
			default:
				err = fmt.Errorf("%w: packet %d: %v", ErrCorrupt, rd.stats.Packets+1, rerr)
			}
			break
		}
		lt := link
		if len(ci.AncillaryData) > 0 {
			if l, ok := ci.AncillaryData[0].(layers.LinkType); ok {
				lt = l // pcapng: each interface has its own (tcpdump -i any)
			}
		}
		rd.packet(data, ci, lt)
	}
	rd.end()
	return &rd.stats, err
}

type packetSource interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

// readPacket reads a packet, and turns a panic of pcapgo's into
// ErrCorrupt: it divides by an interface's timestamp resolution as the
// file gives it, zero included (found by FuzzRead).
func readPacket(src packetSource) (data []byte, ci gopacket.CaptureInfo, err error) {
	defer func() {
		if p := recover(); p != nil {
			data, err = nil, fmt.Errorf("%w: %v", ErrCorrupt, p)
		}
	}()
	return src.ReadPacketData()
}

func newNgReader(r io.Reader) (nr *pcapgo.NgReader, err error) {
	defer func() {
		if p := recover(); p != nil {
			nr, err = nil, fmt.Errorf("%w: %v", ErrCorrupt, p)
		}
	}()
	return pcapgo.NewNgReader(r, pcapgo.NgReaderOptions{WantMixedLinkType: true})
}

// reader is one Read.
type reader struct {
	inputs    []*Input
	h         listener.Handler
	stats     Stats
	assembler *reassembly.Assembler
	defrag    *ip4defrag.IPv4Defragmenter
	open      int
	begun     int                   // connections begun, for their order
	live      map[*tcpConn]struct{} // begun and not finished: only these are kept
	pending   []action              // what streams did during one Assemble or flush
	lastFlush time.Time
}

func newReader(inputs []*Input, h listener.Handler) *reader {
	rd := &reader{inputs: inputs, h: h, defrag: ip4defrag.NewIPv4Defragmenter(), live: map[*tcpConn]struct{}{}}
	rd.assembler = reassembly.NewAssembler(reassembly.NewStreamPool(&factory{rd}))
	// Bounded memory: a connection waiting for a lost segment keeps at
	// most this much after the hole before giving up on it (pages are
	// 1900 bytes).
	rd.assembler.MaxBufferedPagesPerConnection = 4096
	rd.assembler.MaxBufferedPagesTotal = 16384
	return rd
}

// context is the AssemblerContext: the packet's capture info.
type context gopacket.CaptureInfo

func (c *context) GetCaptureInfo() gopacket.CaptureInfo { return gopacket.CaptureInfo(*c) }

func (rd *reader) packet(data []byte, ci gopacket.CaptureInfo, lt layers.LinkType) {
	rd.stats.Packets++
	wire := int64(ci.Length)
	pkt := gopacket.NewPacket(data, lt, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
	var srcIP, dstIP netip.Addr
	var transport gopacket.Layer
	switch ip := pkt.NetworkLayer().(type) {
	case *layers.IPv4:
		srcIP, _ = netip.AddrFromSlice(ip.SrcIP.To4())
		dstIP, _ = netip.AddrFromSlice(ip.DstIP.To4())
		if ip.Flags&layers.IPv4MoreFragments != 0 || ip.FragOffset != 0 {
			whole, err := rd.defrag.DefragIPv4WithTimestamp(ip, ci.Timestamp)
			if err != nil || whole == nil {
				if err != nil {
					rd.stats.Fragments++
				}
				return // a fragment, counted when its datagram is whole
			}
			pkt = gopacket.NewPacket(whole.Payload, whole.NextLayerType(), gopacket.DecodeOptions{Lazy: true, NoCopy: true})
		}
		transport = pkt.TransportLayer()
	case *layers.IPv6:
		srcIP, _ = netip.AddrFromSlice(ip.SrcIP)
		dstIP, _ = netip.AddrFromSlice(ip.DstIP)
		if pkt.Layer(layers.LayerTypeIPv6Fragment) != nil {
			rd.stats.Fragments++
			return
		}
		transport = pkt.TransportLayer()
	}
	truncated := ci.CaptureLength < ci.Length
	switch t := transport.(type) {
	case *layers.UDP:
		if in := rd.input("udp", dstIP, uint16(t.DstPort)); in != nil {
			payload := t.Payload
			if truncated || int(t.Length) > len(payload)+8 {
				cut := int64(max(ci.Length-ci.CaptureLength, int(t.Length)-8-len(payload)))
				rd.stats.Truncated++
				rd.stats.TruncatedBytes += cut
				l := rd.stats.lost(in)
				l.Truncated++
				l.TruncatedBytes += cut
				return
			}
			rd.datagram(in, netip.AddrPortFrom(srcIP, uint16(t.SrcPort)), payload, ci.Timestamp)
			return
		}
	case *layers.TCP:
		in := rd.input("tcp", dstIP, uint16(t.DstPort))
		if in == nil {
			in = rd.input("tcp", srcIP, uint16(t.SrcPort))
		}
		if in != nil {
			if truncated {
				rd.stats.Truncated++
				rd.stats.TruncatedBytes += int64(ci.Length - ci.CaptureLength)
				l := rd.stats.lost(in)
				l.Truncated++
				l.TruncatedBytes += int64(ci.Length - ci.CaptureLength)
			}
			ctx := context(ci)
			rd.assembler.AssembleWithContext(pkt.NetworkLayer().NetworkFlow(), t, &ctx)
			rd.drain()
			if ci.Timestamp.Sub(rd.lastFlush) > flushAfter/4 {
				rd.lastFlush = ci.Timestamp
				rd.assembler.FlushWithOptions(reassembly.FlushOptions{T: ci.Timestamp.Add(-flushAfter)})
				rd.drain()
			}
			return
		}
	default:
		if truncated && transport == nil && dstIP.IsValid() {
			// The snaplen cut even the transport header: the port, and
			// so whose traffic it was, is unknown.
			rd.stats.Truncated++
			rd.stats.TruncatedBytes += int64(ci.Length - ci.CaptureLength)
			return
		}
	}
	rd.stats.Other++
	rd.stats.OtherBytes += wire
}

func (rd *reader) input(network string, ip netip.Addr, port uint16) *Input {
	for _, in := range rd.inputs {
		if in.Network == network && in.matches(ip, port) {
			return in
		}
	}
	return nil
}

// datagram is what listener.Listener.onDatagram hands out.
func (rd *reader) datagram(in *Input, peer netip.AddrPort, payload []byte, at time.Time) {
	rd.stats.Datagrams++
	data := make([]byte, len(payload))
	copy(data, payload)
	buf := 64 * 1024
	if in.ReadBufferSize > buf {
		buf = in.ReadBufferSize
	}
	rd.h.Record(listener.Record{
		Listener:   in.Listener,
		Peer:       peer.String(),
		Seq:        in.seq.Add(1),
		Data:       data,
		Size:       len(data),
		Terminated: true,
		Truncated:  len(data) >= buf,
		Received:   at,
	})
}

// action is something a stream did, run after the assembler returns.
type action struct {
	c  *tcpConn
	do func()
}

// drain runs what the streams did during one Assemble or flush. A flush
// visits connections in the order of a map: sorted by the order they
// began (stable, so each connection's own in order), a run's report is the
// same every time.
func (rd *reader) drain() {
	if len(rd.pending) == 0 {
		return
	}
	ps := rd.pending
	rd.pending = nil
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].c.order < ps[j].c.order })
	for _, p := range ps {
		p.do()
	}
}

// end flushes what the assembler still holds and ends every connection.
func (rd *reader) end() {
	rd.assembler.FlushAll()
	rd.drain()
	open := make([]*tcpConn, 0, len(rd.live))
	for c := range rd.live {
		open = append(open, c)
	}
	sort.Slice(open, func(i, j int) bool { return open[i].order < open[j].order })
	for _, c := range open {
		c.finish(c.ending(), time.Time{})
	}
	sort.SliceStable(rd.stats.Losses, func(i, j int) bool { return rd.stats.Losses[i].order < rd.stats.Losses[j].order })
}

// account adds what a finished connection lost to the totals, and to
// Losses while it holds fewer than MaxLosses.
func (st *Stats) account(in *Input, l Loss, order int) {
	if l.Missing == 0 && l.Holes == 0 && !l.BeganBefore && l.Unchecked == 0 && !l.OpenAtEnd {
		return
	}
	st.LossConnections++
	st.Missing += l.Missing
	st.Holes += l.Holes
	st.Unchecked += l.Unchecked
	il := st.lost(in)
	il.Missing += l.Missing
	il.Holes += l.Holes
	il.Unchecked += l.Unchecked
	if l.BeganBefore {
		st.BeganBefore++
		il.BeganBefore++
	}
	if l.OpenAtEnd {
		st.OpenAtEnd++
		il.OpenAtEnd++
	}
	if len(st.Losses) < MaxLosses {
		l.order = order
		st.Losses = append(st.Losses, l)
	}
}
