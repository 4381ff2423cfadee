package httpin

import (
	"net/http"

	"github.com/fakegraf/fakegraf/listener"
)

// Forwarder passes an input's requests on to an upstream (--forward;
// package forward implements it). With one, a Server
//
//   - starts forwarding a request as soon as its body is in, before the
//     plugin answers it, so that the two run side by side and the input's
//     lock is never held while the upstream thinks;
//   - holds the plugin's answer (heldAnswer) and sends the client the
//     upstream's when there is one, else the plugin's, as without
//     forwarding;
//   - forwards a body it read only when the plugin did (a request that
//     expects 100 Continue, or one announced over max_body_size) after
//     the plugin, and counts a body it never had whole as lost: a cut body
//     is a different request.
//
// The plugin serves every request the same with and without an upstream:
// the record, its metrics and its answer (Exchange.Status) are Telegraf's;
// Exchange.Upstream holds the upstream's answer beside them.
type Forwarder interface {
	// Forward starts sending r, a request of the listener url, with body
	// as its body's bytes as they came, and returns a function that
	// waits (boundedly) for the upstream's answer: nil when there is
	// none, a loss the Forwarder counts and reports. Forward reads r only
	// before it returns; body stays unchanged until the wait returns.
	Forward(url string, r *http.Request, body []byte) (wait func() *listener.UpstreamAnswer)
	// Lose counts a request of the listener url that could not be
	// forwarded, n bytes of its body, with the reason.
	Lose(url string, n int64, reason string)
}

// relay sends the client the upstream's answer or the plugin's held one,
// and returns the upstream's. upstream is the wait of a request forwarded
// before the plugin ran, or nil.
func (s *Server) relay(w http.ResponseWriter, in *input, r *http.Request, b *body, raw []byte, upstream func() *listener.UpstreamAnswer, held *heldAnswer) *listener.UpstreamAnswer {
	if upstream == nil {
		switch {
		case b.eof || r.ContentLength >= 0 && int64(len(raw)) == r.ContentLength:
			// The plugin read it (100 Continue), or net/http's drain did.
			upstream = s.forward.Forward(in.url, r, raw)
		case r.ContentLength > in.maxBody:
			s.forward.Lose(in.url, int64(len(raw)), "the request announced a body over max_body_size, which the plugin refused unread and fakegraf did not read whole (the upstream would need the same max_body_size to answer as Telegraf did)")
		default:
			s.forward.Lose(in.url, int64(len(raw)), "the body did not arrive whole (the sender stopped or was refused before its end), and a cut body is a different request")
		}
	}
	var up *listener.UpstreamAnswer
	if upstream != nil {
		up = upstream()
	}
	if up == nil {
		held.sendTo(w)
		return nil
	}
	h := w.Header()
	clear(h)
	for k, v := range up.Header {
		h[k] = v
	}
	w.WriteHeader(up.Status)
	_, _ = w.Write(up.Body)
	return up
}

// heldAnswer keeps the plugin's answer while the upstream's is awaited.
type heldAnswer struct {
	header http.Header
	status int
	body   []byte
}

func (a *heldAnswer) Header() http.Header { return a.header }

func (a *heldAnswer) WriteHeader(code int) {
	if a.status == 0 {
		a.status = code
	}
}

func (a *heldAnswer) Write(p []byte) (int, error) {
	if a.status == 0 {
		a.status = http.StatusOK
	}
	a.body = append(a.body, p...)
	return len(p), nil
}

// sendTo sends the held answer to the client, as the plugin would have.
func (a *heldAnswer) sendTo(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range a.header {
		h[k] = v
	}
	if a.status == 0 {
		return // the plugin wrote nothing: net/http sends 200 itself
	}
	w.WriteHeader(a.status)
	if len(a.body) > 0 {
		_, _ = w.Write(a.body)
	}
}
