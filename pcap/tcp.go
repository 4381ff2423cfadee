package pcap

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"syscall"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/reassembly"

	"github.com/fakegraf/fakegraf/listener"
)

// The ways a connection's reader stops short of io.EOF.
var (
	// errGap: bytes are missing from the stream here. The scanner stops
	// without delivering the record it holds, which lost its end, and a
	// new one starts after the rest of the record that lost its start.
	errGap = errors.New("bytes missing from the capture")
	// errCut: the capture ended with the connection open. Live, Telegraf
	// would still be waiting for the rest of the record it holds.
	errCut = errors.New("still open when the capture ended")
	// errReset: the sender reset the connection, as the socket reports it.
	errReset = fmt.Errorf("read: %w", syscall.ECONNRESET)
)

// factory makes a tcpConn for each connection the assembler sees.
type factory struct{ rd *reader }

// chunk is what the reader goroutine hands a connection: bytes, a hole
// before them, or the end.
type chunk struct {
	data []byte
	at   time.Time
	gap  int   // bytes missing before data; -1: an unknown number (the connection began before the capture)
	end  error // io.EOF, errReset or errCut; nothing follows
}

// tcpConn is one TCP connection to an input. It frames the client's bytes
// with listener.ReadStream, as a socket's connection is framed, in a
// goroutine of its own that runs only while Read waits for it (send): so
// the handler sees one event at a time, in the order of the capture, and
// Telegraf's scanner reads as it reads a socket.
type tcpConn struct {
	rd        *reader
	in        *Input
	conn      uint64
	peer      string
	order     int
	clientDir reassembly.TCPFlowDirection
	started   bool // a SYN or data was seen (start)
	dropped   bool // beyond MaxConnections
	midstream bool // began before the capture
	sawData   bool
	fin, rst  bool // the client closed, or reset, the connection
	finished  bool
	loss      Loss

	ch   chan chunk
	need chan struct{} // the goroutine wants the next chunk; closed when it is done
}

func (f *factory) New(netFlow, tcpFlow gopacket.Flow, _ *layers.TCP, _ reassembly.AssemblerContext) reassembly.Stream {
	rd := f.rd
	src, _ := netip.AddrFromSlice(netFlow.Src().Raw())
	dst, _ := netip.AddrFromSlice(netFlow.Dst().Raw())
	sport := binary.BigEndian.Uint16(tcpFlow.Src().Raw())
	dport := binary.BigEndian.Uint16(tcpFlow.Dst().Raw())
	c := &tcpConn{rd: rd}
	if in := rd.input("tcp", dst, dport); in != nil {
		c.in, c.clientDir, c.peer = in, reassembly.TCPDirClientToServer, netip.AddrPortFrom(src, sport).String()
	} else {
		// The first packet seen went from the input to the client (a
		// SYN-ACK whose SYN the capture missed).
		c.in, c.clientDir, c.peer = rd.input("tcp", src, sport), reassembly.TCPDirServerToClient, netip.AddrPortFrom(dst, dport).String()
	}
	return c
}

// start makes the connection one: counted, numbered, opened. It waits for
// a SYN or a byte of data, because the assembler makes a new stream of
// every packet after a connection it closed: the client's last ACK after
// both FINs would otherwise be a second, empty connection that the live
// listener never saw (found by TestTcpdumpCheckIsLive).
func (c *tcpConn) start(at time.Time) {
	rd := c.rd
	c.started = true
	if rd.open >= MaxConnections {
		rd.stats.Dropped++
		rd.stats.lost(c.in).Dropped++
		c.dropped = true
		return
	}
	rd.open++
	rd.stats.Connections++
	c.in.conns++
	c.conn, c.order = c.in.conns, rd.begun
	rd.begun++
	rd.live[c] = struct{}{}
	c.loss = Loss{Listener: c.in.Listener, Peer: c.peer, Conn: c.conn}
	rd.h.Conn(listener.ConnEvent{Listener: c.in.Listener, Peer: c.peer, Conn: c.conn, Open: true, Time: at})
	c.ch, c.need = make(chan chunk), make(chan struct{})
	if c.in.Serve != nil {
		go c.runHTTP()
	} else {
		go c.run()
	}
	<-c.need
}

// Accept takes every segment: a connection that began before the capture
// is read from its first captured byte (start), not dropped.
func (c *tcpConn) Accept(tcp *layers.TCP, ci gopacket.CaptureInfo, dir reassembly.TCPFlowDirection, nextSeq reassembly.Sequence, start *bool, _ reassembly.AssemblerContext) bool {
	if !c.started {
		if !tcp.SYN && len(tcp.Payload) == 0 {
			return false // an ACK, FIN or RST of no connection the capture holds
		}
		c.start(ci.Timestamp)
	}
	if c.dropped {
		return false
	}
	if nextSeq == -1 && !tcp.SYN {
		*start = true
		if dir == c.clientDir {
			c.midstream = true
		}
	}
	if dir == c.clientDir {
		c.fin = c.fin || tcp.FIN
		c.rst = c.rst || tcp.RST
	}
	return true
}

func (c *tcpConn) ReassembledSG(sg reassembly.ScatterGather, ac reassembly.AssemblerContext) {
	dir, _, end, skip := sg.Info()
	if dir != c.clientDir || c.dropped || !c.started {
		return // Telegraf sends nothing; what the input sent is not the sender's
	}
	n, _ := sg.Lengths()
	var ch chunk
	if n > 0 {
		ch.data = append([]byte(nil), sg.Fetch(n)...)
		ch.at = sg.CaptureInfo(n - 1).Timestamp
	}
	if ac != nil {
		// Bytes that waited for a late segment arrive with it.
		if t := ac.GetCaptureInfo().Timestamp; t.After(ch.at) {
			ch.at = t
		}
	}
	switch {
	case skip > 0:
		ch.gap = skip
	case skip < 0, c.midstream && !c.sawData && n > 0:
		ch.gap = -1
	}
	if n > 0 {
		c.sawData = true
	}
	if n > 0 || ch.gap != 0 {
		c.later(func() { c.send(ch) })
	}
	if end {
		why := c.ending()
		at := ch.at
		c.later(func() { c.finish(why, at) })
	}
}

// ReassemblyComplete ends a connection whose end the data did not carry:
// a FIN that came after a hole is not handed over with the data.
func (c *tcpConn) ReassemblyComplete(reassembly.AssemblerContext) bool {
	if !c.started {
		return true
	}
	c.later(func() { c.finish(c.ending(), time.Time{}) })
	return true
}

// ending is how the connection ended as far as the capture shows.
func (c *tcpConn) ending() error {
	switch {
	case c.rst:
		return errReset
	case c.fin:
		return io.EOF
	}
	return errCut
}

func (c *tcpConn) later(f func()) { c.rd.pending = append(c.rd.pending, action{c, f}) }

// send hands the goroutine a chunk and waits until it wants the next one.
func (c *tcpConn) send(ch chunk) {
	if c.finished || c.dropped {
		return
	}
	c.ch <- ch
	<-c.need
}

// finish ends the connection (a second end does nothing) and waits for its
// closing event.
func (c *tcpConn) finish(why error, at time.Time) {
	if c.finished || c.dropped {
		return
	}
	c.send(chunk{end: why, at: at})
	c.finished = true
	c.rd.open--
	delete(c.rd.live, c)
	c.rd.stats.account(c.in, c.loss, c.order)
}

// next is the goroutine's side of send.
func (c *tcpConn) next() chunk {
	c.need <- struct{}{}
	return <-c.ch
}

// run frames the connection, one listener.ReadStream from its start or
// from the first record after a hole to the next hole or its end.
func (c *tcpConn) run() {
	defer close(c.need)
	in := c.in
	inner := in.Splitter
	if inner == nil {
		inner = bufio.ScanLines
	}
	max := bufio.MaxScanTokenSize
	if in.ReadBufferSize > max {
		max = in.ReadBufferSize
	}
	r := &chunkReader{c: c, inner: inner, max: max}
	closing := listener.ConnEvent{Listener: in.Listener, Peer: c.peer, Conn: c.conn, Reason: "closed"}
	for {
		ev := listener.ReadStream(r, listener.StreamOptions{
			Listener: in.Listener, Peer: c.peer, Conn: c.conn,
			Splitter: r.split, ReadBufferSize: in.ReadBufferSize, Seq: &in.seq,
		}, func(rec listener.Record) {
			rec.Received = r.at // the capture's time, not the clock's
			c.rd.h.Record(rec)
		})
		closing.Records += ev.Records
		closing.Bytes += ev.Bytes
		if errors.Is(ev.Err, errGap) {
			c.loss.Unchecked += ev.PendingBytes
			closing.Bytes -= ev.PendingBytes
			r.resume()
			continue
		}
		switch {
		case errors.Is(ev.Err, errCut):
			c.loss.Unchecked += ev.PendingBytes
			closing.Bytes -= ev.PendingBytes
			c.loss.OpenAtEnd = true
			closing.Reason = errCut.Error()
		case errors.Is(ev.Err, errReset):
			// listener/stream.go handle: a reset ends the connection
			// with what the scanner held delivered, and no report.
			closing.Err, closing.Reason, closing.PendingBytes = ev.Err, "reset by peer", ev.PendingBytes
		case ev.Err != nil:
			// A scanner error (a token too long): what the socket
			// reports as a transport event before the close.
			c.rd.h.Transport(listener.Transport{Listener: in.Listener, Peer: c.peer, Conn: c.conn, Err: ev.Err})
			closing.Err, closing.Reason, closing.PendingBytes = ev.Err, ev.Reason, ev.PendingBytes
		}
		break
	}
	closing.Time = r.at
	c.rd.h.Conn(closing)
}

// chunkReader is a connection's bytes as an io.Reader for ReadStream.
type chunkReader struct {
	c     *tcpConn
	inner bufio.SplitFunc // Telegraf's splitter
	max   int             // the scanner's largest token
	buf   []byte          // for the scanner
	at    time.Time       // when the bytes being read arrived
	stop  error           // returned until resume: errGap; or for good: the end
	ended bool
	// handed counts bytes handed to the current scanner: a hole before
	// any is not a reason to end it.
	handed int
	// skipping: the bytes in skip are the rest of a record that lost its
	// start; they are dropped up to the record's end.
	skipping bool
	skip     []byte
}

func (r *chunkReader) Read(p []byte) (int, error) {
	loss := &r.c.loss
	for len(r.buf) == 0 {
		if r.stop != nil {
			return 0, r.stop
		}
		if r.skipping && r.skipOver() {
			continue
		}
		ch := r.c.next()
		if !ch.at.IsZero() {
			r.at = ch.at
		}
		switch {
		case ch.end != nil:
			if r.skipping {
				loss.Unchecked += int64(len(r.skip))
				r.skip, r.skipping = nil, false
			}
			r.stop, r.ended = ch.end, true
		case ch.gap != 0:
			if ch.gap > 0 {
				loss.Missing += int64(ch.gap)
				loss.Holes++
			} else {
				loss.BeganBefore = true
			}
			loss.Unchecked += int64(len(r.skip))
			r.skipping, r.skip = true, append(r.skip[:0], ch.data...)
			if r.handed > 0 {
				r.stop = errGap
			}
		case r.skipping:
			r.skip = append(r.skip, ch.data...)
		default:
			r.buf = ch.data
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	r.handed += n
	return n, nil
}

// resume starts the reader over for a new scanner after a hole.
func (r *chunkReader) resume() {
	if !r.ended {
		r.stop = nil
	}
	r.handed = 0
}

// skipOver drops the rest of a record that lost its start, as far as
// Telegraf's splitter says it goes, and reports whether it found its end.
func (r *chunkReader) skipOver() bool {
	advance, token, err := r.inner(r.skip, false)
	if err != nil || (advance == 0 && token == nil) {
		if len(r.skip) > r.max {
			// Longer than the scanner holds: all of it is lost anyway.
			r.c.loss.Unchecked += int64(len(r.skip))
			r.skip = r.skip[:0]
		}
		return false
	}
	r.c.loss.Unchecked += int64(advance)
	r.buf = append([]byte(nil), r.skip[advance:]...)
	r.skip, r.skipping = nil, false
	return true
}

// split is Telegraf's splitter, except that at a hole or at the end of
// the capture the record the scanner holds, which did not end, is not
// delivered: the scanner calls its splitter with atEOF after any error.
func (r *chunkReader) split(data []byte, atEOF bool) (int, []byte, error) {
	if atEOF && (errors.Is(r.stop, errGap) || errors.Is(r.stop, errCut)) {
		return r.inner(data, false)
	}
	return r.inner(data, atEOF)
}
