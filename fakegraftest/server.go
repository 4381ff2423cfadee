package fakegraftest

import (
	"fmt"
	"net"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/inputs/http_listener_v2"
	"github.com/influxdata/telegraf/plugins/inputs/influxdb_listener"
	"github.com/influxdata/telegraf/plugins/inputs/influxdb_v2_listener"

	"github.com/fakegraf/fakegraf/api"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
)

// Server is a running fakegraf listener.
type Server struct {
	// URL is the listener's service_address with the real port or path,
	// such as udp://127.0.0.1:40123 or unix:///tmp/fakegraf123/s.sock.
	URL string
	// HTTPURL is what an HTTP client of an InfluxDB, InfluxDBV2 or
	// HTTPListener server is given: http://127.0.0.1:40123 (the InfluxDB
	// client libraries add /write or /api/v2/write themselves), or the
	// full URL of HTTPListener's path; "" for a socket server.
	HTTPURL string
	// APIURL is the base URL of fakegraf's HTTP API (docs/api.md), such as
	// http://127.0.0.1:40124, with the API option; "" otherwise.
	APIURL string

	srv    *serve.Server
	tmpDir string
	api    *api.Store
	apiSrv *httptest.Server

	mu       sync.Mutex
	changed  *sync.Cond
	results  []*parse.Result
	metrics  []telegraf.Metric
	findings []parse.Diagnostic
	golden   *report.Golden
}

// An Opt configures a Server.
type Opt func(*options)

type options struct {
	dataFormat string
	lines      []string
	hostTag    bool
	rules      []string
	api        bool
	statsd     bool
	http       string // the HTTP input's plugin name, or ""
	path       string // HTTPListener's path
	interval   time.Duration
}

// DataFormat sets the Telegraf data_format (default influx, as in Telegraf).
func DataFormat(f string) Opt { return func(o *options) { o.dataFormat = f } }

// Option sets any other socket_listener option; value is TOML, so quote
// strings: Option("json_name_key", `"metric_name"`).
func Option(key, value string) Opt {
	return func(o *options) { o.lines = append(o.lines, key+" = "+value) }
}

// HostTag keeps the host tag Telegraf adds to every metric.
func HostTag() Opt { return func(o *options) { o.hostTag = true } }

// API serves fakegraf's HTTP API too, at Server.APIURL, as --http does: for
// code under test that asks it (waits, listings) as it would ask a
// fakegraf it runs beside.
func API() Opt { return func(o *options) { o.api = true } }

// Statsd makes the server a Telegraf [[inputs.statsd]] instead of a
// socket_listener: network udp, udp4, udp6 or tcp is its protocol, and
// Option sets its options (Option("percentiles", "[90.0]")). Its metrics
// are stored at each flush, every Interval (default Telegraf's 10s), as
// Telegraf's statsd stores them; a result with Record.Plugin.Flush set
// carries them.
func Statsd() Opt { return func(o *options) { o.statsd = true } }

// InfluxDB makes the server a Telegraf [[inputs.influxdb_listener]], the
// InfluxDB 1.x write API (/write, /query, /ping), instead of a
// socket_listener: network is tcp, tcp4 or tcp6, and Option sets its
// options (Option("max_body_size", `"1KiB"`)). Give the code under test
// Server.HTTPURL. Each request is a result, with Record.HTTP the request
// and the answer Telegraf's own plugin gave.
func InfluxDB() Opt { return func(o *options) { o.http = "influxdb_listener" } }

// InfluxDBV2 makes the server a Telegraf [[inputs.influxdb_v2_listener]],
// the InfluxDB 2.x write API (/api/v2/write, /health, /ready), as InfluxDB
// does for InfluxDB.
func InfluxDBV2() Opt { return func(o *options) { o.http = "influxdb_v2_listener" } }

// HTTPListener makes the server a Telegraf [[inputs.http_listener_v2]]
// serving path (Telegraf's default is /telegraf), its body parsed as
// DataFormat says, as InfluxDB does for InfluxDB; Server.HTTPURL is the
// full URL to POST to.
func HTTPListener(path string) Opt {
	return func(o *options) { o.http, o.path = "http_listener_v2", path }
}

// Interval sets the agent's interval ([agent] interval): how often a
// Statsd server flushes.
func Interval(d time.Duration) Opt { return func(o *options) { o.interval = d } }

// Disable turns rules off by ID.
func Disable(ids ...string) Opt { return func(o *options) { o.rules = append(o.rules, ids...) } }

// Start starts a server. network is a socket kind (udp, udp4, udp6, tcp,
// tcp4, tcp6, unix, unixpacket, unixgram), bound on loopback port 0 or a
// fresh temporary socket path, or a full service_address.
func Start(network string, opts ...Opt) (*Server, error) {
	o := &options{dataFormat: "influx"}
	for _, opt := range opts {
		opt(o)
	}
	s := &Server{golden: report.NewGolden(report.GoldenOptions{UpdateHint: "FAKEGRAF_UPDATE=1"})}
	s.changed = sync.NewCond(&s.mu)
	address := network
	if !strings.Contains(network, "://") {
		switch {
		case strings.HasPrefix(network, "unix"):
			dir, err := os.MkdirTemp("", "fakegraf")
			if err != nil {
				return nil, err
			}
			s.tmpDir = dir
			address = network + "://" + filepath.Join(dir, "s.sock")
		case strings.HasSuffix(network, "6"):
			address = network + "://[::1]:0"
		default:
			address = network + "://127.0.0.1:0"
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[agent]\n  omit_hostname = %t\n", !o.hostTag)
	if o.interval != 0 {
		fmt.Fprintf(&b, "  interval = %s\n", strconv.Quote(o.interval.String()))
	}
	if o.http != "" {
		u, err := url.Parse(address)
		if err != nil || !strings.HasPrefix(u.Scheme, "tcp") || o.statsd {
			s.cleanup()
			return nil, fmt.Errorf("fakegraftest: an HTTP input takes tcp, tcp4 or tcp6, not %q, and is not also Statsd", network)
		}
		fmt.Fprintf(&b, "[[inputs.%s]]\n", o.http)
		switch o.http {
		case "http_listener_v2":
			// http_listener_v2's service_address is host:port like the
			// others' (its Init adds tcp://).
			fmt.Fprintf(&b, "  service_address = %s\n  paths = [%s]\n  data_format = %s\n",
				strconv.Quote(u.Host), strconv.Quote(o.path), strconv.Quote(o.dataFormat))
		default:
			fmt.Fprintf(&b, "  service_address = %s\n", strconv.Quote(u.Host))
		}
	} else if o.statsd {
		u, err := url.Parse(address)
		if err != nil || strings.HasPrefix(u.Scheme, "unix") {
			s.cleanup()
			return nil, fmt.Errorf("fakegraftest: Statsd takes udp, udp4, udp6 or tcp, not %q", network)
		}
		fmt.Fprintf(&b, "[[inputs.statsd]]\n  protocol = %s\n  service_address = %s\n", strconv.Quote(u.Scheme), strconv.Quote(u.Host))
	} else {
		fmt.Fprintf(&b, "[[inputs.socket_listener]]\n  service_address = %s\n  data_format = %s\n", strconv.Quote(address), strconv.Quote(o.dataFormat))
	}
	for _, l := range o.lines {
		b.WriteString("  " + l + "\n")
	}
	cfg, err := setup.Load([]byte(b.String()), "fakegraftest")
	if err != nil {
		s.cleanup()
		return nil, err
	}
	// The config above is not a file the user has: fixes name the table by
	// its address, not by a line of it.
	cfg.Inputs[0].Origin = setup.Origin{Address: address}
	rules, err := parse.NewRuleSet(nil, o.rules)
	if err != nil {
		s.cleanup()
		return nil, err
	}
	sinks := serve.Tee{s.golden, recorder{s: s}}
	if o.api {
		s.api = api.NewStore(api.Options{})
		sinks = append(sinks, s.api)
	}
	srv, err := serve.Start(cfg, sinks, serve.Options{Rules: rules})
	if err != nil {
		s.cleanup()
		return nil, err
	}
	if s.api != nil {
		s.apiSrv = httptest.NewServer(api.NewHandler(s.api, api.HandlerOptions{}))
		s.APIURL = s.apiSrv.URL
	}
	s.srv = srv
	s.URL = srv.Listening()[0].URL
	if o.http != "" {
		s.HTTPURL = "http://" + s.Addr()
		if servesTLS(cfg.Inputs[0].Plugin) {
			s.HTTPURL = "https://" + s.Addr()
		}
		if o.http == "http_listener_v2" {
			s.HTTPURL += o.path
		}
	}
	return s, nil
}

// NewServer starts a server and closes it when the test ends. It fails the
// test if the server cannot start.
func NewServer(t testing.TB, network string, opts ...Opt) *Server {
	t.Helper()
	s, err := Start(network, opts...)
	if err != nil {
		t.Fatalf("fakegraftest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Network is what to pass to net.Dial: the scheme of URL, or tcp for an
// HTTP input.
func (s *Server) Network() string {
	if s.HTTPURL != "" {
		return "tcp"
	}
	u, _ := url.Parse(s.URL)
	return u.Scheme
}

// Addr is what to pass to net.Dial with Network: host:port, or the socket path.
func (s *Server) Addr() string {
	u, _ := url.Parse(s.URL)
	if strings.HasPrefix(u.Scheme, "unix") {
		return u.Path
	}
	return u.Host
}

// Dial connects to the server the way a sender would: a stream
// connection, or a connected datagram socket on udp and unixgram.
func (s *Server) Dial() (net.Conn, error) {
	if s.Network() == "unixgram" {
		// A unixgram client needs an address of its own to be dialled from;
		// nil lets the kernel pick an unnamed one.
		return net.DialUnix("unixgram", nil, &net.UnixAddr{Name: s.Addr(), Net: "unixgram"})
	}
	return net.Dial(s.Network(), s.Addr())
}

// Close stops the server once every record that arrived has been processed,
// and removes its temporary socket directory.
func (s *Server) Close() {
	if s.srv != nil {
		s.srv.Close()
	}
	if s.apiSrv != nil {
		s.api.Close() // ends pending waits and event streams
		s.apiSrv.Close()
	}
	s.cleanup()
	s.mu.Lock()
	s.changed.Broadcast()
	s.mu.Unlock()
}

func (s *Server) cleanup() {
	if s.tmpDir != "" {
		os.RemoveAll(s.tmpDir)
	}
}

// recorder keeps what a Server's tests query: a serve.Sink of results and
// findings, beside the golden file in the server's fan-out.
type recorder struct {
	serve.Ignore
	s *Server
}

func (rc recorder) Result(r *parse.Result) {
	s := rc.s
	s.mu.Lock()
	defer s.mu.Unlock()
	r.Keep() // the test reads it later
	s.results = append(s.results, r)
	s.metrics = append(s.metrics, r.Metrics...)
	s.findings = append(s.findings, r.Diagnostics...)
	s.changed.Broadcast()
}

func (rc recorder) Finding(d parse.Diagnostic) {
	s := rc.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.findings = append(s.findings, d)
	s.changed.Broadcast()
}

// Metrics returns the metrics Telegraf would have stored so far.
func (s *Server) Metrics() []telegraf.Metric {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.metrics)
}

// Findings returns the findings so far, parse errors included.
func (s *Server) Findings() []parse.Diagnostic {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.findings)
}

// Results returns every record processed so far with what became of it.
func (s *Server) Results() []*parse.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.results)
}

// Await waits until at least n metrics have arrived and returns them, or
// returns an error saying what did arrive when the timeout passes.
func (s *Server) Await(n int, timeout time.Duration) ([]telegraf.Metric, error) {
	deadline := time.Now().Add(timeout)
	timer := time.AfterFunc(timeout, func() {
		s.mu.Lock()
		s.changed.Broadcast()
		s.mu.Unlock()
	})
	defer timer.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.metrics) < n {
		if !time.Now().Before(deadline) {
			return slices.Clone(s.metrics), fmt.Errorf("fakegraftest: %d of %d metric(s) after %s on %s (%d record(s), %d finding(s)%s)",
				len(s.metrics), n, timeout, s.URL, len(s.results), len(s.findings), firstFinding(s.findings))
		}
		s.changed.Wait()
	}
	return slices.Clone(s.metrics), nil
}

func firstFinding(ds []parse.Diagnostic) string {
	if len(ds) == 0 {
		return ""
	}
	return fmt.Sprintf("; first: %s %s", ds[0].Rule, ds[0].Message)
}

// WaitForMetrics is Await that fails the test on timeout.
func (s *Server) WaitForMetrics(t testing.TB, n int, timeout time.Duration) []telegraf.Metric {
	t.Helper()
	ms, err := s.Await(n, timeout)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// RequireNoFindings fails the test, listing them, if there are findings.
func (s *Server) RequireNoFindings(t testing.TB) {
	t.Helper()
	fs := s.Findings()
	if len(fs) == 0 {
		return
	}
	var b strings.Builder
	for _, d := range fs {
		fmt.Fprintf(&b, "\n  %s[%s] record #%d: %s", d.Severity, d.Rule, d.Source.Record, d.Message)
		for _, f := range d.Fixes {
			fmt.Fprintf(&b, "\n    fix: %s", f)
		}
	}
	t.Fatalf("fakegraftest: %d finding(s) on %s:%s", len(fs), s.URL, b.String())
}

// RequireGolden compares what arrived so far (sorted line protocol, with
// only the timestamps the sender set, then findings) with a golden file.
// With FAKEGRAF_UPDATE=1 in the environment it rewrites the file instead.
func (s *Server) RequireGolden(t testing.TB, path string) {
	t.Helper()
	if os.Getenv("FAKEGRAF_UPDATE") == "1" {
		if err := s.golden.Update(path); err != nil {
			t.Fatal(err)
		}
		return
	}
	diff, err := s.golden.Compare(path)
	if err != nil {
		t.Fatalf("fakegraftest: %v", err)
	}
	if diff != "" {
		t.Fatalf("fakegraftest: what arrived differs from %s (FAKEGRAF_UPDATE=1 rewrites it):\n%s", path, diff)
	}
}

// servesTLS says whether an HTTP input has a certificate (tls_cert), as
// its ServerConfig makes a TLS config of it.
func servesTLS(p telegraf.Input) bool {
	switch p := p.(type) {
	case *influxdb_listener.InfluxDBListener:
		return p.TLSCert != ""
	case *influxdb_v2_listener.InfluxDBV2Listener:
		return p.TLSCert != ""
	case *http_listener_v2.HTTPListenerV2:
		return p.TLSCert != ""
	}
	return false
}
