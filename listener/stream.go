package listener

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/klauspost/pgzip"
)

// streamServer serves a stream socket (tcp, unix, unixpacket) the way
// socket_listener does: plugins/common/socket/stream.go, listenData,
// handleReaderConn and read, line for line, so that framing, read_timeout,
// max_connections and errors are Telegraf's. fakegraf cannot use that code
// directly: its data callback hides which connection a record came on and
// whether it had its terminator, and the connection callback
// (ListenConnection) reads through a pipe in 4 KiB pieces with a deadline per
// read, keeps a connection open after a scanner error and lets unixpacket
// messages through whole, none of which socket_listener does (the parity
// suite found all three). Binding options are validated by Telegraf's
// socket.Config.NewSocket before this runs.
//
// The code follows github.com/influxdata/telegraf v1.37.2
// (plugins/common/socket/stream.go and internal/content_coding.go),
// Copyright (c) 2015-2025 InfluxData Inc., MIT License.
type streamServer struct {
	l        *Listener
	listener net.Listener
	path     string
	packet   bool // unixpacket: every Read returns at most one message

	mu          sync.Mutex
	connections uint64

	// raw is the listening socket under TLS, for Busy to poll; active
	// counts the connections accepted and not yet reported closed.
	raw    syscall.Conn
	active atomic.Int64

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newStreamServer(l *Listener) (*streamServer, error) {
	u, err := url.Parse(l.cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("parsing address failed: %w", err)
	}
	tlsCfg, err := l.cfg.Socket.ServerConfig.TLSConfig()
	if err != nil {
		return nil, fmt.Errorf("getting TLS config failed: %w", err)
	}
	s := &streamServer{l: l, packet: u.Scheme == "unixpacket"}
	switch u.Scheme {
	case "tcp", "tcp4", "tcp6":
		if s.listener, err = net.Listen(u.Scheme, u.Host); err != nil {
			return nil, err
		}
	default: // unix, unixpacket: stream.go setupUnix
		s.path = filepath.FromSlash(u.Path)
		if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("removing socket failed: %w", err)
		}
		if s.listener, err = net.Listen(u.Scheme, s.path); err != nil {
			return nil, err
		}
		if mode := l.cfg.Socket.SocketMode; mode != "" {
			i, err := strconv.ParseUint(mode, 8, 32)
			if err != nil {
				s.listener.Close()
				return nil, fmt.Errorf("converting socket mode failed: %w", err)
			}
			if err := os.Chmod(u.Path, os.FileMode(uint32(i))); err != nil {
				s.listener.Close()
				return nil, fmt.Errorf("changing socket permissions failed: %w", err)
			}
		}
	}
	// tls.Listen is net.Listen and tls.NewListener; done in two steps,
	// the socket under TLS stays at hand for Busy.
	s.raw, _ = s.listener.(syscall.Conn)
	if tlsCfg != nil {
		s.listener = tls.NewListener(s.listener, tlsCfg)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

func (s *streamServer) addr() net.Addr { return s.listener.Addr() }

// serve is stream.go listenData: accept, check the source, count the
// connection, read it.
func (s *streamServer) serve() {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := s.listener.Accept()
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					s.l.onError(err)
				}
				return
			}
			s.active.Add(1) // until handle has reported it closed, or it is refused
			if allowed, err := sourceAllowed(s.l.cfg.Socket.AllowedSources, conn.RemoteAddr()); err != nil {
				s.l.onError(err)
				if err := conn.Close(); err != nil {
					s.l.onError(fmt.Errorf("closing connection from %q failed: %w", conn.RemoteAddr(), err))
				}
				s.active.Add(-1)
				continue
			} else if !allowed {
				// Telegraf closes it without a word (stream.go listenData);
				// fakegraf says so, since the sender's data is lost.
				s.l.report(Transport{Peer: peerString(conn.RemoteAddr()), Err: fmt.Errorf("%w: connection from %s closed unread", ErrSourceNotAllowed, conn.RemoteAddr())})
				if err := conn.Close(); err != nil {
					s.l.onError(fmt.Errorf("closing connection from %q failed: %w", conn.RemoteAddr(), err))
				}
				s.active.Add(-1)
				continue
			}
			if err := s.setupConnection(conn); err != nil {
				s.l.report(Transport{Peer: peerString(conn.RemoteAddr()), Err: err})
				s.active.Add(-1)
				continue
			}
			s.wg.Add(1)
			// Numbered here, in accept order: numbered in handle, two
			// connections accepted back to back could swap numbers, and
			// connection-churn counts a connection only when its number
			// grows.
			go s.handle(conn, s.l.conns.Add(1))
		}
	}()
}

// setupConnection is stream.go setupConnection.
func (s *streamServer) setupConnection(conn net.Conn) error {
	addr := conn.RemoteAddr().String()
	cfg := s.l.cfg.Socket
	s.mu.Lock()
	if cfg.MaxConnections > 0 && s.connections >= cfg.MaxConnections {
		s.mu.Unlock()
		_ = conn.Close()
		return fmt.Errorf("unable to accept connection from %q: %w", addr, ErrTooManyConnections)
	}
	s.connections++
	s.mu.Unlock()

	if size := int(cfg.ReadBufferSize); size > 0 {
		if rb, ok := conn.(interface{ SetReadBuffer(int) error }); ok {
			if err := rb.SetReadBuffer(size); err != nil {
				logger(s.l.cfg.Log).Warnf("Setting read buffer on socket failed: %v", err)
			}
		} else {
			logger(s.l.cfg.Log).Warn("Cannot set read buffer on socket of this type")
		}
	}
	if cfg.KeepAlivePeriod != nil {
		c := conn
		if tc, ok := c.(*tls.Conn); ok {
			c = tc.NetConn()
		}
		if tcpConn, ok := c.(*net.TCPConn); !ok {
			logger(s.l.cfg.Log).Warnf("connection not a TCP connection (%T)", c)
		} else if *cfg.KeepAlivePeriod == 0 {
			if err := tcpConn.SetKeepAlive(false); err != nil {
				logger(s.l.cfg.Log).Warnf("Cannot set keep-alive: %v", err)
			}
		} else {
			if err := tcpConn.SetKeepAlive(true); err != nil {
				logger(s.l.cfg.Log).Warnf("Cannot set keep-alive: %v", err)
			}
			if err := tcpConn.SetKeepAlivePeriod(time.Duration(*cfg.KeepAlivePeriod)); err != nil {
				logger(s.l.cfg.Log).Warnf("Cannot set keep-alive period: %v", err)
			}
		}
	}
	return nil
}

// closeConnection is stream.go closeConnection.
func (s *streamServer) closeConnection(conn net.Conn) {
	_ = conn.SetReadDeadline(time.Now()) // end blocked reads at once
	if err := conn.Close(); err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, syscall.EPIPE) {
		logger(s.l.cfg.Log).Warnf("Cannot close connection to %q: %v", conn.RemoteAddr().String(), err)
		return
	}
	s.mu.Lock()
	s.connections--
	s.mu.Unlock()
}

// handle is stream.go handleReaderConn and read.
func (s *streamServer) handle(conn net.Conn, connNo uint64) {
	defer s.wg.Done()
	defer s.active.Add(-1) // runs last: after the closing ConnEvent is handed over
	var once sync.Once
	closeConn := func() { once.Do(func() { s.closeConnection(conn) }) }
	stop := context.AfterFunc(s.ctx, closeConn)
	defer stop()
	defer closeConn()

	peer := peerString(conn.RemoteAddr())
	if s.path != "" {
		peer = s.path // Telegraf reports the socket path as the source
	}
	s.l.handler.Conn(ConnEvent{Listener: s.l.url, Peer: peer, Conn: connNo, Open: true, Time: time.Now()})

	var src io.Reader = conn
	var pr *packetReader
	if uc, ok := conn.(*net.UnixConn); ok && s.packet {
		pr = &packetReader{conn: uc}
		src = pr
	}
	if tap, ok := s.l.handler.(Tap); ok {
		src = &tapReader{r: src, tap: tap, chunk: Chunk{Listener: s.l.url, Peer: peer, Conn: connNo}}
	}
	ev := ConnEvent{Listener: s.l.url, Peer: peer, Conn: connNo, Reason: "closed"}
	decoder, err := newStreamDecoder(s.l.cfg.Socket.ContentEncoding, src)
	if err != nil {
		err = fmt.Errorf("creating decoder failed: %w", err)
		s.l.report(Transport{Peer: peer, Conn: connNo, Err: err})
		ev.Time, ev.Err, ev.Reason = time.Now(), err, err.Error()
		s.l.handler.Conn(ev)
		return
	}
	timeout := time.Duration(s.l.cfg.Socket.ReadTimeout)
	ev = ReadStream(decoder, StreamOptions{
		Listener:       s.l.url,
		Peer:           peer,
		Conn:           connNo,
		Splitter:       s.l.splitter,
		ReadBufferSize: int(s.l.cfg.Socket.ReadBufferSize),
		Packet:         s.packet,
		Seq:            &s.l.seq,
		// stream.go read: the deadline is absolute, set before every record.
		BeforeScan: func() error {
			if timeout > 0 {
				if err := conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
					return fmt.Errorf("setting read deadline failed: %w", err)
				}
			}
			return nil
		},
	}, s.l.handler.Record)
	if c, ok := decoder.(io.Closer); ok {
		_ = c.Close() // the gzip reader's read-ahead goroutine and buffers
	}
	if pr != nil && pr.truncated > 0 {
		s.l.report(Transport{Peer: peer, Conn: connNo, Err: fmt.Errorf("%w: %d message(s) longer than the space Telegraf's scanner had left; the kernel discarded the rest of each", ErrPacketTruncated, pr.truncated)})
	}
	switch err := ev.Err; {
	case err == nil:
	case errors.Is(err, os.ErrDeadlineExceeded):
		// Telegraf ignores the timeout and closes the connection silently.
		ev.Err, ev.ReadTimeout, ev.Reason = nil, true, "read timeout"
	case errors.Is(err, net.ErrClosed):
		ev.Err, ev.Reason = nil, "closed by fakegraf"
	case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET):
		ev.Reason = "reset by peer"
	default:
		// bufio.Scanner: token too long, a decoder error: Telegraf logs it
		// and drops the connection with the rest of its data.
		s.l.report(Transport{Peer: peer, Conn: connNo, Err: err})
	}
	closeConn()
	s.l.handler.Conn(ev)
}

// close is stream.go close: stop accepting, end every connection (what they
// have read is still delivered), remove the socket file.
func (s *streamServer) close() {
	if err := s.listener.Close(); err != nil {
		logger(s.l.cfg.Log).Errorf("Cannot close listener: %v", err)
	}
	s.cancel()
	s.wg.Wait()
	if s.path != "" {
		if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			logger(s.l.cfg.Log).Warnf("Removing socket failed: %v", err)
		}
	}
}

// packetReader reads a unixpacket connection as Telegraf's scanner does (one
// message per Read, into whatever space the buffer has left) and counts the
// messages the kernel truncated to fit, which Telegraf loses silently.
type packetReader struct {
	conn      *net.UnixConn
	truncated int
}

func (p *packetReader) Read(b []byte) (int, error) {
	n, _, flags, _, err := p.conn.ReadMsgUnix(b, nil)
	if flags&syscall.MSG_TRUNC != 0 {
		p.truncated++
	}
	if n == 0 && err == nil {
		return 0, io.EOF // an orderly shutdown reads as an empty message
	}
	return n, err
}

// sourceAllowed is plugins/common/socket/socket.go isSourceAllowed.
func sourceAllowed(allowed []net.IP, addr net.Addr) (bool, error) {
	if len(allowed) == 0 {
		return true, nil
	}
	var src net.IP
	switch a := addr.(type) {
	case *net.UDPAddr:
		src = a.IP
	case *net.TCPAddr:
		src = a.IP
	case *net.IPAddr:
		src = a.IP
	default:
		return false, fmt.Errorf("source address %q (%T) has no IP", addr, addr)
	}
	return slices.ContainsFunc(allowed, func(ip net.IP) bool { return src.Equal(ip) }), nil
}

// tapReader hands every read of a connection to a Tap, as it came.
type tapReader struct {
	r     io.Reader
	tap   Tap
	chunk Chunk
}

func (t *tapReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		t.chunk.Data, t.chunk.Received = p[:n], time.Now()
		t.tap.Chunk(t.chunk)
	}
	return n, err
}

// NewStreamDecoder returns what a stream connection's bytes are read
// through for a content_encoding, as the socket reads them; its Close, when
// it has one, frees the decoder. `fakegraf check` decodes a captured
// connection with it.
func NewStreamDecoder(encoding string, r io.Reader) (io.Reader, error) {
	return newStreamDecoder(encoding, r)
}

// newStreamDecoder is internal.NewStreamContentDecoder (internal/
// content_coding.go), which Go does not let fakegraf import.
func newStreamDecoder(encoding string, r io.Reader) (io.Reader, error) {
	switch encoding {
	case "gzip":
		return newGzipReader(r)
	case "identity", "":
		return r, nil
	}
	return nil, errors.New("invalid value for content_encoding")
}

// gzipReader is internal.GzipReader: one gzip member per Read sequence,
// then the next header.
type gzipReader struct {
	r           io.Reader
	z           *pgzip.Reader
	endOfStream bool
}

func newGzipReader(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	z, err := pgzip.NewReader(br)
	if err != nil {
		return nil, err
	}
	z.Multistream(false)
	return &gzipReader{r: br, z: z}, nil
}

// Close stops pgzip's read-ahead goroutine and frees its blocks. Telegraf
// never closes its GzipReader: a connection that ends with decoded bytes
// unread (a line too long, a reset, a bomb) leaves the goroutine blocked
// for ever with megabytes of blocks, so Telegraf's memory grows with every
// such connection. fakegraf closes it; nothing Telegraf stores changes.
func (r *gzipReader) Close() error { return r.z.Close() }

func (r *gzipReader) Read(b []byte) (int, error) {
	if r.endOfStream {
		if err := r.z.Reset(r.r); err != nil {
			return 0, err
		}
		r.z.Multistream(false)
		r.endOfStream = false
	}
	n, err := r.z.Read(b)
	if errors.Is(err, io.EOF) {
		r.endOfStream = true
		return n, nil
	}
	return n, err
}
