package httpin

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golang/snappy"
	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/inputs/http_listener_v2"
	"github.com/influxdata/telegraf/plugins/inputs/influxdb_listener"
	"github.com/influxdata/telegraf/plugins/inputs/influxdb_v2_listener"

	"github.com/fakegraf/fakegraf/listener"
)

// Offline serves requests that arrived earlier, kept in a capture, to the
// plugins, through the path a live request takes (Server.serveRequest:
// the body read as net/http hands it over, the plugin's ServeHTTP under
// the input's lock, its accumulator, one Record per request). It binds no
// address of its own; the plugins' own servers are moved to loopback
// ports, as Listen does. `fakegraf check` uses it for fakegraf captures
// and tcpdump captures of the HTTP inputs.
type Offline struct {
	s *Server
}

// StartOffline starts the plugins of cfg (cfg.Address is not used) and
// names their records urls, one per plugin: the listener URLs the
// capture's records carried.
func StartOffline(cfg Config, urls []string, h listener.Handler) (*Offline, error) {
	if len(cfg.Plugins) == 0 || len(cfg.Plugins) > 2 || len(urls) != len(cfg.Plugins) {
		return nil, fmt.Errorf("httpin: %d plugins and %d URLs: serve one, or an influxdb_listener and an influxdb_v2_listener", len(cfg.Plugins), len(urls))
	}
	network, _, _, err := bindAddress(cfg.Plugins[0])
	if err != nil {
		return nil, err
	}
	plog := cfg.Log
	if plog == nil {
		plog = listener.Log{}
	}
	s := &Server{handler: h}
	for i, tp := range cfg.Plugins {
		in, err := start(tp, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, network, plog)
		if err != nil {
			for _, in := range s.inputs {
				in.plugin.Stop()
			}
			return nil, err
		}
		in.url = urls[i]
		s.inputs = append(s.inputs, in)
	}
	return &Offline{s: s}, nil
}

// Close stops the plugins.
func (o *Offline) Close() {
	for _, in := range o.s.inputs {
		in.plugin.Stop()
	}
}

// Serve hands the plugin a request as it came off the wire (read by
// http.ReadRequest from a captured TCP stream): its body as sent, gzip
// and chunked framing included. The record's peer is r.RemoteAddr. It
// returns the body's size on the wire and the plugin's answer.
func (o *Offline) Serve(r *http.Request, conn uint64, received time.Time) (size, status int) {
	w := &answerWriter{header: http.Header{}}
	return o.s.serveRequest(w, r.WithContext(context.Background()), conn, received, -1)
}

// Captured is a request as a fakegraf capture keeps it: the body as the
// plugin's parser read it (Record.Data: decoded, or the query of
// data_source = "query"), and of the headers only those the capture keeps.
type Captured struct {
	Method, Path, Query string
	Header              http.Header
	Body                []byte
	// ContentLength is the Content-Length the sender announced, -1 when
	// it sent none (chunked) or the capture does not say.
	ContentLength int64
	Conn          uint64
	Peer          string
	Received      time.Time
	// Authorized says the request carried an Authorization header, whose
	// value the capture does not keep.
	Authorized bool
}

// ErrCapturedBody is a captured request whose body cannot be encoded
// again as it was sent (a Content-Encoding the plugins do not decode).
var ErrCapturedBody = errors.New("the captured body cannot be sent again as it was")

// ServeCaptured rebuilds a captured request as the plugin first got it and
// serves it (Serve). The body is encoded again as it came (gzip, snappy:
// the plugins decode any encoder's output to the same bytes); a body the
// plugin never read (announced over max_body_size) keeps its announced
// length. A request that carried Authorization gets the input's own
// credentials, since the capture keeps no secret: check answers as if the
// sender had the right token (Credentials).
func (o *Offline) ServeCaptured(c Captured) (size, status int) {
	in := o.s.routePath(c.Path)
	body := c.Body
	if in.query {
		body = nil // the data was the query, which the request carries
	}
	switch strings.ToLower(c.Header.Get("Content-Encoding")) {
	case "gzip":
		if len(body) > 0 {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			_, _ = zw.Write(body)
			_ = zw.Close()
			body = b.Bytes()
		}
	case "snappy":
		if len(body) > 0 {
			body = snappy.Encode(nil, body)
		}
	}
	// The length the plugin decides from is the announced one, as live;
	// a capture without it (chunked, or written before captures kept it)
	// announces the body, unless the body is over max_body_size, which a
	// chunked body the plugin read up to its limit is.
	length := c.ContentLength
	if length < 0 && int64(len(body)) <= in.maxBody {
		length = int64(len(body))
	}
	wire := -1
	if length >= 0 && c.Header.Get("Content-Encoding") != "" {
		// Encoded again, the body has another size than the sender's;
		// the record says the sender's.
		wire = int(length)
	}
	target := c.Path
	if c.Query != "" {
		target += "?" + c.Query
	}
	r, err := http.NewRequestWithContext(context.Background(), c.Method, target, bytes.NewReader(body))
	if err != nil {
		r, _ = http.NewRequestWithContext(context.Background(), http.MethodPost, "/", bytes.NewReader(body))
		r.Method, r.URL.Path, r.URL.RawQuery = c.Method, c.Path, c.Query
	}
	r.ContentLength = length
	if length >= 0 && length <= in.maxBody && int64(len(body)) < length && wire < 0 && !in.query {
		// The sender stopped before the length it announced: the plugin
		// met net/http's error there, not the end of a body.
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{io.ErrUnexpectedEOF}))
	}
	if length < 0 {
		r.TransferEncoding = []string{"chunked"}
	}
	r.Header = c.Header.Clone()
	if r.Header == nil {
		r.Header = http.Header{}
	}
	r.Header.Del("Authorization")
	if cred := Credentials(in.plugin); cred != "" && c.Authorized {
		r.Header.Set("Authorization", cred)
	}
	if length >= 0 {
		r.Header.Set("Content-Length", strconv.FormatInt(length, 10))
	}
	r.RemoteAddr, r.Host, r.RequestURI = c.Peer, "", target
	r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.1", 1, 1
	w := &answerWriter{header: http.Header{}}
	return o.s.serveRequest(w, r, c.Conn, c.Received, wire)
}

// Credentials is the Authorization header the plugin accepts, "" when it
// asks for none or takes its token elsewhere (influxdb_listener's
// token_shared_secret is a JWT in an Authentication header, which a
// capture does not keep).
func Credentials(p telegraf.Input) string {
	basic := func(user, pass string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	switch p := p.(type) {
	case *influxdb_listener.InfluxDBListener:
		if p.BasicUsername != "" || p.BasicPassword != "" {
			return basic(p.BasicUsername, p.BasicPassword)
		}
	case *influxdb_v2_listener.InfluxDBV2Listener:
		if !p.Token.Empty() {
			sec, err := p.Token.Get()
			if err != nil {
				return ""
			}
			defer sec.Destroy()
			return "Token " + sec.String()
		}
	case *http_listener_v2.HTTPListenerV2:
		if p.BasicUsername != "" && p.BasicPassword != "" {
			return basic(p.BasicUsername, p.BasicPassword)
		}
	}
	return ""
}

// routePath is route for a path alone.
func (s *Server) routePath(path string) *input {
	return s.route(&http.Request{URL: &url.URL{Path: path}})
}

// answerWriter takes the plugin's answer where a client would have read
// it: nowhere (the recorder in front of it keeps the copy the record
// carries).
type answerWriter struct {
	header http.Header
}

func (w *answerWriter) Header() http.Header         { return w.header }
func (w *answerWriter) WriteHeader(int)             {}
func (w *answerWriter) Write(p []byte) (int, error) { return len(p), nil }
