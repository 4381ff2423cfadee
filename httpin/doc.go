// Package httpin serves Telegraf's HTTP inputs, [[inputs.influxdb_listener]],
// [[inputs.influxdb_v2_listener]] and [[inputs.http_listener_v2]], with
// Telegraf's own plugin code, and hands out one listener.Record per request.
//
// Every request is answered by the plugin's exported ServeHTTP: its routes,
// authentication, body limits, gzip handling, parser and error bodies are
// Telegraf's. The handler needs the state the plugin's Start sets up (the
// accumulator, the tracking goroutine of max_undelivered_metrics, the
// default max_body_size and timeouts of http_listener_v2), so Listen starts
// the plugin, with its service_address rewritten to an ephemeral loopback
// port first: the plugin's own server binds there and is never used, and
// Close stops it. fakegraf binds the configured service_address itself
// (tcp, or unix for http_listener_v2 as its Start allows; TLS from the
// plugin's ServerConfig; the plugin's read_timeout and write_timeout), as
// listener/ does for stream sockets, because only then does it see what
// Telegraf's server hides: which connection a request came on, the bytes
// of the body, and the answer.
//
// Around the plugin's ServeHTTP, a Server
//
//   - numbers connections in accept order and reports them opening and
//     closing (listener.ConnEvent);
//   - reads the body before taking the input's lock, up to max_body_size+1
//     bytes, and hands the plugin a reader over what it read followed by
//     the rest, so that the plugin's http.MaxBytesReader answers exactly as
//     in Telegraf while a slow sender does not hold the lock; it does not
//     read early what the plugin would not read (a body announced over
//     max_body_size, a request that expects 100 Continue), and after the
//     answer it closes the connection where Telegraf's server does (a
//     MaxBytesReader that hit its limit, 256 KiB or more left unread):
//     net/http decides that from how much of the body the handler read
//     (body.go);
//   - under a per-input lock calls ServeHTTP with a response writer that
//     both writes to the client and records the answer, and with an
//     accum.Accumulator, so that every metric the plugin adds belongs to its
//     request;
//   - hands out one Record per request: the body as the plugin's parser read
//     it (gunzipped for Content-Encoding: gzip, snappy-decoded, or the query
//     for data_source = "query"), its size on the wire, the peer, the
//     connection, the receive time, the plugin's metrics
//     (listener.PluginOutput) and the exchange (listener.Exchange).
//
// What net/http does without the plugin is reported too (refused.go): a
// request it answers itself (400 for a malformed request, 431 for headers
// over 1 MB) or that ends before its headers do, and what its server logs
// (a failed TLS handshake), become listener.Transport events wrapping
// listener.ErrHTTPRefused and listener.ErrHTTPServer, which the rules
// report as findings and the summary counts as socket errors. Telegraf's
// server answers such requests the same and logs only the handshake
// errors, to its stderr.
//
// The parity suite (parity/http_test.go) holds the wrapper to Telegraf's
// answers, headers and connection handling: keep-alive after each kind of
// answer, 100 Continue, bodies cut off, requests at once, TLS and a unix
// socket.
//
// With Config.Forward (--forward), every request also goes to an upstream
// while the plugin answers it, and the client gets the upstream's answer
// (forward.go); the plugin's answer, metrics and record are the same as
// without.
//
// The package knows nothing about rules; it does not parse except as the
// plugin does.
package httpin
