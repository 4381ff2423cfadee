package capture

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/fakegraf/fakegraf/listener"
)

// DefaultMax is --capture-max's default.
const DefaultMax = 1 << 30

// maxPending bounds what the writer holds in memory for a disk that has
// fallen behind; waitPending is how long an event waits for the disk
// before the capture is cut instead.
const (
	maxPending  = 32 << 20
	waitPending = time.Second
)

// cutReserve is room kept under the size limit for the cut entry.
const cutReserve = 512

// Input describes the input a listener serves, for its listener entry.
type Input struct {
	Number          int // position in the config, from 1
	Kind            string
	DataFormat      string
	ContentEncoding string
}

// Status is what a Writer did.
type Status struct {
	Path    string
	Bytes   int64 // written to the file
	Entries int
	// Cut is why the capture stopped before the run did ("" when it did
	// not): the size limit, a disk that fell behind, or a write error.
	Cut     string
	CutTime time.Time
	Err     error // the write error, if any
}

// Writer writes a capture from a run's listeners. Events are encoded into a
// buffer under a lock, and a goroutine writes the buffer to the file, so a
// slow disk never holds up the socket's reader: past maxPending bytes
// waiting for waitPending, the capture is cut. It is safe for concurrent
// use.
type Writer struct {
	w      io.Writer
	closer io.Closer
	max    int64

	mu        sync.Mutex
	pending   []byte
	spare     []byte
	flushed   chan struct{} // closed and replaced whenever pending is taken
	wake      chan struct{}
	size      int64 // bytes accepted: header and entries, written or pending
	status    Status
	listeners map[string]uint64
	closed    bool
	done      chan struct{}
	onCut     func(Status)
}

// NewWriter starts a capture on w with header h, cut at max bytes (0:
// DefaultMax). onCut, if not nil, is called once, from the goroutine of the
// event that cut the capture, so that the run can say so at once.
func NewWriter(w io.Writer, h Header, max int64, onCut func(Status)) *Writer {
	if max <= 0 {
		max = DefaultMax
	}
	if h.Created.IsZero() {
		h.Created = time.Now()
	}
	cw := &Writer{w: w, max: max, flushed: make(chan struct{}), wake: make(chan struct{}, 1),
		listeners: map[string]uint64{}, done: make(chan struct{}), onCut: onCut}
	if c, ok := w.(io.Closer); ok {
		cw.closer = c
	}
	cw.pending = appendHeader(cw.pending, h)
	cw.size = int64(len(cw.pending))
	go cw.loop()
	cw.kick()
	return cw
}

func (cw *Writer) kick() {
	select {
	case cw.wake <- struct{}{}:
	default:
	}
}

// loop writes what is pending until Close.
func (cw *Writer) loop() {
	defer close(cw.done)
	for range cw.wake {
		cw.mu.Lock()
		buf := cw.pending
		cw.pending = cw.spare[:0]
		close(cw.flushed)
		cw.flushed = make(chan struct{})
		closing := cw.closed
		failed := cw.status.Err != nil
		cw.mu.Unlock()
		if len(buf) > 0 && !failed {
			n, err := cw.w.Write(buf)
			cw.mu.Lock()
			cw.status.Bytes += int64(n)
			if err != nil && cw.status.Err == nil {
				cw.status.Err = err
				cw.cutLocked(fmt.Sprintf("writing the capture failed: %v", err), time.Now(), false)
			}
			cw.mu.Unlock()
		}
		cw.mu.Lock()
		cw.spare = buf[:0]
		if closing && len(cw.pending) == 0 {
			cw.mu.Unlock()
			return
		}
		cw.mu.Unlock()
	}
}

// addLocked encodes e and queues it, or cuts the capture when it does not
// fit. It may let go of the lock while the disk catches up.
func (cw *Writer) addLocked(e *Entry) {
	for {
		if cw.status.Cut != "" || cw.closed {
			return
		}
		if len(cw.pending) < maxPending {
			break
		}
		// The disk is behind: wait for it a little, then give up on the
		// capture rather than on the run.
		ch := cw.flushed
		cw.mu.Unlock()
		t := time.NewTimer(waitPending)
		select {
		case <-ch:
			t.Stop()
			cw.mu.Lock()
			continue
		case <-t.C:
		}
		cw.mu.Lock()
		if len(cw.pending) >= maxPending {
			cw.cutLocked(fmt.Sprintf("the disk fell behind: %d MiB waited more than %s to be written", maxPending>>20, waitPending), e.Time, true)
			return
		}
	}
	start := len(cw.pending)
	cw.pending = appendEntry(cw.pending, e)
	n := int64(len(cw.pending) - start)
	if cw.size+n > cw.max-cutReserve {
		cw.pending = cw.pending[:start]
		cw.cutLocked(fmt.Sprintf("the capture reached --capture-max (%d bytes)", cw.max), e.Time, true)
		return
	}
	cw.size += n
	cw.status.Entries++
	cw.kick()
}

// cutLocked ends the capture with a cut entry (when the file can still take
// one) and tells onCut.
func (cw *Writer) cutLocked(reason string, at time.Time, entry bool) {
	if cw.status.Cut != "" {
		return
	}
	if at.IsZero() {
		at = time.Now()
	}
	cw.status.Cut, cw.status.CutTime = reason, at
	if entry {
		cw.pending = appendEntry(cw.pending, &Entry{Kind: KindCut, Time: at, Reason: reason})
		cw.kick()
	}
	if cw.onCut != nil {
		st := cw.status
		go cw.onCut(st) // not under the lock: it may print, and printing may block
	}
}

// Close writes what is pending, closes the file (when w was a Closer) and
// returns what the capture holds.
func (cw *Writer) Close() Status {
	cw.mu.Lock()
	if cw.closed {
		st := cw.status
		cw.mu.Unlock()
		return st
	}
	cw.closed = true
	cw.mu.Unlock()
	cw.kick()
	<-cw.done
	if cw.closer != nil {
		if err := cw.closer.Close(); err != nil && cw.status.Err == nil {
			cw.status.Err = err
		}
	}
	cw.mu.Lock()
	defer cw.mu.Unlock()
	return cw.status
}

// listenerID returns the number of the listener at url, writing its entry
// the first time.
func (cw *Writer) listenerIDLocked(url string, in Input) uint64 {
	if id, ok := cw.listeners[url]; ok {
		return id
	}
	id := uint64(len(cw.listeners) + 1)
	cw.listeners[url] = id
	cw.addLocked(&Entry{Kind: KindListener, Listener: id, Input: uint64(in.Number), URL: url,
		InputKind: in.Kind, DataFormat: in.DataFormat, ContentEncoding: in.ContentEncoding})
	return id
}

func (cw *Writer) event(url string, in Input, e *Entry) {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	if cw.status.Cut != "" || cw.closed {
		return
	}
	e.Listener = cw.listenerIDLocked(url, in)
	cw.addLocked(e)
}

// Handler wraps the handler of one listener serving in: every event goes on
// to h unchanged, and what arrived goes into the capture first.
func (cw *Writer) Handler(in Input, h listener.Handler) listener.Handler {
	return &handler{cw: cw, in: in, next: h}
}

// handler is a listener.Handler and a listener.Tap. It sits in front of
// the listener's own handler, so it sees stream bytes as they came off the
// socket (Chunk) and datagrams and HTTP requests as the listener handed
// them out, before anything fakegraf adds; a serve.Sink would see them only
// after framing and parsing, and could not keep a glued JSON stream glued.
type handler struct {
	cw   *Writer
	in   Input
	next listener.Handler
}

func (h *handler) Chunk(c listener.Chunk) {
	h.cw.event(c.Listener, h.in, &Entry{Kind: KindChunk, Conn: c.Conn, Time: c.Received, Data: c.Data})
	if t, ok := h.next.(listener.Tap); ok {
		t.Chunk(c)
	}
}

func (h *handler) Record(r listener.Record) {
	switch {
	case r.HTTP != nil:
		x := r.HTTP
		var hdr [][2]string
		for _, kv := range [][2]string{{"Content-Type", x.ContentType}, {"Content-Encoding", x.ContentEncoding}, {"User-Agent", x.UserAgent}} {
			if kv[1] != "" {
				hdr = append(hdr, kv)
			}
		}
		// The announced length decides a body too large without the body
		// (check needs it); of Authorization only that it was sent.
		if x.ContentLength >= 0 {
			hdr = append(hdr, [2]string{"Content-Length", strconv.FormatInt(x.ContentLength, 10)})
		}
		if x.Authorization {
			hdr = append(hdr, [2]string{"Authorization", AuthorizationNotKept})
		}
		h.cw.event(r.Listener, h.in, &Entry{Kind: KindRequest, Conn: r.Conn, Time: r.Received, Peer: r.Peer,
			Method: x.Method, Path: x.Path, Query: x.Query, Header: hdr, Data: r.Data})
	case r.Stream || r.Plugin != nil && r.Plugin.Flush:
		// A stream's bytes came as chunks; a statsd flush carries none.
	default:
		h.cw.event(r.Listener, h.in, &Entry{Kind: KindDatagram, Time: r.Received, Peer: r.Peer, Flag: r.Truncated, Data: r.Data})
	}
	h.next.Record(r)
}

func (h *handler) Conn(ev listener.ConnEvent) {
	if ev.Open {
		h.cw.event(ev.Listener, h.in, &Entry{Kind: KindOpen, Conn: ev.Conn, Time: ev.Time, Peer: ev.Peer})
	} else {
		h.cw.event(ev.Listener, h.in, &Entry{Kind: KindClose, Conn: ev.Conn, Time: ev.Time, Reason: ev.Reason, Flag: ev.ReadTimeout})
	}
	h.next.Conn(ev)
}

func (h *handler) Transport(t listener.Transport) {
	if kind := transportKind(t); kind != "" {
		h.cw.event(t.Listener, h.in, &Entry{Kind: KindTransport, Conn: t.Conn, Time: time.Now(), Peer: t.Peer,
			Event: kind, Reason: t.Err.Error(), Dropped: t.Dropped, Total: t.Total, Record: t.Record})
	}
	h.next.Transport(t)
}

// AuthorizationNotKept is the value a capture gives the Authorization
// header of a request that sent one: the credentials are a secret.
const AuthorizationNotKept = "(not kept)"

// transportKinds are the losses at a socket that leave no bytes to capture:
// check cannot see them again from the bytes, so the capture keeps them.
// A scanner error on a connection is not among them: check meets it again
// when it frames the captured bytes.
var transportKinds = []struct {
	name string
	err  error
}{
	{"source-not-allowed", listener.ErrSourceNotAllowed},
	{"too-many-connections", listener.ErrTooManyConnections},
	{"packet-truncated", listener.ErrPacketTruncated},
	{"kernel-drops", listener.ErrKernelDrops},
	{"http-refused", listener.ErrHTTPRefused},
	{"http-server", listener.ErrHTTPServer},
}

func transportKind(t listener.Transport) string {
	if t.Err == nil {
		return ""
	}
	for _, k := range transportKinds {
		if errors.Is(t.Err, k.err) {
			return k.name
		}
	}
	if t.Conn == 0 && t.Record == 0 {
		return "socket-error" // an accept or read error of the socket itself
	}
	return ""
}

// TransportError rebuilds the error of a captured transport entry: its
// text as Telegraf or fakegraf wrote it, matching the sentinel it matched.
func TransportError(e *Entry) error {
	for _, k := range transportKinds {
		if k.name == e.Event {
			return &capturedError{msg: e.Reason, sentinel: k.err}
		}
	}
	return &capturedError{msg: e.Reason}
}

type capturedError struct {
	msg      string
	sentinel error
}

func (e *capturedError) Error() string { return e.msg }
func (e *capturedError) Unwrap() error { return e.sentinel }

// headerValue is the value of a captured request header, "" when absent.
func headerValue(e *Entry, name string) string {
	for _, h := range e.Header {
		if http.CanonicalHeaderKey(h[0]) == http.CanonicalHeaderKey(name) {
			return h[1]
		}
	}
	return ""
}
