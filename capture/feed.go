package capture

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fakegraf/fakegraf/listener"
)

// Framing is how one captured listener frames its stream connections:
// what the socket's reader does with the bytes a capture holds.
type Framing struct {
	Splitter        bufio.SplitFunc // from the input's SplitConfig; nil: lines
	ReadBufferSize  int             // read_buffer_size
	ContentEncoding string          // content_encoding of a stream socket
	// Request, for one of Telegraf's HTTP inputs, serves a captured
	// request (KindRequest) to the input's plugin, which hands out its
	// record, and returns the body's size on the wire, which the
	// connection's close event counts. Nil: the listener's captured
	// requests are refused with an error.
	Request func(*Entry) int
}

// Feed hands h, in the capture's order, the events the listeners handed out
// when the capture was written: each datagram as the Record it was, each
// stream connection's bytes framed again by listener.ReadStream exactly as
// the socket framed them (so a glued JSON stream is one record without its
// newline, as it was live), connection events with their captured peers and
// times, and the losses at the socket. framing is called once per captured
// listener, with its listener entry, and may refuse it with an error, which
// Feed returns. h is called from one goroutine at a time.
//
// Feed holds one entry and, per open connection, its scanner's buffer: a
// capture of any size feeds in bounded memory.
func Feed(r *Reader, framing func(*Entry) (Framing, error), h listener.Handler) error {
	f := &feeder{h: &serialHandler{h: h}, listeners: map[uint64]*feedListener{}}
	err := f.run(r, framing)
	// Connections still open where the capture ends (fakegraf was stopped
	// hard, or the capture was cut) end there, as if the sender had closed
	// them: what they sent is framed and reported.
	for _, l := range f.sortedListeners() {
		for _, c := range l.sortedConns() {
			f.closeConn(l, c, &Entry{Kind: KindClose, Conn: c.no, Time: c.last, Reason: "the capture ends"})
		}
	}
	return err
}

type feeder struct {
	h         *serialHandler
	listeners map[uint64]*feedListener
	order     []uint64
}

type feedListener struct {
	url     string
	framing Framing
	seq     atomic.Uint64
	conns   map[uint64]*feedConn
	order   []uint64
}

// http reports whether the listener's connections carry HTTP requests:
// they are opened and closed as captured, and their requests served, not
// framed.
func (l *feedListener) http() bool { return l.framing.Request != nil }

func (f *feeder) sortedListeners() []*feedListener {
	out := make([]*feedListener, 0, len(f.order))
	for _, id := range f.order {
		out = append(out, f.listeners[id])
	}
	return out
}

func (l *feedListener) sortedConns() []*feedConn {
	var out []*feedConn
	for _, no := range l.order {
		if c := l.conns[no]; c != nil {
			out = append(out, c)
		}
	}
	return out
}

func (f *feeder) run(r *Reader, framing func(*Entry) (Framing, error)) error {
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if e.Kind == KindListener {
			if _, dup := f.listeners[e.Listener]; dup {
				return fmt.Errorf("listener %d is described twice: the capture is damaged", e.Listener)
			}
			fr, err := framing(e)
			if err != nil {
				return err
			}
			f.listeners[e.Listener] = &feedListener{url: e.URL, framing: fr, conns: map[uint64]*feedConn{}}
			f.order = append(f.order, e.Listener)
			continue
		}
		if e.Kind == KindCut {
			continue
		}
		l := f.listeners[e.Listener]
		if l == nil {
			return fmt.Errorf("a %s entry names listener %d, which the capture never described: the capture is damaged", kindName(e.Kind), e.Listener)
		}
		switch e.Kind {
		case KindOpen:
			if l.conns[e.Conn] != nil {
				return fmt.Errorf("connection %d of %s opens twice: the capture is damaged", e.Conn, l.url)
			}
			c := f.openConn(l, e)
			l.conns[e.Conn] = c
			l.order = append(l.order, e.Conn)
		case KindChunk:
			c := l.conns[e.Conn]
			if c == nil {
				return fmt.Errorf("bytes for connection %d of %s, which is not open: the capture is damaged", e.Conn, l.url)
			}
			c.feed(e.Data, e.Time)
		case KindClose:
			c := l.conns[e.Conn]
			if c == nil {
				return fmt.Errorf("connection %d of %s closes but is not open: the capture is damaged", e.Conn, l.url)
			}
			f.closeConn(l, c, e)
		case KindDatagram:
			// A copy: the entry's bytes are the reader's buffer, and a sink
			// may keep a record (the HTTP API keeps the newest).
			f.h.Record(listener.Record{Listener: l.url, Peer: e.Peer, Seq: l.seq.Add(1), Data: bytes.Clone(e.Data), Size: len(e.Data),
				Terminated: true, Truncated: e.Flag, Received: e.Time})
		case KindTransport:
			f.h.Transport(listener.Transport{Listener: l.url, Peer: e.Peer, Conn: e.Conn, Record: e.Record,
				Err: TransportError(e), Dropped: e.Dropped, Total: e.Total})
		case KindRequest:
			if !l.http() {
				return fmt.Errorf("an HTTP request on listener %s, which is not one of Telegraf's HTTP inputs here: check the capture with the config or flags it was made with", l.url)
			}
			size := l.framing.Request(e)
			if c := l.conns[e.Conn]; c != nil {
				c.final.Records++
				c.final.Bytes += int64(size)
			}
		}
	}
}

func kindName(k Kind) string {
	switch k {
	case KindOpen:
		return "connection open"
	case KindChunk:
		return "stream bytes"
	case KindClose:
		return "connection close"
	case KindDatagram:
		return "datagram"
	case KindRequest:
		return "HTTP request"
	case KindTransport:
		return "socket event"
	}
	return fmt.Sprintf("%q", rune(k))
}

// feedConn runs listener.ReadStream over one captured connection in a
// goroutine of its own, fed chunk by chunk. The feeder hands a chunk over
// and waits until the scanner asks for more (it has framed and emitted
// every record the bytes so far make) or has stopped, so records come out
// in the capture's order and one goroutine works at a time.
type feedConn struct {
	no    uint64
	in    chan []byte
	idle  chan struct{}
	done  chan listener.ConnEvent
	now   atomic.Int64 // receive time of the chunk being read
	last  time.Time
	ended bool // ReadStream returned: the rest of the connection is unread, as live
	final listener.ConnEvent
	// reported: the reader has reported the error that ended it already
	// (a decoder it could not make).
	reported atomic.Bool
}

func (f *feeder) openConn(l *feedListener, e *Entry) *feedConn {
	c := &feedConn{no: e.Conn, in: make(chan []byte), idle: make(chan struct{}), done: make(chan listener.ConnEvent, 1), last: e.Time}
	c.now.Store(unixNano(e.Time))
	f.h.Conn(listener.ConnEvent{Listener: l.url, Peer: e.Peer, Conn: e.Conn, Open: true, Time: e.Time})
	peer := e.Peer
	if l.http() {
		// No reader: the requests come as entries of their own, and the
		// close counts them (httpin's connection events).
		c.ended = true
		c.final = listener.ConnEvent{Listener: l.url, Peer: peer, Conn: e.Conn}
		return c
	}
	go func() {
		cr := &chunkReader{c: c}
		var src io.Reader = cr
		dec, err := listener.NewStreamDecoder(l.framing.ContentEncoding, cr)
		if err != nil {
			// The socket reports a decoder it cannot make on the connection
			// and reads nothing (listener/stream.go handle).
			err = fmt.Errorf("creating decoder failed: %w", err)
			f.h.Transport(listener.Transport{Listener: l.url, Peer: peer, Conn: e.Conn, Err: err})
			c.reported.Store(true)
			c.done <- listener.ConnEvent{Listener: l.url, Peer: peer, Conn: e.Conn, Err: err, Reason: err.Error()}
			return
		}
		src = dec
		ev := listener.ReadStream(src, listener.StreamOptions{
			Listener: l.url, Peer: peer, Conn: e.Conn, Splitter: l.framing.Splitter,
			ReadBufferSize: l.framing.ReadBufferSize, Seq: &l.seq,
			Clock: func() time.Time { return time.Unix(0, c.now.Load()) },
		}, f.h.Record)
		if cl, ok := dec.(io.Closer); ok {
			_ = cl.Close()
		}
		c.done <- ev
	}()
	c.wait()
	return c
}

// wait blocks until the connection's reader asks for bytes or has ended.
func (c *feedConn) wait() {
	if c.ended {
		return
	}
	select {
	case <-c.idle:
	case ev := <-c.done:
		c.ended, c.final = true, ev
	}
}

func (c *feedConn) feed(data []byte, at time.Time) {
	c.last = at
	if c.ended || len(data) == 0 {
		return
	}
	c.now.Store(unixNano(at))
	c.in <- data
	c.wait()
}

// closeConn ends a connection's bytes, waits for its last records, and
// reports its closing as the socket did.
func (f *feeder) closeConn(l *feedListener, c *feedConn, e *Entry) {
	delete(l.conns, c.no)
	if !c.ended {
		close(c.in)
		for !c.ended {
			c.wait()
		}
	}
	ev := c.final
	if !e.Time.IsZero() {
		ev.Time = e.Time
	}
	if ev.Err != nil {
		// A scanner or decoder error: the socket reports it as a transport
		// event, as listener/stream.go handle does, and the close keeps
		// its reason.
		if !c.reported.Load() {
			f.h.Transport(listener.Transport{Listener: l.url, Peer: ev.Peer, Conn: c.no, Err: ev.Err})
		}
	} else {
		ev.Err, ev.Reason, ev.ReadTimeout = nil, e.Reason, e.Flag
		if ev.Reason == "" {
			ev.Reason = "closed"
		}
	}
	f.h.Conn(ev)
}

// chunkReader is the connection as its reader sees it: the captured chunks
// one after the other, then EOF.
type chunkReader struct {
	c   *feedConn
	cur []byte
	eof bool
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.eof {
			return 0, io.EOF
		}
		r.c.idle <- struct{}{}
		data, ok := <-r.c.in
		if !ok {
			r.eof = true
			return 0, io.EOF
		}
		r.cur = data
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// serialHandler lets one goroutine at a time into h: a gzip decoder reads
// ahead in a goroutine of its own, so a gzip connection's records may
// still be coming while the feeder moves on.
type serialHandler struct {
	mu sync.Mutex
	h  listener.Handler
}

func (s *serialHandler) Record(r listener.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h.Record(r)
}

func (s *serialHandler) Conn(ev listener.ConnEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h.Conn(ev)
}

func (s *serialHandler) Transport(t listener.Transport) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h.Transport(t)
}
