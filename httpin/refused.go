package httpin

import (
	"bytes"
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"

	"github.com/fakegraf/fakegraf/listener"
)

// What net/http does without the plugin: it answers a request it cannot
// read itself, and logs a failed TLS handshake (net/http/server.go
// conn.serve). Telegraf's server does the same, answers the same and logs
// nothing for the former; the data is lost in both. Here both become
// listener.Transport events, so that the report says so and the summary
// counts them.

// refusal is the error of a request net/http did not hand to the plugin;
// answer is the status line net/http wrote for it, if any was seen.
func refusal(conn uint64, answer string) error {
	if answer != "" {
		return fmt.Errorf("%w: net/http answered %q on conn %d itself (a malformed request line or header, headers over 1 MB, an unsupported Transfer-Encoding, or a connection closed before the headers ended; Telegraf's server answers the same and logs nothing): Telegraf's plugin never saw the request, and it is lost; send a well-formed HTTP/1.1 request, whole: a path with spaces or control characters percent-encoded, headers as Name: value",
			listener.ErrHTTPRefused, answer, conn)
	}
	return fmt.Errorf("%w: a request on conn %d ended before net/http could read it (the sender closed the connection or stopped sending within read_timeout, or the request was malformed): Telegraf's plugin never saw it and the request is lost; have the sender finish each request before it closes the connection",
		listener.ErrHTTPRefused, conn)
}

// serverLog turns net/http's error log into transport events.
type serverLog struct{ s *Server }

// tlsError matches net/http's "http: TLS handshake error from ADDR: REASON".
var tlsError = regexp.MustCompile(`^http: TLS handshake error from (\S+): (.*)$`)

func (l serverLog) Write(p []byte) (int, error) {
	msg := strings.TrimRight(string(p), "\n")
	ev := listener.Transport{Listener: l.s.inputs[0].url}
	if m := tlsError.FindStringSubmatch(msg); m != nil {
		ev.Peer = m[1]
		ev.Err = fmt.Errorf("%w: TLS handshake with %s failed: %s: the connection is closed and what it sent is lost; have the sender use https:// with a certificate this input's tls_cert satisfies (or serve plain HTTP: remove tls_cert and tls_key)",
			listener.ErrHTTPServer, m[1], m[2])
	} else {
		ev.Err = fmt.Errorf("%w: %s", listener.ErrHTTPServer, msg)
	}
	l.s.handler.Transport(ev)
	return len(p), nil
}

// refusals are the requests of a closed connection that never reached
// the plugin. net/http hands every request it reads to ServeHTTP (a
// record) and answers the others itself, then closes; or the connection
// ends in the middle of one. Where fakegraf sees the plain bytes (no TLS),
// each answer net/http wrote beyond the records is one refusal, and bytes
// read after the last answer are a request cut short. Under TLS only
// StateActive is left, which net/http sets only when a request's bytes
// were not already buffered (conn.serve peeks at the next request of a
// kept-alive connection first): it tells of a refused first request.
func (c *conn) refusals() []error {
	var out []error
	if c.watch == nil {
		for range c.active - c.records {
			out = append(out, refusal(c.n, ""))
		}
		return out
	}
	answers, status, pending := c.watch.state()
	for range answers - c.records {
		out = append(out, refusal(c.n, status))
	}
	if pending {
		out = append(out, refusal(c.n, ""))
	}
	return out
}

// watchListener hands out watchedConns.
type watchListener struct{ net.Listener }

func (l watchListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &watchedConn{Conn: c}, nil
}

// watchedConn counts the answers written on a connection (writes that
// begin with a status line; Telegraf's answers are small, so each is one
// write when net/http flushes it after the handler), keeps the status
// line of the last, and whether bytes were read after it.
type watchedConn struct {
	net.Conn
	mu      sync.Mutex
	answers int
	status  string
	pending bool // read after the last answer
}

func (c *watchedConn) state() (answers int, status string, pending bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.answers, c.status, c.pending
}

func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		c.pending = true
		c.mu.Unlock()
	}
	return n, err
}

func (c *watchedConn) Write(p []byte) (int, error) {
	line, _, _ := bytes.Cut(p, []byte("\r\n"))
	// 100 Continue comes before the answer of the same request.
	if bytes.HasPrefix(line, []byte("HTTP/1.")) && !bytes.Contains(line, []byte(" 100 ")) {
		c.mu.Lock()
		c.answers++
		c.status = string(line[:min(len(line), 80)])
		c.pending = false
		c.mu.Unlock()
	}
	return c.Conn.Write(p)
}

// Refusal is the error of a request net/http did not hand to the plugin,
// for a request read from a tcpdump capture: answered, net/http answered
// 400 to it (malformed); otherwise the connection ended in the middle of
// it.
func Refusal(conn uint64, answered bool) error {
	if answered {
		return refusal(conn, "HTTP/1.1 400 Bad Request")
	}
	return refusal(conn, "")
}

// MaxBody is the plugin's max_body_size, as Start leaves it.
func (o *Offline) MaxBody() int64 { return o.s.inputs[0].maxBody }
