package listener

import (
	"errors"
	"net/http"
	"time"

	"github.com/influxdata/telegraf"
)

// WritePrecisions are, by plugin name, the precision query values each
// InfluxDB write API reads in a unit other than nanoseconds (the plugins'
// getPrecisionMultiplier in influxdb_listener.go and
// influxdb_v2_listener.go): any other value, or none, is nanoseconds,
// silently. httpin makes the plugin's parser with them, and the rules read
// the request's unit from them.
var WritePrecisions = map[string]map[string]time.Duration{
	"influxdb_listener":    {"u": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour},
	"influxdb_v2_listener": {"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second},
}

// PluginOutput is what a Telegraf input plugin that fakegraf runs itself
// (the HTTP listeners, statsd) handed its accumulator for one record: the
// metrics, before the agent's MakeMetric, and the errors it reported with
// AddError. When a Record carries one, these metrics, not a parse of
// Record.Data, are what Telegraf stores: the plugin decided, with its own
// code, and the pipeline only applies what the agent applies after it
// (precision, name_override, tags, filters).
type PluginOutput struct {
	Metrics []telegraf.Metric
	Errors  []error
	// Flush marks the metrics of one call of the plugin's Gather (statsd's
	// flush, on the agent's interval) rather than of a record a sender
	// sent: the Record carries no bytes, only its Listener and Received
	// (when the flush ran).
	Flush bool
}

// Exchange is one HTTP request and the answer the plugin gave, as far as a
// sender's mistakes show in it. Authorization is only said to be present:
// its value is a secret and never kept.
type Exchange struct {
	Method string
	Path   string
	Query  string // the raw query, without '?'
	// Request headers that matter to the inputs' rules.
	ContentType     string
	ContentEncoding string
	UserAgent       string
	Authorization   bool // an Authorization header was sent
	ContentLength   int64
	// RawSize is how much of the body was read, as it came (before
	// gunzip): all of it, unless the plugin refused it unread and
	// net/http would not read it either (256 KiB or more left, or a
	// client still waiting for 100 Continue; httpin/body.go).
	// The Record's Data holds the body as the plugin's parser read it.
	RawSize int
	// The plugin's answer: Telegraf's own, and what the client got
	// unless Upstream says otherwise.
	Status         int
	ResponseHeader http.Header
	ResponseBody   []byte
	// Upstream is the answer of the upstream of --forward to the same
	// request (package forward), which the client got in place of the
	// plugin's; nil without forwarding, and when the upstream gave none
	// (the request counts as forward-loss).
	Upstream *UpstreamAnswer
}

// UpstreamAnswer is what the upstream of --forward answered to a request.
type UpstreamAnswer struct {
	URL    string // the upstream's base URL, as given to --forward
	Status int
	Header http.Header
	Body   []byte
}

// Sentinels for the Transport events of an HTTP input's server: what
// net/http does before, or instead of, calling the plugin's ServeHTTP.
var (
	// ErrHTTPRefused marks a request net/http answered itself (400 for a
	// malformed request line or header, 431 for headers over its 1 MB
	// limit, 505, or the 400 it sends for plain HTTP to a TLS port) or
	// that ended before its headers did: Telegraf's plugin never saw it,
	// and Telegraf logs nothing.
	ErrHTTPRefused = errors.New("request refused before the plugin saw it")
	// ErrHTTPServer marks what net/http's server logs (a TLS handshake
	// that failed, an accept error): Telegraf's server writes it to
	// Telegraf's stderr, and no data of that connection arrives.
	ErrHTTPServer = errors.New("http server error")
)
