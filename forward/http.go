package forward

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/fakegraf/fakegraf/listener"
)

// maxAnswer bounds the upstream's answer kept in memory: Telegraf's and
// InfluxDB's answers to writes are a few hundred bytes. A larger one is
// not relayed (the client gets the plugin's) and the request counts as
// lost, though the upstream did get it.
const maxAnswer = 4 << 20

// CheckHTTP parses the upstream URL of an HTTP input: an http:// or
// https:// base URL, whose path (if any) prefixes every request's.
func CheckHTTP(upstream string) (*url.URL, error) {
	u, err := url.Parse(upstream)
	if err != nil || u.Scheme == "" {
		return nil, fmt.Errorf("%w %q: want a base URL such as http://telegraf:8186", ErrUpstream, upstream)
	}
	switch u.Scheme {
	case "http", "https":
	case "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6", "unix", "unixgram", "unixpacket":
		return nil, fmt.Errorf("%w %q: an HTTP input forwards requests, not bytes on a socket: use http://host:port (or https://) of the real Telegraf's same input or of an InfluxDB", ErrUpstream, upstream)
	default:
		return nil, fmt.Errorf("%w %q: unknown scheme %q: use http or https", ErrUpstream, upstream, u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%w %q: no host: give one, such as %s://127.0.0.1:8186", ErrUpstream, upstream, u.Scheme)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("%w %q: give the upstream's base URL only (scheme, host, port, path): each request keeps its own query and Authorization", ErrUpstream, upstream)
	}
	return u, nil
}

// proxy sends an HTTP input's requests to its upstream with
// net/http/httputil's ReverseProxy, which does what a reverse proxy does to
// a request and its answer (hop-by-hop headers, Te: trailers, 1xx
// answers), into an answerWriter rather than to the client: the server
// (httpin) decides which answer the client gets.
type proxy struct {
	rp *httputil.ReverseProxy
}

func newProxy(upstream string) (*proxy, error) {
	target, err := CheckHTTP(upstream)
	if err != nil {
		return nil, err
	}
	transport := &http.Transport{
		// The upstream is named: no HTTP_PROXY detour.
		Proxy:       nil,
		DialContext: (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		// A request without Accept-Encoding goes without one: net/http
		// would otherwise ask for gzip and unpack the answer itself.
		DisableCompression:  true,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	rp := &httputil.ReverseProxy{
		Transport: transport,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			// Unchanged, as far as a proxy can: the query as sent
			// (Rewrite drops parameters net/url cannot parse), and the
			// sender's own forwarding headers, none added.
			pr.Out.URL.RawQuery = pr.In.URL.RawQuery
			for _, k := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
				if v, ok := pr.In.Header[k]; ok {
					pr.Out.Header[k] = v
				}
			}
		},
		// The answer is read here, whole and bounded, so that an upstream
		// that breaks off or stalls mid-answer is an error (ErrorHandler)
		// rather than a cut answer relayed as if whole.
		ModifyResponse: func(res *http.Response) error {
			defer res.Body.Close()
			b, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer+1))
			if err != nil {
				return fmt.Errorf("reading the answer: %w", err)
			}
			if len(b) > maxAnswer {
				return fmt.Errorf("its answer is over %d bytes, more than fakegraf relays", maxAnswer)
			}
			res.Body = io.NopCloser(bytes.NewReader(b))
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			w.(*answerWriter).err = err
		},
	}
	return &proxy{rp: rp}, nil
}

// answerWriter keeps the upstream's answer.
type answerWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
	err    error
}

func (a *answerWriter) Header() http.Header { return a.header }

func (a *answerWriter) WriteHeader(code int) {
	if code >= 200 && a.status == 0 { // 1xx: ReverseProxy relays them; the client gets its own from net/http
		a.status = code
	}
}

func (a *answerWriter) Write(b []byte) (int, error) {
	if a.status == 0 {
		a.status = http.StatusOK
	}
	return a.body.Write(b)
}

// Forward is httpin.Forwarder's: it starts sending the request r of the
// listener url to the upstream, with body as the bytes of its body as they
// came (still compressed), and returns a function that waits for the
// upstream's answer, at most Options.Timeout. The body counts against
// Options.Buffer until the upstream is done with it; a request that does
// not fit, and one the upstream gives no answer to in time, is counted as
// lost (forward-loss) and its wait returns nil.
//
// r is only read before Forward returns (its method, URL and headers);
// body must not change until the wait returns.
func (h *Handler) Forward(url string, r *http.Request, body []byte) (wait func() *listener.UpstreamAnswer) {
	n := int64(len(body))
	if h.held.Add(n) > h.opt.Buffer {
		h.held.Add(-n)
		h.loseAt(url, loss{bytes: uint64(n), requests: 1, reason: h.full()})
		return func() *listener.UpstreamAnswer { return nil }
	}
	// The upstream's exchange is its own: a client that goes away does
	// not take it down (the plugin, too, answers a request whose client
	// left), and it runs on a context without r's server values.
	ctx, cancel := context.WithTimeout(h.ctx, h.opt.Timeout)
	out := r.Clone(ctx)
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = n
	out.TransferEncoding = nil // the body is whole: sent with its length
	if n == 0 {
		out.Body = http.NoBody
	}
	done := make(chan *answerWriter, 1)
	go func() {
		defer cancel()
		a := &answerWriter{header: http.Header{}}
		h.proxy.rp.ServeHTTP(a, out)
		h.held.Add(-n)
		done <- a
	}()
	return func() *listener.UpstreamAnswer {
		a := <-done
		if a.err != nil {
			reason := a.err.Error()
			if errors.Is(a.err, context.DeadlineExceeded) {
				reason = fmt.Sprintf("the upstream did not answer within %s (--forward-timeout); it may have stored them anyway, the client got Telegraf's answer", h.opt.Timeout)
			}
			h.loseAt(url, loss{bytes: uint64(n), requests: 1, reason: reason})
			return nil
		}
		return &listener.UpstreamAnswer{URL: h.opt.Upstream, Status: a.status, Header: a.header, Body: a.body.Bytes()}
	}
}

// Lose is httpin.Forwarder's: it counts a request of the listener url that
// could not be forwarded at all, n bytes of its body.
func (h *Handler) Lose(url string, n int64, reason string) {
	h.loseAt(url, loss{bytes: uint64(n), requests: 1, reason: reason})
}
