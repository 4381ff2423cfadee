package pcap

import (
	"bufio"
	"errors"
	"io"
	"net/http"

	"github.com/fakegraf/fakegraf/listener"
)

// maxHTTPBody bounds what runHTTP reads of one request's body before
// serving it, beyond Input.MaxBody: Telegraf's server never reads more
// than max_body_size+1 bytes into the plugin, then at most 256 KiB it
// throws away (net/http's maxPostHandlerReadBytes).
const maxHTTPBody = 256<<10 + 1

// neverSplit is the splitter of an HTTP connection's reader after a hole:
// where the next request begins is unknown, so every byte after it is
// counted as unchecked (chunkReader.skipOver).
func neverSplit([]byte, bool) (int, []byte, error) { return 0, nil, nil }

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// runHTTP reads a connection to one of Telegraf's HTTP inputs as net/http
// reads it: request after request (keep-alive, pipelined), each handed to
// Input.Serve with its body. A request a hole or the capture's end cut is
// not served, since the plugin would have answered bytes the sender did not
// send: its bytes, and every byte after a hole (where the next request
// begins is unknown), are counted in Loss.Unchecked. A request net/http
// could not read is what its server answers 400 to and closes on
// (Input.Refused).
func (c *tcpConn) runHTTP() {
	defer close(c.need)
	in := c.in
	r := &chunkReader{c: c, inner: neverSplit, max: 0}
	cr := &countingReader{r: r}
	br := bufio.NewReaderSize(cr, 4096)
	closing := listener.ConnEvent{Listener: in.Listener, Peer: c.peer, Conn: c.conn, Reason: "closed"}
	lost := func(start int64) {
		// What was read of the cut request, and the rest of the stream.
		c.loss.Unchecked += cr.n - start
		r.resume()
		r.skipping = true
		for {
			if _, err := r.Read(make([]byte, 4096)); err != nil {
				break
			}
		}
	}
	for {
		start := cr.n - int64(br.Buffered())
		req, err := http.ReadRequest(br)
		if err != nil {
			switch {
			case err == io.EOF:
				// The sender closed between requests.
			case cutShort(err, r):
				lost(start)
			case errors.Is(err, errReset):
				closing.Err, closing.Reason = err, "reset by peer"
			default:
				// net/http answers a request it cannot read itself (400),
				// or finds the connection closed in the middle of one,
				// and closes: the plugin never sees it (httpin
				// refused.go).
				if in.Refused != nil {
					c.rd.h.Transport(listener.Transport{Listener: in.Listener, Peer: c.peer, Conn: c.conn,
						Err: in.Refused(c.conn, !errors.Is(err, io.ErrUnexpectedEOF))})
				}
			}
			break
		}
		at := r.at
		orig := req.Body
		body, err := io.ReadAll(io.LimitReader(orig, in.MaxBody+maxHTTPBody))
		if cutShort(err, r) {
			lost(start)
			break
		}
		if errors.Is(err, errReset) {
			closing.Err, closing.Reason = err, "reset by peer"
			break
		}
		// The plugin meets an error of the body (the sender closed
		// before the length it announced) where it came.
		req.Body = io.NopCloser(&bodyReader{data: body, err: err})
		req.RemoteAddr = c.peer
		size := in.Serve(req, c.conn, at)
		closing.Records++
		closing.Bytes += int64(size)
		if err != nil {
			break // net/http closes a connection whose body failed
		}
		// The rest of a body beyond what the server reads: the next
		// request begins after it.
		if _, err := io.Copy(io.Discard, orig); err != nil {
			if errors.Is(err, errGap) || errors.Is(err, errCut) {
				lost(cr.n - int64(br.Buffered()))
			}
			break
		}
		if req.Close {
			// net/http closes after answering "Connection: close": what
			// the sender wrote after it is not read.
			break
		}
	}
	// Read to the connection's end, which Read is waiting to hand over:
	// what net/http would not have read (after a refusal, a body error or
	// "Connection: close") is not checked.
	buf := make([]byte, 4096)
	for !r.ended {
		r.resume()
		n, _ := r.Read(buf)
		c.loss.Unchecked += int64(n)
	}
	closing.Time = r.at
	c.rd.h.Conn(closing)
}

// cutShort says whether a request's read failed because the capture lost
// bytes (a hole) or ended: bufio hands net/http a line cut by the hole
// first and the error only on the next read, so net/http may report a
// malformed header instead; the reader knows.
func cutShort(err error, r *chunkReader) bool {
	if err == nil {
		return false
	}
	return errors.Is(err, errGap) || errors.Is(err, errCut) || errors.Is(r.stop, errGap) || errors.Is(r.stop, errCut)
}

// bodyReader is a body read ahead: its bytes, then its error (io.EOF when
// it had none).
type bodyReader struct {
	data []byte
	err  error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if len(b.data) == 0 {
		if b.err != nil {
			return 0, b.err
		}
		return 0, io.EOF
	}
	n := copy(p, b.data)
	b.data = b.data[n:]
	return n, nil
}
