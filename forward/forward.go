package forward

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/fakegraf/fakegraf/listener"
)

// Defaults for Options.
const (
	// DefaultBuffer is what a listener holds for its upstream before it
	// drops: a few seconds of a busy sender at loopback speed, and little
	// enough memory to run a tee per listener.
	DefaultBuffer = 8 << 20
	// DefaultDrain is how long Close lets the upstream take what is still
	// held: long enough for a live upstream, short enough that a stalled
	// one does not hold the end of a run.
	DefaultDrain = 2 * time.Second
	// DefaultInterval is how often loss is reported, as the kernel's UDP
	// drops are: one finding per interval, not one per datagram.
	DefaultInterval = 500 * time.Millisecond
	// DefaultTimeout is how long a request to an HTTP input waits for
	// the upstream's answer before the client gets the plugin's. A live
	// Telegraf or InfluxDB answers a write in milliseconds; 2s stays well
	// under the inputs' write_timeout (10s by default, after which the
	// client would get nothing at all) and under the shortest timeout of
	// the usual clients (Telegraf's outputs.influxdb and outputs.http:
	// 5s; influxdb-client-python 10s, -go 20s), so that a dead upstream
	// costs each request at most 2s and never the client's answer.
	DefaultTimeout = 2 * time.Second

	dialTimeout = 5 * time.Second
	redialAfter = time.Second
	// maxQueued bounds the datagrams in flight, beside the bytes: a flood
	// of empty datagrams holds no bytes but a queue entry each.
	maxQueued = 1 << 16
)

// Options configure forwarding for one listener.
type Options struct {
	// Upstream is where the bytes go: udp://host:port or
	// unixgram:///path for a datagram listener, tcp://host:port,
	// unix:///path or unixpacket:///path for a stream listener.
	Upstream string
	// Stream says whether the listener is a stream socket.
	Stream bool
	// HTTP says that the listener is one of Telegraf's HTTP inputs:
	// Upstream is an http:// or https:// base URL, and the Handler is
	// the httpin.Forwarder of its server (http.go).
	HTTP bool
	// Timeout bounds how long a request waits for the upstream's answer
	// (HTTP only); 0 means DefaultTimeout.
	Timeout time.Duration
	// Buffer is how many bytes the listener may hold for the upstream;
	// what arrives beyond it is lost. 0 means DefaultBuffer.
	Buffer int64
	// Drain is how long Close waits for the upstream; 0 means DefaultDrain.
	Drain time.Duration
	// Interval is how often loss is reported; 0 means DefaultInterval.
	Interval time.Duration
}

// ErrUpstream wraps every error about an upstream URL.
var ErrUpstream = errors.New("bad upstream")

// Check parses an upstream URL for a listener of the given kind and returns
// the network and address to dial.
func Check(upstream string, stream bool) (network, address string, err error) {
	u, err := url.Parse(upstream)
	if err != nil || u.Scheme == "" {
		return "", "", fmt.Errorf("%w %q: want a URL such as tcp://telegraf:8094, udp://telegraf:8094 or unix:///run/telegraf.sock", ErrUpstream, upstream)
	}
	network = u.Scheme
	switch network {
	case "udp", "udp4", "udp6", "unixgram":
		if stream {
			return "", "", fmt.Errorf("%w %q: a stream listener forwards each connection as a connection: use tcp://, unix:// or unixpacket://", ErrUpstream, upstream)
		}
	case "tcp", "tcp4", "tcp6", "unix", "unixpacket":
		if !stream {
			return "", "", fmt.Errorf("%w %q: a datagram listener forwards each datagram as a datagram: use udp:// or unixgram://", ErrUpstream, upstream)
		}
	case "http", "https":
		return "", "", fmt.Errorf("%w %q: a socket listener forwards bytes to a socket, not HTTP requests: use tcp://, udp:// or unix:// to a socket_listener of the real Telegraf; http:// forwards an HTTP input", ErrUpstream, upstream)
	default:
		return "", "", fmt.Errorf("%w %q: unknown scheme %q: use udp, unixgram, tcp, unix or unixpacket", ErrUpstream, upstream, network)
	}
	if network[:3] == "uni" {
		address = u.Path
		if address == "" {
			address = u.Host // unix://relative.sock
		}
	} else {
		address = u.Host
		if _, _, err := net.SplitHostPort(address); err != nil {
			return "", "", fmt.Errorf("%w %q: %v: give host:port, such as %s://127.0.0.1:8094", ErrUpstream, upstream, err, network)
		}
	}
	if address == "" {
		return "", "", fmt.Errorf("%w %q: no address", ErrUpstream, upstream)
	}
	return network, address, nil
}

// Handler is a listener.Handler that forwards what it sees, then hands every
// event on to the handler it wraps.
type Handler struct {
	next             listener.Handler
	opt              Options
	network, address string
	url              atomic.Pointer[string] // the listener's, learnt from its events
	held             atomic.Int64           // bytes buffered, not yet given to the kernel
	ctx              context.Context        // cancelled when Close gives up waiting
	cancel           context.CancelFunc

	dgrams    chan []byte
	dgramDone chan struct{}
	dgramMu   sync.Mutex
	dgramConn net.Conn

	mu      sync.Mutex
	conns   map[uint64]*upConn
	writers sync.WaitGroup

	proxy *proxy // HTTP inputs (http.go)

	lossMu sync.Mutex
	lost   map[string]*loss // since the last report, by listener URL ("": the one learnt)

	stop       chan struct{}
	reportDone chan struct{}
}

type loss struct {
	bytes, datagrams, conns, requests uint64
	reason                            string
}

// New wraps next: the listener hands its events to the returned Handler.
// Close it after the listener has closed.
func New(next listener.Handler, opt Options) (*Handler, error) {
	var network, address string
	var px *proxy
	var err error
	if opt.HTTP {
		px, err = newProxy(opt.Upstream)
	} else {
		network, address, err = Check(opt.Upstream, opt.Stream)
	}
	if err != nil {
		return nil, err
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.Buffer <= 0 {
		opt.Buffer = DefaultBuffer
	}
	if opt.Drain <= 0 {
		opt.Drain = DefaultDrain
	}
	if opt.Interval <= 0 {
		opt.Interval = DefaultInterval
	}
	h := &Handler{next: next, opt: opt, network: network, address: address, proxy: px, lost: map[string]*loss{},
		conns: map[uint64]*upConn{}, stop: make(chan struct{}), reportDone: make(chan struct{}), dgramDone: make(chan struct{})}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	if opt.Stream || opt.HTTP {
		close(h.dgramDone)
	} else {
		h.dgrams = make(chan []byte, maxQueued)
		go h.writeDatagrams()
	}
	go h.report()
	return h, nil
}

func (h *Handler) learn(url string) {
	if h.url.Load() == nil && url != "" {
		h.url.Store(&url)
	}
}

// Record is part of listener.Handler: a datagram is queued for the upstream.
func (h *Handler) Record(r listener.Record) {
	h.learn(r.Listener)
	if !h.opt.Stream && !h.opt.HTTP && !r.Stream {
		h.queueDatagram(r.Data)
	}
	h.next.Record(r)
}

// Conn is part of listener.Handler: a connection opening dials its upstream
// connection, a connection closing closes it once its bytes are sent.
func (h *Handler) Conn(ev listener.ConnEvent) {
	h.learn(ev.Listener)
	if h.opt.Stream {
		if ev.Open {
			h.open(ev.Conn)
		} else {
			h.eof(ev.Conn)
		}
	}
	h.next.Conn(ev)
}

// Transport is part of listener.Handler.
func (h *Handler) Transport(ev listener.Transport) {
	h.learn(ev.Listener)
	h.next.Transport(ev)
}

// Chunk is listener.Tap: the bytes of a stream connection as read from the
// socket (before content decoding and framing), in read order, from the
// connection's goroutine between its opening and closing events; c.Data is
// reused after Chunk returns. A capture in front of the forwarder hands
// them on (capture's handler).
func (h *Handler) Chunk(c listener.Chunk) { h.raw(c.Conn, c.Data) }

// raw passes a stream connection's bytes on to its upstream connection.
func (h *Handler) raw(conn uint64, b []byte) {
	h.mu.Lock()
	c := h.conns[conn]
	h.mu.Unlock()
	if c == nil {
		h.lose(int64(len(b)), 0, 1, "the connection was not announced")
		return
	}
	c.add(b)
}

// Close lets the upstream take what is held, for at most Options.Drain,
// drops the rest, and reports the last loss. Call it once the listener has
// closed: no event may come after.
func (h *Handler) Close() {
	if h.dgrams != nil {
		close(h.dgrams)
	}
	done := make(chan struct{})
	go func() {
		h.writers.Wait()
		<-h.dgramDone
		close(done)
	}()
	t := time.NewTimer(h.opt.Drain)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		h.abort(fmt.Sprintf("the upstream did not take them within %s of the end of the run", h.opt.Drain))
		<-done
	}
	h.cancel()
	close(h.stop)
	<-h.reportDone
}

// abort gives up on everything held: stream connections are reset, the
// datagram writer drops what is queued.
func (h *Handler) abort(reason string) {
	h.cancel()
	h.mu.Lock()
	conns := make([]*upConn, 0, len(h.conns))
	for _, c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.mu.Lock()
		c.breakLocked(reason)
		c.mu.Unlock()
		c.signal()
	}
	h.dgramMu.Lock()
	if h.dgramConn != nil {
		_ = h.dgramConn.SetWriteDeadline(time.Now())
	}
	h.dgramMu.Unlock()
}

func (h *Handler) lose(bytes int64, datagrams, conns uint64, reason string) {
	h.loseAt("", loss{bytes: uint64(bytes), datagrams: datagrams, conns: conns, reason: reason})
}

// loseAt counts a loss of the listener url ("": the one the events name;
// an HTTP server can serve two).
func (h *Handler) loseAt(url string, l loss) {
	h.lossMu.Lock()
	defer h.lossMu.Unlock()
	t := h.lost[url]
	if t == nil {
		t = &loss{}
		h.lost[url] = t
	}
	t.bytes += l.bytes
	t.datagrams += l.datagrams
	t.conns += l.conns
	t.requests += l.requests
	t.reason = l.reason
}

func (h *Handler) report() {
	defer close(h.reportDone)
	t := time.NewTicker(h.opt.Interval)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			h.flushLoss()
			return
		case <-t.C:
			h.flushLoss()
		}
	}
}

func (h *Handler) flushLoss() {
	h.lossMu.Lock()
	lost := h.lost
	h.lost = map[string]*loss{}
	h.lossMu.Unlock()
	urls := slices.Sorted(maps.Keys(lost))
	for _, url := range urls {
		l := lost[url]
		if url == "" {
			u := h.url.Load()
			if u == nil {
				continue
			}
			url = *u
		}
		var what string
		switch {
		case h.opt.HTTP:
			what = fmt.Sprintf("%d bytes of %d request(s)", l.bytes, l.requests)
		case h.opt.Stream:
			what = fmt.Sprintf("%d bytes of %d connection(s)", l.bytes, l.conns)
		default:
			what = fmt.Sprintf("%d datagram(s), %d bytes,", l.datagrams, l.bytes)
		}
		err := fmt.Errorf("%s %w to %s: %s", what, listener.ErrForwardLoss, h.opt.Upstream, l.reason)
		h.next.Transport(listener.Transport{Listener: url, Err: err, Dropped: l.bytes})
	}
}

func (h *Handler) full() string {
	return fmt.Sprintf("the forward buffer of %d bytes was full: the upstream did not keep up", h.opt.Buffer)
}

// queueDatagram copies a datagram into the queue, or counts it lost.
func (h *Handler) queueDatagram(b []byte) {
	n := int64(len(b))
	if h.held.Add(n) > h.opt.Buffer {
		h.held.Add(-n)
		h.lose(n, 1, 0, h.full())
		return
	}
	select {
	case h.dgrams <- append([]byte(nil), b...):
	default:
		h.held.Add(-n)
		h.lose(n, 1, 0, h.full())
	}
}

// writeDatagrams sends the queued datagrams in batches: what is queued when
// the writer wakes, up to maxBatch, goes in one system call (sendmmsg on
// Linux), one message per datagram, in queue order.
func (h *Handler) writeDatagrams() {
	defer close(h.dgramDone)
	var conn *datagramConn
	var retry time.Time
	batch := make([][]byte, 0, maxBatch)
	for b := range h.dgrams {
		batch = append(batch[:0], b)
	fill:
		for len(batch) < maxBatch {
			select {
			case b, ok := <-h.dgrams:
				if !ok {
					break fill
				}
				batch = append(batch, b)
			default:
				break fill
			}
		}
		conn, retry = h.sendDatagrams(conn, retry, batch)
		clear(batch) // let the sent datagrams go
	}
	if conn != nil {
		conn.Close()
	}
}

// sendDatagrams sends one batch, dialling first if need be, and accounts
// for every datagram of it: sent, or lost with the reason. A partial write
// without an error (sendmmsg stopped early) sends the rest again; a write
// error loses the datagram it came from, as a write of that datagram alone
// would have, and then, as before batching, a refusal (an ICMP error on
// udp, which says nothing about the next datagram) goes on with the rest,
// anything else drops the connection and loses the rest of the batch
// until the redial.
func (h *Handler) sendDatagrams(conn *datagramConn, retry time.Time, batch [][]byte) (*datagramConn, time.Time) {
	for len(batch) > 0 {
		if h.ctx.Err() != nil {
			h.loseDatagrams(batch, "fakegraf stopped before the upstream took them")
			return conn, retry
		}
		if conn == nil && !time.Now().Before(retry) {
			d := net.Dialer{Timeout: dialTimeout}
			c, err := d.DialContext(h.ctx, h.network, h.address)
			if err != nil {
				h.loseDatagrams(batch, err.Error())
				return nil, time.Now().Add(redialAfter)
			}
			conn = newDatagramConn(c)
			h.dgramMu.Lock()
			h.dgramConn = c
			h.dgramMu.Unlock()
		}
		if conn == nil {
			h.loseDatagrams(batch, "the upstream could not be reached")
			return nil, retry
		}
		n, err := writeBatch(conn, batch)
		n = min(max(n, 0), len(batch))
		var sent int64
		for _, b := range batch[:n] {
			sent += int64(len(b))
		}
		h.held.Add(-sent)
		batch = batch[n:]
		if err == nil && n == 0 {
			err = io.ErrShortWrite // never seen; do not spin
		}
		if err == nil {
			continue
		}
		if len(batch) > 0 {
			h.loseDatagrams(batch[:1], err.Error())
			batch = batch[1:]
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			conn.Close()
			conn = nil
			retry = time.Now().Add(redialAfter)
		}
	}
	return conn, retry
}

// loseDatagrams counts datagrams that will not be sent.
func (h *Handler) loseDatagrams(batch [][]byte, reason string) {
	var n int64
	for _, b := range batch {
		n += int64(len(b))
	}
	h.held.Add(-n)
	h.lose(n, uint64(len(batch)), 0, reason)
}

// maxBatch is how many datagrams go in one system call: beyond a few dozen
// the call's cost is the copying, not the crossing.
const maxBatch = 64

// batchWriter is ipv4.PacketConn and ipv6.PacketConn: sendmmsg on Linux,
// one sendmsg elsewhere.
type batchWriter interface {
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// datagramConn is the connected socket to a datagram upstream.
type datagramConn struct {
	net.Conn
	batch batchWriter // nil: one write per datagram (unixgram)
	msgs  []ipv4.Message
}

func newDatagramConn(c net.Conn) *datagramConn {
	dc := &datagramConn{Conn: c}
	if uc, ok := c.(*net.UDPConn); ok {
		if a, ok := uc.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() == nil {
			dc.batch = ipv6.NewPacketConn(uc)
		} else {
			dc.batch = ipv4.NewPacketConn(uc)
		}
		dc.msgs = make([]ipv4.Message, maxBatch)
		for i := range dc.msgs {
			dc.msgs[i].Buffers = make([][]byte, 1)
		}
	}
	return dc
}

// writeBatch sends datagrams in order, one message each, and returns how
// many the kernel took. A variable so that tests can make writes fail.
var writeBatch = (*datagramConn).writeBatch

func (c *datagramConn) writeBatch(bs [][]byte) (int, error) {
	if c.batch == nil {
		for i, b := range bs {
			if _, err := c.Write(b); err != nil {
				return i, err
			}
		}
		return len(bs), nil
	}
	ms := c.msgs[:len(bs)]
	for i, b := range bs {
		ms[i].Buffers[0] = b
	}
	n, err := c.batch.WriteBatch(ms, 0)
	for i := range ms {
		ms[i].Buffers[0] = nil
	}
	return n, err
}

// upConn is the upstream side of one stream connection.
type upConn struct {
	h    *Handler
	no   uint64
	wake chan struct{}

	mu               sync.Mutex
	pending          net.Buffers
	pendingBytes     int64
	eof              bool // the connection has closed: send what is pending, then close
	broken           bool // lost: everything from here on is dropped
	reason           string
	up               net.Conn
	received, posted int64 // bytes read from the connection, and given to the kernel
	discarded        int64 // given to the kernel, then thrown away by the reset
}

func (h *Handler) open(no uint64) {
	c := &upConn{h: h, no: no, wake: make(chan struct{}, 1)}
	h.mu.Lock()
	h.conns[no] = c
	h.mu.Unlock()
	h.writers.Add(1)
	go c.run()
}

func (h *Handler) eof(no uint64) {
	h.mu.Lock()
	c := h.conns[no]
	h.mu.Unlock()
	if c == nil {
		return
	}
	c.mu.Lock()
	c.eof = true
	c.mu.Unlock()
	c.signal()
}

func (c *upConn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *upConn) add(b []byte) {
	n := int64(len(b))
	c.mu.Lock()
	c.received += n
	switch {
	case c.broken:
	case c.h.held.Add(n) > c.h.opt.Buffer:
		c.h.held.Add(-n)
		c.breakLocked(c.h.full())
	default:
		c.pending = append(c.pending, append([]byte(nil), b...))
		c.pendingBytes += n
	}
	c.mu.Unlock()
	c.signal()
}

// breakLocked drops what is pending and everything after it, and resets
// the upstream connection so that the upstream drops its unterminated rest
// rather than parse half a line.
func (c *upConn) breakLocked(reason string) {
	if c.broken {
		return
	}
	c.broken, c.reason = true, reason
	c.h.held.Add(-c.pendingBytes)
	c.pending, c.pendingBytes = nil, 0
	if c.up != nil {
		// Asked before the reset throws them away. A write blocked on the
		// full connection has given the kernel all it reports as posted.
		c.discarded += unsent(c.up)
		reset(c.up)
	}
}

func reset(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func (c *upConn) run() {
	h := c.h
	defer h.writers.Done()
	d := net.Dialer{Timeout: dialTimeout}
	up, err := d.DialContext(h.ctx, h.network, h.address)
	c.mu.Lock()
	switch {
	case err != nil:
		c.breakLocked(err.Error())
	case c.broken:
		reset(up)
	default:
		c.up = up
	}
	for {
		if c.broken || len(c.pending) == 0 {
			if c.eof {
				break
			}
			c.mu.Unlock()
			<-c.wake
			c.mu.Lock()
			continue
		}
		bufs, n := c.pending, c.pendingBytes
		c.pending, c.pendingBytes = nil, 0
		c.mu.Unlock()
		w, err := c.write(bufs)
		h.held.Add(-n)
		c.mu.Lock()
		c.posted += w
		if err != nil {
			c.breakLocked(err.Error())
		}
	}
	if !c.broken {
		_ = c.up.Close() // the upstream reads to the end, as from the sender
	}
	lost, reason := c.received-c.posted+c.discarded, c.reason
	c.mu.Unlock()
	h.mu.Lock()
	delete(h.conns, c.no)
	h.mu.Unlock()
	if lost > 0 {
		h.lose(lost, 0, 1, reason)
	}
}

// write sends one batch. A unixpacket upstream gets one message per read
// of the connection, as the listener got them: writev would glue them.
func (c *upConn) write(bufs net.Buffers) (int64, error) {
	if c.h.network != "unixpacket" {
		return bufs.WriteTo(c.up)
	}
	var total int64
	for _, b := range bufs {
		n, err := c.up.Write(b)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
