package capture

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ReplayOptions say where and how fast a capture is sent again.
type ReplayOptions struct {
	// To maps a captured listener's URL to where its traffic goes: a
	// socket URL (tcp://, udp://, unix://, unixgram://) or, for an HTTP
	// input, http(s)://HOST:PORT. The key "" matches every listener.
	To map[string]string
	// Speed scales the captured timing: 2 sends twice as fast; 0 sends
	// as fast as possible (--max).
	Speed float64
}

// ReplayStats count what Replay sent.
type ReplayStats struct {
	Connections, Chunks, Datagrams, Requests int
	Bytes                                    int64
	Skipped                                  int // socket losses, which carry no bytes
}

// Replay sends a capture again with its original framing: each datagram as
// one datagram (one socket per captured sender, so a sender stays one
// sender), each stream connection on a connection of its own with its
// bytes in the captured reads, each HTTP request as a request with its
// method, path, query, headers and body, on one client per captured
// connection. Between events it waits the captured time, scaled by Speed.
func Replay(ctx context.Context, r *Reader, o ReplayOptions) (ReplayStats, error) {
	rp := &replayer{o: o, targets: map[uint64]*target{}, streams: map[connKey]net.Conn{},
		dgrams: map[string]net.Conn{}, clients: map[connKey]*http.Client{}}
	defer rp.closeAll()
	err := rp.run(ctx, r)
	return rp.stats, err
}

type connKey struct{ listener, conn uint64 }

type target struct {
	captured string
	network  string // tcp, udp, unix, unixgram, http
	addr     string // host:port or path; the base URL for http
}

type replayer struct {
	o       ReplayOptions
	stats   ReplayStats
	targets map[uint64]*target
	streams map[connKey]net.Conn
	dgrams  map[string]net.Conn
	clients map[connKey]*http.Client
	t0      time.Time // capture time of the first timed entry
	start   time.Time
}

func (rp *replayer) closeAll() {
	for _, c := range rp.streams {
		c.Close()
	}
	for _, c := range rp.dgrams {
		c.Close()
	}
	for _, c := range rp.clients {
		c.CloseIdleConnections()
	}
}

func parseTarget(captured, to string) (*target, error) {
	u, err := url.Parse(to)
	if err != nil || u.Scheme == "" {
		return nil, fmt.Errorf("--to %q: want a URL such as tcp://127.0.0.1:8094, udp://127.0.0.1:8094, unix:///tmp/telegraf.sock or http://127.0.0.1:8086", to)
	}
	t := &target{captured: captured, network: u.Scheme, addr: u.Host}
	switch u.Scheme {
	case "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
	case "unix", "unixgram", "unixpacket":
		t.addr = u.Path
	case "http", "https":
		t.network, t.addr = "http", strings.TrimRight(to, "/")
	default:
		return nil, fmt.Errorf("--to %q: fakegraf replays to tcp, udp, unix, unixgram, unixpacket and http(s) URLs", to)
	}
	return t, nil
}

// wait sleeps until the captured time at, scaled.
func (rp *replayer) wait(ctx context.Context, at time.Time) error {
	if rp.o.Speed <= 0 || at.IsZero() {
		return ctx.Err()
	}
	if rp.t0.IsZero() {
		rp.t0, rp.start = at, time.Now()
		return ctx.Err()
	}
	due := rp.start.Add(time.Duration(float64(at.Sub(rp.t0)) / rp.o.Speed))
	d := time.Until(due)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (rp *replayer) run(ctx context.Context, r *Reader) error {
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if e.Kind == KindListener {
			to, ok := rp.o.To[e.URL]
			if !ok {
				to, ok = rp.o.To[""]
			}
			if !ok {
				return fmt.Errorf("the capture has a listener %s and no --to for it: add --to %s=URL", e.URL, e.URL)
			}
			t, err := parseTarget(e.URL, to)
			if err != nil {
				return err
			}
			httpInput := e.InputKind != "socket_listener" && e.InputKind != "statsd"
			if httpInput != (t.network == "http") || !httpInput && isStream(e.URL) != isStream(to) {
				return fmt.Errorf("the capture's listener %s (%s) and --to %s are not the same kind of socket: a stream goes to a stream socket, datagrams to a datagram socket, HTTP requests to http://", e.URL, e.InputKind, to)
			}
			rp.targets[e.Listener] = t
			continue
		}
		if e.Kind == KindCut {
			continue
		}
		t := rp.targets[e.Listener]
		if t == nil {
			return fmt.Errorf("an entry names listener %d, which the capture never described: the capture is damaged", e.Listener)
		}
		if err := rp.wait(ctx, e.Time); err != nil {
			return err
		}
		k := connKey{e.Listener, e.Conn}
		switch e.Kind {
		case KindOpen:
			if t.network == "http" {
				rp.clients[k] = &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1, DisableCompression: true}}
				continue
			}
			c, err := net.Dial(t.network, t.addr)
			if err != nil {
				return fmt.Errorf("connecting to %s for connection %d of %s: %w (is the receiver running?)", t.addr, e.Conn, t.captured, err)
			}
			rp.streams[k] = c
			rp.stats.Connections++
		case KindChunk:
			c := rp.streams[k]
			if c == nil {
				continue // an HTTP connection's bytes are replayed as requests
			}
			if _, err := c.Write(e.Data); err != nil {
				// The receiver dropped the connection (a scanner error in
				// Telegraf does): the rest of it is lost there, as it was live.
				c.Close()
				delete(rp.streams, k)
				continue
			}
			rp.stats.Chunks++
			rp.stats.Bytes += int64(len(e.Data))
		case KindClose:
			if c := rp.streams[k]; c != nil {
				c.Close()
				delete(rp.streams, k)
			}
			if cl := rp.clients[k]; cl != nil {
				cl.CloseIdleConnections()
				delete(rp.clients, k)
			}
		case KindDatagram:
			key := fmt.Sprint(e.Listener) + " " + e.Peer
			c := rp.dgrams[key]
			if c == nil {
				if c, err = net.Dial(t.network, t.addr); err != nil {
					return fmt.Errorf("sending to %s: %w (is the receiver running?)", t.addr, err)
				}
				rp.dgrams[key] = c
			}
			if _, err := c.Write(e.Data); err != nil {
				return fmt.Errorf("sending a datagram to %s: %w", t.addr, err)
			}
			rp.stats.Datagrams++
			rp.stats.Bytes += int64(len(e.Data))
		case KindRequest:
			if err := rp.request(ctx, t, k, e); err != nil {
				return err
			}
		case KindTransport:
			rp.stats.Skipped++
		}
	}
}

// request sends one captured HTTP request. The capture keeps the body as
// the plugin's parser read it, decoded: a gzip body is compressed again,
// since Telegraf decodes whatever gzip it gets to the same bytes.
func (rp *replayer) request(ctx context.Context, t *target, k connKey, e *Entry) error {
	if t.network != "http" {
		return fmt.Errorf("the capture's HTTP requests of %s go to an http:// URL, not %s", t.captured, t.addr)
	}
	cl := rp.clients[k]
	if cl == nil {
		cl = &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1, DisableCompression: true}}
		rp.clients[k] = cl
	}
	body := e.Data
	if strings.EqualFold(headerValue(e, "Content-Encoding"), "gzip") {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write(body)
		_ = zw.Close()
		body = b.Bytes()
	}
	u := t.addr + e.Path
	if e.Query != "" {
		u += "?" + e.Query
	}
	req, err := http.NewRequestWithContext(ctx, e.Method, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("request %s %q of %s: %w", e.Method, e.Path, t.captured, err)
	}
	for _, h := range e.Header {
		switch http.CanonicalHeaderKey(h[0]) {
		case "Authorization", "Content-Length":
			// Not kept; and the body's length is the client's to set.
			continue
		}
		req.Header.Set(h[0], h[1])
	}
	resp, err := cl.Do(req)
	if err != nil {
		return fmt.Errorf("sending %s %s: %w (is the receiver running?)", e.Method, u, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	rp.stats.Requests++
	rp.stats.Bytes += int64(len(body))
	return nil
}

func isStream(u string) bool {
	scheme, _, _ := strings.Cut(u, "://")
	switch scheme {
	case "tcp", "tcp4", "tcp6", "unix", "unixpacket", "http", "https", "influxdb", "influxdb-v2", "statsd+tcp":
		return true
	}
	return false
}
