package listener

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/common/socket"
)

// Config is what one [[inputs.socket_listener]] says about its socket.
type Config struct {
	Address string // service_address, as written in the config
	Socket  socket.Config
	Split   socket.SplitConfig
	Log     telegraf.Logger // receives Telegraf's own socket warnings; nil discards them
}

// Handler receives what a Listener sees. Its methods are called from many
// goroutines; a slow handler slows the senders down (stream sockets) but never
// loses a record.
type Handler interface {
	Record(Record)
	Conn(ConnEvent)
	Transport(Transport)
}

// Tap is implemented by a Handler that also wants the bytes of each stream
// connection as they came off the socket: before content decoding and
// before framing, one Chunk per read, in order, from the connection's
// reader goroutine, between its opening and closing ConnEvent. Records
// cannot give them back: framing drops terminators (a "\r\n" and a "\n"
// give the same record) and the bytes a scanner error leaves unread. The
// capture package taps so that a capture is framed again, by `fakegraf
// check` or by a real Telegraf, exactly as the socket framed it.
type Tap interface {
	Chunk(Chunk)
}

// Chunk is one read from a stream connection, as it came off the socket.
// Data is only valid during the call.
type Chunk struct {
	Listener string
	Peer     string
	Conn     uint64
	Data     []byte
	Received time.Time
}

// Transport is something that happened to a socket rather than inside a
// record: an error Telegraf's socket code logs (with Telegraf's message), or a
// loss it does not log at all. Err says which, through errors.Is against the
// sentinels of this package, bufio.ErrTooLong or the decoder's errors.
type Transport struct {
	Listener string // URL of the listener
	Peer     string // the sender, where known
	Conn     uint64 // the stream connection, where known
	// Record is the record the event is about, where known: a message
	// Telegraf's own plugin logged about a line of it (statsd's parse
	// errors); 0 for an event about the socket.
	Record uint64
	Err    error
	// Dropped and Total count datagrams for ErrKernelDrops: since the last
	// event, and since the socket was bound.
	Dropped, Total uint64
}

// Sentinels for Transport.Err. Each wraps into an error with Telegraf's own
// message where Telegraf logs one.
var (
	// ErrSourceNotAllowed marks data refused by allowed_sources, which
	// Telegraf drops with at most a debug log line.
	ErrSourceNotAllowed = errors.New("source not in allowed_sources")
	// ErrTooManyConnections marks a connection refused by max_connections
	// (plugins/common/socket/stream.go setupConnection).
	ErrTooManyConnections = errors.New("too many connections")
	// ErrPacketTruncated marks unixpacket messages the kernel cut short.
	ErrPacketTruncated = errors.New("unixpacket messages truncated")
	// ErrKernelDrops marks datagrams the kernel dropped because the
	// socket's receive buffer was full: Telegraf never sees them.
	ErrKernelDrops = errors.New("datagrams dropped by the kernel")
	// ErrForwardLoss marks bytes that arrived and were validated but could
	// not be passed on to the upstream of --forward (package forward): the
	// upstream was down, too slow, or refused them. Dropped counts the bytes.
	ErrForwardLoss = errors.New("not forwarded")
	// ErrCaptureLoss marks bytes that a tcpdump capture being checked
	// lost (the snaplen, packets the kernel dropped, fragments), and
	// ErrCaptureCut records cut by the capture's start or end: the check
	// did not see them, the sender may well have sent them whole.
	ErrCaptureLoss = errors.New("lost by the capture")
	ErrCaptureCut  = errors.New("cut by the capture's start or end")
)

// blockedSourceLogger turns the debug line Telegraf's datagram listener logs
// for a datagram from a source not in allowed_sources
// (plugins/common/socket/datagram.go listenData) into an error fakegraf
// reports: otherwise the datagram vanishes without a trace.
type blockedSourceLogger struct {
	telegraf.Logger
	l *Listener
}

func (b blockedSourceLogger) Debugf(format string, args ...interface{}) {
	if format == "Received message from blocked IP: %s" && len(args) == 1 {
		b.l.report(Transport{Peer: fmt.Sprint(args[0]), Err: fmt.Errorf("%w: datagram from %v dropped", ErrSourceNotAllowed, args[0])})
		return
	}
	b.Logger.Debugf(format, args...)
}

// Record is one unit handed to the parser: a datagram, or one token of a stream.
type Record struct {
	Listener string // URL of the listener, with the bound address
	Peer     string // remote address; the socket path on unix sockets, as Telegraf reports it
	Conn     uint64 // connection number on this listener, from 1; 0 on datagram sockets
	Seq      uint64 // record number on this listener, from 1
	Data     []byte // the bytes the parser gets, terminator removed as Telegraf removes it
	Size     int    // bytes the record took on the wire, terminator included
	Stream   bool   // came from a stream socket (tcp, unix, unixpacket)

	// Terminated is false for a stream record that had no terminator and was
	// delivered only because the connection ended (closed, reset or timed out).
	Terminated bool
	// Truncated is true for a datagram that filled the read buffer: the
	// kernel has cut off whatever did not fit.
	Truncated bool
	Received  time.Time

	// Plugin is set when Telegraf's own input plugin decided what this
	// record stores (plugin.go); nil for socket_listener, whose records
	// fakegraf parses itself.
	Plugin *PluginOutput
	// HTTP is the request and its answer, for a record that was an HTTP
	// request to one of Telegraf's HTTP inputs; nil otherwise.
	HTTP *Exchange
}

// ConnEvent reports a stream connection opening or closing.
type ConnEvent struct {
	Listener string
	Peer     string
	Conn     uint64
	Open     bool
	Time     time.Time

	// Set when the connection closes.
	Records      int
	Bytes        int64  // read from the connection (after content decoding)
	PendingBytes int64  // read but never handed to the parser (cut by a scanner error)
	Reason       string // why it ended: "closed", "read timeout", or the scanner's error
	ReadTimeout  bool   // probably ended by read_timeout
	Err          error  // the scanner's error, if any
}

// Listener is one bound socket.
type Listener struct {
	cfg      Config
	handler  Handler
	sock     *socket.Socket
	scheme   string
	stream   bool
	url      string
	splitter bufio.SplitFunc
	bufSize  int           // datagram read buffer, to tell truncation
	dgramFD  int           // a duplicate of the datagram socket's descriptor, for Busy; -1 if none
	streams  *streamServer // tcp, unix, unixpacket

	seq   atomic.Uint64
	conns atomic.Uint64
	peer  atomic.Pointer[udpPeer] // the last UDP sender, named once
}

// udpPeer caches the text of a UDP sender's address: a sender keeps its
// address, and formatting it for every datagram was a tenth of the cost of
// a datagram.
type udpPeer struct {
	addr netip.AddrPort
	text string
}

// Scheme reports the URL scheme of an address, lower case, or "" when it has none.
func Scheme(address string) string {
	u, err := url.Parse(address)
	if err != nil {
		return ""
	}
	return u.Scheme
}

// IsStream reports whether a scheme is a stream socket in Telegraf's sense
// (plugins/common/socket/socket.go Setup).
func IsStream(scheme string) bool {
	switch scheme {
	case "tcp", "tcp4", "tcp6", "unix", "unixpacket", "vsock":
		return true
	}
	return false
}

// Validate checks a config the way socket_listener's Init does, without binding.
func Validate(cfg Config) error {
	_, err := newSocket(cfg, logger(cfg.Log))
	return err
}

func newSocket(cfg Config, log telegraf.Logger) (*socket.Socket, error) {
	if err := checkSocketPath(cfg.Address); err != nil {
		return nil, err
	}
	sc := cfg.Socket
	sp := cfg.Split
	sock, err := sc.NewSocket(cfg.Address, &sp, log)
	if err != nil {
		return nil, err
	}
	scheme := Scheme(cfg.Address)
	if !IsStream(scheme) {
		// Telegraf panics in its parse pool on every datagram when the
		// decoder cannot be built (datagram.go setupDecoder returns nil);
		// refuse to start instead of losing every datagram.
		switch cfg.Socket.ContentEncoding {
		case "", "identity", "gzip", "zlib", "zstd", "auto":
		default:
			return nil, fmt.Errorf("invalid content_encoding %q for %s: use one of gzip, zlib, zstd, auto, identity", cfg.Socket.ContentEncoding, scheme)
		}
	}
	return sock, nil
}

// Listen binds the socket described by cfg and starts handing records to h.
// It returns once the socket is bound and ready.
func Listen(cfg Config, h Handler) (*Listener, error) {
	l := &Listener{cfg: cfg, handler: h, scheme: Scheme(cfg.Address), dgramFD: -1}
	sock, err := newSocket(cfg, blockedSourceLogger{Logger: logger(cfg.Log), l: l})
	if err != nil {
		return nil, err
	}
	l.sock = sock
	l.stream = IsStream(l.scheme)
	if l.stream {
		sp := cfg.Split
		if l.splitter, err = sp.NewSplitter(); err != nil {
			return nil, err
		}
	}
	if l.stream && l.scheme != "vsock" {
		if l.streams, err = newStreamServer(l); err != nil {
			return nil, err
		}
		l.url = l.scheme + "://" + l.streams.addr().String()
		l.streams.serve()
		return l, nil
	}
	if err := sock.Setup(); err != nil {
		return nil, err
	}
	if l.stream {
		// vsock fails in Telegraf v1.37.2's Setup (issue #19685); should it
		// ever bind, fakegraf does not read it.
		sock.Close()
		return nil, errors.New("fakegraf does not serve vsock sockets")
	}
	l.url = l.scheme + "://" + sock.Address().String() // unixgram: the path, so unixgram:///tmp/x.sock
	l.dgramFD = datagramFD(sock.Address())
	l.bufSize = 64 * 1024
	if strings.HasPrefix(l.scheme, "unixgram") && cfg.Socket.ReadBufferSize > 0 {
		l.bufSize = int(cfg.Socket.ReadBufferSize)
	}
	sock.Listen(l.onDatagram, l.onError)
	return l, nil
}

// checkSocketPath refuses to bind a unix socket over a file that is not a
// socket. Telegraf removes whatever is at the path first (stream.go
// setupUnix, datagram.go setupUnixgram), so a typo in service_address can
// delete a user's file; a debugging tool must not.
func checkSocketPath(address string) error {
	u, err := url.Parse(address)
	if err != nil || !strings.HasPrefix(u.Scheme, "unix") {
		return nil
	}
	st, err := os.Lstat(u.Path)
	if err != nil {
		return nil
	}
	if st.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("%s exists and is not a socket: Telegraf would delete it to bind there; fakegraf will not (remove it yourself or choose another path)", u.Path)
	}
	// A socket file someone still listens on (a real Telegraf, another
	// fakegraf): Telegraf would unlink it and take the path over, leaving
	// the other program deaf. A stale one refuses the dial and is replaced.
	network := u.Scheme
	if c, err := net.DialTimeout(network, u.Path, 200*time.Millisecond); err == nil {
		c.Close()
		return fmt.Errorf("listen %s %s: %w (another program, perhaps a real Telegraf, is listening on it: stop it or choose another path)", network, u.Path, syscall.EADDRINUSE)
	}
	return nil
}

// URL is the listener's address as scheme://host:port (with the real port
// when the config said :0) or scheme:///path.
func (l *Listener) URL() string { return l.url }

// Addr is the bound address.
func (l *Listener) Addr() net.Addr {
	if l.streams != nil {
		return l.streams.addr()
	}
	return l.sock.Address()
}

// Stream reports whether this is a stream socket.
func (l *Listener) Stream() bool { return l.stream }

// Close stops accepting, lets every open connection deliver what it has
// already received, and waits until every record has been handed out.
func (l *Listener) Close() {
	if l.streams != nil {
		l.streams.close()
		return
	}
	if l.dgramFD >= 0 {
		closeFD(l.dgramFD)
		l.dgramFD = -1
	}
	l.sock.Close()
}

func (l *Listener) onError(err error) { l.report(Transport{Err: err}) }

// report hands a transport event to the handler, naming this listener.
func (l *Listener) report(t Transport) {
	// Closing our end of a connection pipe (after a scanner error) makes
	// Telegraf's copy loop fail; Telegraf itself never sees that error.
	if errors.Is(t.Err, io.ErrClosedPipe) {
		return
	}
	t.Listener = l.url
	l.handler.Transport(t)
}

func (l *Listener) onDatagram(src net.Addr, data []byte, received time.Time) {
	rec := Record{
		Listener:   l.url,
		Peer:       l.peerString(src),
		Seq:        l.seq.Add(1),
		Data:       data,
		Size:       len(data),
		Terminated: true,
		Truncated:  l.cfg.Socket.ContentEncoding == "" && len(data) >= l.bufSize,
		Received:   received,
	}
	l.handler.Record(rec)
}

func (l *Listener) peerString(a net.Addr) string {
	if u, ok := a.(*net.UDPAddr); ok && u != nil {
		ap := u.AddrPort()
		if last := l.peer.Load(); last != nil && last.addr == ap {
			return last.text
		}
		text := peerString(a)
		l.peer.Store(&udpPeer{addr: ap, text: text})
		return text
	}
	return peerString(a)
}

func peerString(a net.Addr) string {
	if a == nil {
		return ""
	}
	if s := a.String(); s != "" {
		return s
	}
	return "@"
}

// splitTracker wraps Telegraf's split function to learn how many bytes each
// token took and whether the token ended with its terminator.
type splitTracker struct {
	inner      bufio.SplitFunc
	consumed   int64
	terminated bool
}

func (s *splitTracker) split(data []byte, atEOF bool) (int, []byte, error) {
	advance, token, err := s.inner(data, atEOF)
	if advance > 0 {
		s.consumed += int64(advance)
	}
	if token != nil {
		s.terminated = true
		if atEOF {
			// A token the splitter would not have given without EOF had no
			// terminator: it was delivered because the connection ended.
			a2, t2, _ := s.inner(data, false)
			s.terminated = a2 > 0 && t2 != nil
		}
	}
	return advance, token, err
}

type countingReader struct {
	r     io.Reader
	n     atomic.Int64
	last  time.Time // when the last bytes arrived: the records in them were received then
	clock func() time.Time
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.n.Add(int64(n))
		c.last = c.clock()
	}
	return n, err
}

// StreamOptions describe one stream connection for ReadStream.
type StreamOptions struct {
	Listener, Peer string
	Conn           uint64
	Splitter       bufio.SplitFunc // from SplitConfig.NewSplitter
	ReadBufferSize int             // read_buffer_size
	// Packet says that every Read returns one message, cut to the space
	// the scanner's buffer has left (unixpacket): the buffer is then all
	// of read_buffer_size from the start, as Telegraf's, so that a long
	// message is cut where Telegraf cuts it.
	Packet bool
	Seq    *atomic.Uint64 // record counter of the listener; nil starts at 1
	// BeforeScan runs before every record (the listener sets the
	// read_timeout deadline there); an error ends the stream.
	BeforeScan func() error
	// Clock says when the bytes just read arrived: a record's Received
	// and the closing event's Time. nil is time.Now; a capture being
	// checked gives the times it recorded, so that the rules that compare
	// a timestamp with the arrival see what they saw live.
	Clock func() time.Time
}

// slab is where a connection's records' bytes are copied out of the
// scanner's buffer, which the next Scan overwrites: one allocation for many
// small records instead of one for each (a line's allocation was a fortieth
// of fakegraf's CPU on tcp/influx). Its blocks grow from slabFirst to
// slabMax as the connection sends, so that a connection of one short line
// holds a few hundred bytes, not slabMax.
//
// A block's bytes are written once: a Result that is kept keeps its bytes,
// with at most slabMax of its neighbours'. A copy's capacity is its length,
// so that an append to it (Telegraf's wavefront parser appends a newline)
// cannot write into the next record's bytes.
type slab struct {
	free []byte
	next int // the size of the next block
}

const (
	slabFirst = 256
	slabMax   = 4096
)

// copy returns a copy of tok that lives as long as it is referenced.
func (s *slab) copy(tok []byte) []byte {
	if len(tok) == 0 {
		return []byte{}
	}
	if len(tok) > len(s.free) {
		s.next = min(max(2*s.next, slabFirst), slabMax)
		s.free = make([]byte, max(s.next, len(tok)))
	}
	data := s.free[:len(tok):len(tok)]
	copy(data, tok)
	s.free = s.free[len(tok):]
	return data
}

// ReadStream splits one stream connection into records exactly as Telegraf's
// plugins/common/socket/stream.go read does, calls emit for each, and returns
// the closing ConnEvent with the scanner's error, if any, in Err. fakegraf
// check uses it for files, so that a capture is framed like a connection.
func ReadStream(r io.Reader, o StreamOptions, emit func(Record)) ConnEvent {
	if o.Seq == nil {
		o.Seq = new(atomic.Uint64)
	}
	if o.Splitter == nil {
		o.Splitter = bufio.ScanLines
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	cr := &countingReader{r: r, clock: o.Clock}
	sc := bufio.NewScanner(cr)
	// stream.go read(): the default 64 KiB buffer unless read_buffer_size is
	// larger. Telegraf allocates all of read_buffer_size at once; only its
	// size as the longest record matters to the framing, so the buffer starts
	// at 64 KiB and the scanner doubles it up to that size when a record
	// needs it (the same ErrTooLong at the same length). The whole buffer was
	// resident for every connection: 8 MiB of a tcp/influx run's 49 MiB.
	if o.ReadBufferSize > bufio.MaxScanTokenSize {
		start := bufio.MaxScanTokenSize
		if o.Packet {
			start = o.ReadBufferSize
		}
		sc.Buffer(make([]byte, start), o.ReadBufferSize)
	}
	st := &splitTracker{inner: o.Splitter}
	sc.Split(st.split)

	records := 0
	var consumed int64
	var hookErr error
	var copies slab
	for {
		if o.BeforeScan != nil {
			if hookErr = o.BeforeScan(); hookErr != nil {
				break
			}
		}
		if !sc.Scan() {
			break
		}
		tok := sc.Bytes()
		data := copies.copy(tok)
		size := st.consumed - consumed
		consumed = st.consumed
		records++
		emit(Record{
			Listener:   o.Listener,
			Peer:       o.Peer,
			Conn:       o.Conn,
			Seq:        o.Seq.Add(1),
			Data:       data,
			Size:       int(size),
			Stream:     true,
			Terminated: st.terminated,
			Received:   cr.last,
		})
	}
	ev := ConnEvent{Listener: o.Listener, Peer: o.Peer, Conn: o.Conn, Time: o.Clock(), Records: records, Reason: "closed"}
	if err := sc.Err(); err != nil {
		ev.Err = err
		ev.Reason = err.Error()
	} else if hookErr != nil {
		ev.Err = hookErr
		ev.Reason = hookErr.Error()
	}
	ev.Bytes = cr.n.Load()
	ev.PendingBytes = ev.Bytes - st.consumed
	return ev
}
