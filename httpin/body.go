package httpin

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"

	"github.com/influxdata/telegraf/plugins/inputs/http_listener_v2"
)

// maxPostHandlerReadBytes is net/http's own (server.go): after a handler
// returns, net/http reads and throws away at most this much of a body the
// handler left unread, to keep the connection; with more left, it closes
// the connection after the answer (Connection: close).
const maxPostHandlerReadBytes = 256 << 10

// body is the request body a plugin reads: what the wrapper read before
// taking the input's lock (head), then the rest of the request's own body,
// kept as the plugin pulls it (rest).
//
// Reading early changes what Telegraf's server does with the connection,
// which it decides from how much of the body the handler read. So the
// wrapper reads early only what the plugin would read anyway, and makes up
// for the rest after the plugin answered (closeAfter):
//
//   - a body announced larger than max_body_size is not read early: every
//     path of the three plugins answers it without reading
//     (influxdb_listener.go handleWrite, influxdb_v2_listener.go
//     handleWrite, http_listener_v2.go serveWrite: the Content-Length
//     check);
//   - neither is the body of a request that says "Expect: 100-continue":
//     net/http sends 100 Continue only when the handler reads, and closes
//     the connection when it answered without (server.go
//     expectContinueReader); the sender is waiting for that answer, so it
//     is no slow sender holding the lock;
//   - when the plugin's http.MaxBytesReader hits max_body_size, net/http
//     closes the connection after the answer; MaxBytesReader tells it
//     through an unexported method of net/http's response writer
//     (request.go maxBytesReader.Read), which the recorder the plugin
//     writes to cannot have, so the wrapper tells it afterwards
//     (closeAfterReply);
//   - a body the plugin left unread (a 401, a 404) that net/http would
//     not have drained (256 KiB or more) closes the connection too.
type body struct {
	orig     io.ReadCloser
	head     []byte
	early    bool // head was read before the plugin ran
	rest     bytes.Buffer
	r        io.Reader
	consumed int64 // bytes the plugin read
	// headWhole: the early read reached the body's end; eof: the plugin's
	// reads did. Either way head and rest hold the whole body.
	headWhole, eof bool
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.consumed += int64(n)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

// whole reports whether the body arrived whole before the plugin ran.
func (b *body) whole() bool { return b.headWhole }

func (b *body) Close() error { return b.orig.Close() }

// readBody reads the request's body early, at most max_body_size+1 bytes
// (enough for the plugin's http.MaxBytesReader to see that it is too
// large), unless the plugin would not read it (see body).
func readBody(r *http.Request, maxBody int64) *body {
	b := &body{orig: r.Body}
	var tail io.Reader = io.TeeReader(r.Body, &b.rest)
	if r.ContentLength <= maxBody && !expectsContinue(r) {
		b.early = true
		head, err := readAllSized(r.Body, maxBody+1, r.ContentLength)
		b.head = head
		// Fewer bytes than the limit without an error: io.EOF.
		b.headWhole = err == nil && int64(len(head)) <= maxBody
		if err != nil {
			// The plugin meets the error where it came: after the bytes
			// that arrived (a sender that stopped half-way).
			tail = errReader{err}
		}
	}
	b.r = io.MultiReader(bytes.NewReader(b.head), tail)
	return b
}

// expectsContinue is net/http's test for wrapping a body in its
// expectContinueReader (server.go conn.serve).
func expectsContinue(r *http.Request) bool {
	for _, v := range strings.Split(r.Header.Get("Expect"), ",") {
		if strings.EqualFold(strings.TrimSpace(v), "100-continue") {
			return r.ProtoAtLeast(1, 1) && r.ContentLength != 0
		}
	}
	return false
}

// closeAfter reports whether Telegraf's server closes the connection after
// this answer where fakegraf's would not by itself (see body).
func (b *body) closeAfter(in *input, r *http.Request) bool {
	if b.limitHit(in, r) {
		return true
	}
	if !b.early || b.consumed >= int64(len(b.head)) {
		// Every byte past what was read early went through the plugin's
		// reads: net/http knows what Telegraf's knows.
		return false
	}
	if r.ContentLength >= 0 {
		// net/http's body.unreadDataSizeLocked: what the plugin did not read.
		return r.ContentLength-b.consumed >= maxPostHandlerReadBytes
	}
	// Chunked: net/http reads up to 256 KiB + 1 of what is left and
	// closes if that much was there. Left: what the plugin did not take
	// of head, then whatever the sender still sends.
	left := int64(len(b.head)) - b.consumed
	if left > maxPostHandlerReadBytes {
		return true
	}
	n, _ := io.CopyN(io.Discard, b.orig, maxPostHandlerReadBytes+1-left)
	return left+n > maxPostHandlerReadBytes
}

// drain reads what is left of a body that was not read early and that
// net/http would now read and throw away itself (less than 256 KiB, and no
// client waiting for 100 Continue: server.go chunkWriter.writeHeader), so
// that the record holds the bytes that arrived; the connection fares as in
// Telegraf, where net/http reads them.
func (b *body) drain(r *http.Request) {
	if b.early || expectsContinue(r) || r.ContentLength < 0 ||
		r.ContentLength-b.consumed >= maxPostHandlerReadBytes {
		return
	}
	_, _ = io.Copy(&b.rest, io.LimitReader(b.orig, maxPostHandlerReadBytes))
}

// limitHit reports whether the plugin's http.MaxBytesReader read past
// max_body_size. influxdb_listener and influxdb_v2_listener read the body
// only through one, over the bytes on the wire (handleWrite), so it hit
// its limit exactly when it read more than max_body_size of them.
// http_listener_v2 has one only over the gunzipped body of a gzip request
// (collectBody): it hit when that body is larger than max_body_size and the
// plugin got as far as reading it.
func (b *body) limitHit(in *input, r *http.Request) bool {
	if _, ok := in.plugin.(*http_listener_v2.HTTPListenerV2); !ok {
		return b.consumed > in.maxBody
	}
	if r.Header.Get("Content-Encoding") != "gzip" || b.consumed == 0 {
		return false
	}
	zr, err := gzip.NewReader(io.MultiReader(bytes.NewReader(b.head), bytes.NewReader(b.rest.Bytes())))
	if err != nil {
		return false
	}
	n, _ := io.Copy(io.Discard, io.LimitReader(zr, in.maxBody+1))
	return n > in.maxBody
}

// closeAfterReply makes net/http close the connection after the answer,
// with Connection: close, as a handler's http.MaxBytesReader does when it
// reads past its limit: here one over w itself, with a limit of zero.
func closeAfterReply(w http.ResponseWriter) {
	_, _ = http.MaxBytesReader(w, io.NopCloser(strings.NewReader("x")), 0).Read(make([]byte, 1))
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
