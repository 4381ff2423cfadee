// Package forward makes fakegraf a tee: it passes every byte a listener
// receives, unchanged, to an upstream (a real Telegraf, or anything that
// reads the same socket kind) while fakegraf validates the same bytes.
//
// A Handler wraps the listener.Handler a listener hands its events to, so it
// sees the bytes where they arrive and hands every event on untouched:
//
//   - a datagram (udp, unixgram) is sent as one datagram to the upstream,
//     in order; over udp what is queued goes in batches of up to 64, one
//     sendmmsg each (golang.org/x/net's WriteBatch);
//   - each stream connection (tcp, unix, unixpacket) gets its own upstream
//     connection, dialled when the connection opens, carrying the bytes as
//     they were read from the socket (listener.Tap: before content
//     decoding and framing, after TLS), in the same order, closed when the
//     connection closes.
//
// Forwarding never slows ingestion: a listener's goroutines only copy the
// bytes into a buffer bounded per listener (Options.Buffer) and return;
// writer goroutines drain it. When the upstream is down, refuses, or does
// not keep up, what does not fit is dropped and counted, and the count
// reaches the rules as a listener.Transport wrapping
// listener.ErrForwardLoss (the forward-loss finding, with the bytes in
// Dropped). A stream connection that loses bytes is not patched up: its
// upstream connection is reset (SO_LINGER 0) and the rest of it is dropped,
// so that the upstream never parses a line glued from two halves; Telegraf
// drops the unterminated rest of a reset connection (a read error ends its
// scanner, plugins/common/socket/stream.go read). The reset also throws
// away what the kernel held unsent for the upstream; on Linux that is
// asked for (SIOCOUTQNSD) and counted lost too, so that what the upstream
// got plus what is counted lost is what arrived.
//
// What fakegraf reports about the traffic does not depend on forwarding:
// the wrapped handler sees the same events in the same order with or
// without it.
//
// The HTTP inputs (Options.HTTP, http.go) forward requests, not bytes: the
// Handler is the httpin.Forwarder of their server. Each request goes to an
// http:// or https:// upstream through net/http/httputil's ReverseProxy
// (method, path, query, headers with Authorization, the body as it came,
// still compressed; hop-by-hop headers dropped, nothing added) while
// Telegraf's plugin answers the same request in fakegraf; the client gets
// the upstream's answer, or the plugin's when the upstream gives none
// within Options.Timeout or the body does not fit in Options.Buffer (bytes
// of bodies in flight). A request without an upstream answer is a loss,
// reported as for sockets, in bytes and requests; one whose answer differs
// from the plugin's is the forward-answer-differs finding of its record
// (listener.Exchange.Upstream). Waiting for the answer holds the client,
// never the input's lock nor other requests.
//
// It does not forward datagrams of a listener with a content_encoding
// (fakegraf sees them only decoded): serve refuses those. A datagram sent to a udp upstream nobody listens on is
// lost without a trace except an ICMP error that makes the next write fail;
// those failures are counted, the datagram itself cannot be.
package forward
