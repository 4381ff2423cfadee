package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fakegraf/fakegraf/capture"
	"github.com/fakegraf/fakegraf/findingsout"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
)

// defaultAddresses are where the tutorial's senders send, and where a
// statsd client sends by default (udp 8125, as Telegraf's statsd). Like
// 8094, 8125 is not moved to a free port when taken: a sender with the
// default would not find it there.
var defaultAddresses = []string{"udp://127.0.0.1:8094", "tcp://127.0.0.1:8094", "unix:///tmp/telegraf.sock", "statsd://127.0.0.1:8125"}

// defaultInfluxDBAddresses are where InfluxDB client libraries write by
// default: the v1 /write and the v2 /api/v2/write API on port 8086.
// Telegraf needs two inputs on two ports for them; with no arguments,
// fakegraf serves both on one port, routed by path (httpin.Route), a
// fakegraf convenience that no telegraf.conf can say.
var defaultInfluxDBAddresses = []string{"influxdb://127.0.0.1:8086", "influxdb-v2://127.0.0.1:8086"}

// influxDBPortTries is how many ports from 8086 on the zero-config
// default tries, as the HTTP API does from 8095.
const influxDBPortTries = 20

// shareInfluxDBPort serves the zero-config influxdb_v2_listener on the
// influxdb_listener's port, and moves both to the next free port when 8086
// is taken (by a real InfluxDB or Telegraf, most likely).
func shareInfluxDBPort(cfg *setup.Config, stderr io.Writer) error {
	for i, in := range cfg.Inputs {
		if in.Kind != setup.InfluxDBListener || i+1 >= len(cfg.Inputs) || cfg.Inputs[i+1].Kind != setup.InfluxDBV2Listener {
			continue
		}
		cfg.Inputs[i+1].SharePort = true
		for port := 8086; port < 8086+influxDBPortTries; port++ {
			addr := fmt.Sprintf("127.0.0.1:%d", port)
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				continue
			}
			ln.Close()
			if port != 8086 {
				fmt.Fprintf(stderr, "fakegraf: note: 127.0.0.1:8086 is taken; serving the InfluxDB write APIs on %s\n", addr)
			}
			in.Bind = addr
			return nil
		}
		return fmt.Errorf("ports 8086 to %d are all taken: pass addresses, such as influxdb://127.0.0.1:0", 8086+influxDBPortTries-1)
	}
	return nil
}

type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

type setFlag []setup.Option

func (s *setFlag) String() string { return "" }
func (s *setFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("want key=value, got %q", v)
	}
	*s = append(*s, setup.Option{Key: strings.TrimSpace(k), Value: strings.TrimSpace(val)})
	return nil
}

// listenOptions are the flags listen, run and check share.
type listenOptions struct {
	config     string
	configData []byte // the config itself, when it came from a capture's header

	dataFormat   string
	sets         setFlag
	omitHostname bool

	output     string
	reports    reportFlag
	quiet      bool
	color      string
	metricsOut string

	count    int
	duration time.Duration
	until    string

	failOn  string
	enable  listFlag
	disable listFlag

	golden           string
	update           bool
	ignoreTags       listFlag
	ignoreFields     listFlag
	ignoreTimestamps bool
	floatTolerance   float64
	expect           string

	// parser options with flags of their own
	jsonNameKey, jsonTimeKey, jsonTimeFormat, jsonTimezone string
	tagKeys, jsonStringFields                              listFlag
	influxPrecision, nameOverride                          string
	interval                                               time.Duration
}

func (o *listenOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.config, "config", "", "a telegraf.conf: serve every [[inputs.socket_listener]] and [[inputs.statsd]] in it")
	fs.StringVar(&o.dataFormat, "data-format", "", "Telegraf data_format: json, influx, wavefront, value, influx_upstream, or auto (default auto)")
	fs.Var(&o.sets, "set", "any other socket_listener or statsd option as key=value (repeatable), e.g. --set read_buffer_size=1MiB, --set percentiles=[50,90]")
	fs.DurationVar(&o.interval, "interval", 0, "the agent's interval ([agent] interval), how often a statsd input flushes (default Telegraf's 10s)")
	fs.BoolVar(&o.omitHostname, "omit-hostname", false, "leave out the host tag Telegraf adds (as [agent] omit_hostname)")
	fs.StringVar(&o.jsonNameKey, "json-name-key", "", "json_name_key")
	fs.Var(&o.tagKeys, "tag-keys", "tag_keys, comma separated")
	fs.Var(&o.jsonStringFields, "json-string-fields", "json_string_fields, comma separated")
	fs.StringVar(&o.jsonTimeKey, "json-time-key", "", "json_time_key")
	fs.StringVar(&o.jsonTimeFormat, "json-time-format", "", "json_time_format (unix, unix_ms, unix_us, unix_ns or a Go layout)")
	fs.StringVar(&o.jsonTimezone, "json-timezone", "", "json_timezone")
	fs.StringVar(&o.influxPrecision, "influx-timestamp-precision", "", "influx_timestamp_precision (1ns, 1us, 1ms, 1s)")
	fs.StringVar(&o.nameOverride, "name-override", "", "name_override")

	fs.StringVar(&o.output, "output", "text", "report format: text, json (one JSON object per event), github (workflow annotations) or junit (XML)")
	fs.Var(&o.reports, "report", "also write the report in `FORMAT=FILE` (text, json, github or junit), beside --output (repeatable), e.g. --report junit=fakegraf.xml")
	fs.BoolVar(&o.quiet, "quiet", false, "print only findings and the summary")
	fs.BoolVar(&o.quiet, "q", false, "short for --quiet")
	fs.StringVar(&o.color, "color", "auto", "colour the text report: auto, always or never")
	fs.StringVar(&o.metricsOut, "metrics-out", "", "write accepted metrics as line protocol, as Telegraf's outputs.file would, to FILE (- for stdout)")

	fs.IntVar(&o.count, "count", 0, "stop after N metrics")
	fs.DurationVar(&o.duration, "duration", 0, "stop after this long")
	fs.StringVar(&o.until, "until", "", "stop condition: idle=1s, count=N or duration=D")

	fs.StringVar(&o.failOn, "fail-on", "warning", "exit 1 when a finding is at or above: info, warning, error or never")
	fs.Var(&o.enable, "enable", "run only these rules (comma separated IDs)")
	fs.Var(&o.disable, "disable", "do not run these rules (comma separated IDs)")

	fs.StringVar(&o.golden, "golden", "", "compare what arrived (sorted line protocol and findings) with this golden file; exit 1 on a difference")
	fs.BoolVar(&o.update, "update", false, "with --golden: rewrite the golden file instead of comparing")
	fs.Var(&o.ignoreTags, "ignore-tags", "with --golden: tag keys to leave out (default host, which differs per machine; pass none to keep it)")
	fs.Var(&o.ignoreFields, "ignore-fields", "with --golden: field keys to leave out")
	fs.BoolVar(&o.ignoreTimestamps, "ignore-timestamps", false, "with --golden: leave out every timestamp")
	fs.Float64Var(&o.floatTolerance, "float-tolerance", 0, "with --golden: absolute tolerance for float fields")
	fs.StringVar(&o.expect, "expect", "", "check assertions from this file (at-least N, at-most N, exactly N, never); see README")
}

// newFlags builds the flag set that listen, run and check share.
func newFlags(command string, stderr io.Writer, usage string) (*flag.FlagSet, *listenOptions) {
	fs := newFlagSet(command, stderr, usage)
	o := &listenOptions{}
	o.register(fs)
	return fs, o
}

func (o *listenOptions) parserOptions() []setup.Option {
	var opts []setup.Option
	str := func(key, v string) {
		if v != "" {
			opts = append(opts, setup.Option{Key: key, Value: strconv.Quote(v)})
		}
	}
	list := func(key string, v []string) {
		if len(v) > 0 {
			q := make([]string, len(v))
			for i, s := range v {
				q[i] = strconv.Quote(s)
			}
			opts = append(opts, setup.Option{Key: key, Value: "[" + strings.Join(q, ", ") + "]"})
		}
	}
	str("json_name_key", o.jsonNameKey)
	list("tag_keys", o.tagKeys)
	list("json_string_fields", o.jsonStringFields)
	str("json_time_key", o.jsonTimeKey)
	str("json_time_format", o.jsonTimeFormat)
	str("json_timezone", o.jsonTimezone)
	str("influx_timestamp_precision", o.influxPrecision)
	str("name_override", o.nameOverride)
	return append(opts, o.sets...)
}

// loadInputs reads the config or the flags.
func (o *listenOptions) loadInputs(addresses []string, stderr io.Writer) (*setup.Config, error) {
	if o.config != "" {
		if len(addresses) > 0 || o.dataFormat != "" || len(o.parserOptions()) > 0 || o.omitHostname || o.interval != 0 {
			return nil, errors.New("--config takes the addresses, parser options and interval from the config: drop the other addresses and parser flags, or drop --config")
		}
		var cfg *setup.Config
		var err error
		if o.configData != nil {
			cfg, err = setup.Load(o.configData, o.config)
		} else {
			cfg, err = setup.LoadFile(o.config)
		}
		if err != nil {
			return nil, fmt.Errorf("loading %s: %w", o.config, err)
		}
		for _, in := range cfg.Inputs {
			for _, note := range setup.InputNotes(in) {
				fmt.Fprintf(stderr, "fakegraf: note: %s\n", note)
			}
		}
		if len(cfg.Ignored) > 0 {
			fmt.Fprintf(stderr, "fakegraf: ignoring %s: fakegraf serves only %s\n", strings.Join(cfg.Ignored, ", "), setup.ServedInputs())
		}
		for _, skipped := range cfg.Skipped {
			fmt.Fprintf(stderr, "fakegraf: skipping %s\n", skipped)
		}
		return cfg, nil
	}
	zeroConfig := len(addresses) == 0
	if zeroConfig {
		addresses = append(slices.Clone(defaultAddresses), defaultInfluxDBAddresses...)
	}
	format := o.dataFormat
	if format == "" {
		format = "auto"
	}
	if o.interval < 0 {
		return nil, fmt.Errorf("--interval %s: the agent's interval must be positive, such as --interval 10s", o.interval)
	}
	f := setup.Flags{DataFormat: format, Options: o.parserOptions(), OmitHostname: o.omitHostname, Interval: o.interval}
	for _, a := range addresses {
		// Telegraf binds a malformed address without a word (a random port
		// on every interface for tcp:127.0.0.1:8094): on the command line
		// it is a usage error that shows what was probably meant.
		if err := setup.CheckAddress(a); err != nil {
			return nil, err
		}
		bound, _ := setup.LoopbackAddress(a)
		for _, note := range setup.AddressNotes(bound) {
			fmt.Fprintf(stderr, "fakegraf: note: %s\n", note)
		}
		f.Addresses = append(f.Addresses, bound)
	}
	cfg, err := setup.FromFlags(f)
	if err == nil && zeroConfig {
		err = shareInfluxDBPort(cfg, stderr)
	}
	if err != nil {
		// Telegraf's message names a line of the config the flags make.
		format := f.DataFormat
		if format == "auto" {
			format = setup.AutoFormats[0]
		}
		return nil, fmt.Errorf("%w\nthe flags make this telegraf.conf:\n%s", err, indentLines(f.TOML(format)))
	}
	return cfg, nil
}

func indentLines(s string) string {
	var b strings.Builder
	for i, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		fmt.Fprintf(&b, "  %2d  %s\n", i+1, line)
	}
	return strings.TrimRight(b.String(), "\n")
}

type stopRule struct {
	count    int
	duration time.Duration
	idle     time.Duration
}

func parseUntil(o *listenOptions) (stopRule, error) {
	s := stopRule{count: o.count, duration: o.duration}
	if o.until == "" {
		return s, nil
	}
	for _, part := range strings.Split(o.until, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return s, fmt.Errorf("--until %q: want idle=1s, count=N or duration=D", part)
		}
		var err error
		switch k {
		case "idle":
			s.idle, err = time.ParseDuration(v)
		case "duration":
			s.duration, err = time.ParseDuration(v)
		case "count":
			s.count, err = strconv.Atoi(v)
		default:
			err = fmt.Errorf("unknown condition %q", k)
		}
		if err != nil {
			return s, fmt.Errorf("--until %q: %w", part, err)
		}
	}
	return s, nil
}

func runListen(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// The handler goes in first: a stop signal that arrives while the
	// config loads still gets the summary.
	ctx, stop := withSignals(ctx, stderr, nil)
	defer stop()
	fs, o := newFlags("listen", stderr, "Usage: fakegraf listen [ADDRESS ...] [flags]\n       fakegraf listen --config telegraf.conf [flags]\n\n"+
		"ADDRESS is a service_address such as udp://127.0.0.1:8094, tcp://:8094 (binds loopback) or unix:///tmp/telegraf.sock,\n"+
		"or a statsd input: statsd://127.0.0.1:8125 (udp) or statsd+tcp://127.0.0.1:8125 ([[inputs.statsd]]; statsd+udp4://, statsd+udp6:// too).\n"+
		"With no addresses it listens on udp and tcp 127.0.0.1:8094, unix:///tmp/telegraf.sock, statsd://127.0.0.1:8125\n"+
		"and the InfluxDB v1 and v2 write APIs (influxdb:// and influxdb-v2://) together on 127.0.0.1:8086 (or the next free port);\n"+
		"with no arguments at all it also serves the HTTP API on 127.0.0.1:8095 (or the next free port).\n")
	var so sessionOptions
	so.register(fs)
	addresses, err := parseInterleaved(fs, args)
	if err != nil {
		return flagExit(err)
	}
	sess, closeAll, err := so.open(o, addresses, len(args) == 0, stdout, stderr)
	defer closeAll()
	if err != nil {
		fmt.Fprintf(stderr, "fakegraf: %v\n", err)
		return exitCannot
	}
	return sess.serve(ctx)
}

// session is one run of listen: its server, report and stop rule.
type session struct {
	opt       *listenOptions
	inputs    *setup.Config
	rules     *parse.RuleSet
	failOn    parse.Severity // 0 = never
	stop      stopRule
	printer   report.Printer
	collector *report.Collector
	metrics   *report.MetricsWriter
	files     []io.Closer
	stderr    io.Writer
	golden    *report.Golden
	expect    *report.Expect
	results   []report.CheckResult // the checks of the whole run, in order
	status    *report.Status       // the status line, when stderr is a terminal
	api       *apiServer           // the HTTP API, when it is on
	findings  *findingsout.Out     // --findings-out, when it is given
	// onStart runs once the sockets are bound (fakegraf run starts the
	// sender there); done, when set, tells wait that the sender has exited.
	onStart func(*serve.Server) error
	done    <-chan struct{}
	// stopped runs after the server has closed (fakegraf run reports the
	// sender's fate there).
	stopped func()
	// capture writes what arrives (--capture), from the listeners'
	// handlers; nil without --capture.
	capture     *capture.Writer
	capturePath string
	// captureSummary is what the capture held when it was closed, for the
	// report's summary.
	captureSummary *report.CaptureSummary
	// checked are the captures check read, for the summary.
	checked []report.CheckedCapture
}

func newSession(o *listenOptions, addresses []string, stdout, stderr io.Writer) (*session, error) {
	s := &session{opt: o, stderr: stderr, collector: report.NewCollector()}
	var err error
	if s.stop, err = parseUntil(o); err != nil {
		return nil, err
	}
	if o.failOn != "never" {
		if s.failOn, err = parse.ParseSeverity(o.failOn); err != nil {
			return nil, fmt.Errorf("--fail-on: %w", err)
		}
	}
	if err := checkRuleIDs(o.enable, o.disable); err != nil {
		return nil, err
	}
	if s.rules, err = parse.NewRuleSet(o.enable, o.disable); err != nil {
		return nil, err
	}
	reportOut := stdout
	if o.metricsOut != "" {
		var w io.Writer = stdout
		if o.metricsOut == "-" {
			// stdout carries the line protocol; the report moves to stderr.
			reportOut = stderr
		} else {
			f, err := os.Create(o.metricsOut)
			if err != nil {
				return nil, fmt.Errorf("--metrics-out: %w", err)
			}
			s.files = append(s.files, f)
			w = f
		}
		if s.metrics, err = report.NewMetricsWriter(w); err != nil {
			return nil, err
		}
		s.metrics.OnError = func(err error) { fmt.Fprintf(stderr, "fakegraf: --metrics-out: %v\n", err) }
	}
	popt := report.Options{Quiet: o.quiet, Color: useColor(o.color, reportOut)}
	if isTerminal(stderr) {
		// Everything written to the terminal goes through the status line,
		// which steps aside for it.
		s.status = report.NewStatus(stderr, s.collector)
		if isTerminal(reportOut) {
			reportOut = s.status.Writer(reportOut)
		}
		s.stderr = s.status.Writer(stderr)
	}
	if s.printer, err = newPrinter(o.output, reportOut, popt, s.failOn); err != nil {
		return nil, fmt.Errorf("--output %q: use text, json, github or junit", o.output)
	}
	if len(o.reports) > 0 {
		// Each --report file gets a printer of its own, fed the same events
		// as --output's in the same order: a CI job gets annotations on
		// stdout and a JUnit file from one run.
		printers := report.Printers{s.printer}
		for _, r := range o.reports {
			f, err := os.Create(r.file)
			if err != nil {
				return nil, fmt.Errorf("--report %s=%s: %w", r.format, r.file, err)
			}
			s.files = append(s.files, f)
			p, _ := newPrinter(r.format, f, report.Options{Quiet: o.quiet}, s.failOn)
			printers = append(printers, p)
		}
		s.printer = printers
	}
	if o.golden != "" {
		ignore := []string(o.ignoreTags)
		if len(ignore) == 0 {
			ignore = []string{"host"}
		} else if len(ignore) == 1 && ignore[0] == "none" {
			ignore = nil
		}
		s.golden = report.NewGolden(report.GoldenOptions{
			IgnoreTags: ignore, IgnoreFields: o.ignoreFields, IgnoreTimestamps: o.ignoreTimestamps, FloatTolerance: o.floatTolerance,
			UpdateHint: "--update",
		})
	} else if o.update {
		return nil, errors.New("--update rewrites the file given with --golden: add --golden FILE")
	}
	if o.expect != "" {
		if s.expect, err = report.NewExpect(o.expect); err != nil {
			return nil, fmt.Errorf("--expect: %w", err)
		}
	}
	if s.inputs, err = o.loadInputs(addresses, stderr); err != nil {
		return nil, err
	}
	return s, nil
}

// newPrinter returns the report printer for format, or an error when
// fakegraf has none by that name.
func newPrinter(format string, w io.Writer, popt report.Options, failOn parse.Severity) (report.Printer, error) {
	switch format {
	case "text":
		return report.NewText(w, popt), nil
	case "json":
		return report.NewJSON(w, popt), nil
	case "github":
		return report.NewGitHub(w), nil
	case "junit":
		return report.NewJUnit(w, failOn), nil
	}
	return nil, fmt.Errorf("no report format %q", format)
}

// reportFlag is --report FORMAT=FILE, repeatable.
type reportFlag []reportFile

type reportFile struct{ format, file string }

func (r *reportFlag) String() string { return "" }
func (r *reportFlag) Set(v string) error {
	format, file, ok := strings.Cut(v, "=")
	switch {
	case !ok || file == "":
		return fmt.Errorf("want FORMAT=FILE, e.g. junit=fakegraf.xml, got %q", v)
	case format != "text" && format != "json" && format != "github" && format != "junit":
		return fmt.Errorf("format %q: use text, json, github or junit", format)
	case file == "-":
		return fmt.Errorf("%q: --report writes to a file; for stdout use --output %s", v, format)
	}
	*r = append(*r, reportFile{format, file})
	return nil
}

func (s *session) closeFiles() {
	for _, f := range s.files {
		f.Close()
	}
}

func useColor(mode string, w io.Writer) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	return isTerminal(w)
}

// isTerminal reports whether w is a terminal that understands a carriage
// return and the erase-line escape.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// sink is the one fan-out of the run: the summary, the metrics file, the
// golden file, the expectations and the report see every event in order.
func (s *session) sink() serve.Sink {
	t := serve.Tee{s.collector}
	if s.api != nil {
		t = serve.Tee{s.api.store, s.api.page} // the store feeds the collector
	}
	if s.metrics != nil {
		t = append(t, s.metrics)
	}
	if s.golden != nil {
		t = append(t, s.golden)
	}
	if s.findings != nil {
		t = append(t, s.findings)
	}
	if s.expect != nil {
		t = append(t, s.expect)
	}
	return append(t, s.printer)
}

// fail records a failed check of the whole run.
func (s *session) fail(f report.Failure) { s.results = append(s.results, report.FailedCheck(f)) }

// checks runs the end-of-run checks: golden file and expectations.
func (s *session) checks() {
	if s.golden != nil {
		res := s.golden.Check(s.opt.golden, s.opt.update)
		if res.Result == report.Updated {
			fmt.Fprintf(s.stderr, "fakegraf: wrote %s\n", s.opt.golden)
		}
		s.results = append(s.results, res)
	}
	if s.expect != nil {
		s.results = append(s.results, s.expect.Results()...)
	}
}

func (s *session) serve(ctx context.Context) int {
	srv, err := serve.Start(s.inputs, s.sink(), serve.Options{
		Rules: s.rules,
		Log:   func(msg string) { fmt.Fprintf(s.stderr, "fakegraf: %s\n", msg) },
		Wrap:  s.wrap,
	})
	if err != nil {
		if s.findings != nil {
			s.findings.Close(100 * time.Millisecond) // nothing was served: end its writer
		}
		fmt.Fprintf(s.stderr, "fakegraf: %v\n", err)
		return exitCannot
	}
	for _, l := range srv.Listening() {
		fmt.Fprintf(s.stderr, "listening on %s\n", l.URL)
	}
	if s.onStart != nil {
		if err := s.onStart(srv); err != nil {
			srv.Close()
			fmt.Fprintf(s.stderr, "fakegraf: %v\n", err)
			return exitCannot
		}
	}
	stopStatus := func() {}
	if s.status != nil {
		stopStatus = s.status.Run(250 * time.Millisecond)
	}
	stoppedBy := s.wait(ctx, srv)
	srv.Close()
	s.closeFindingsOut(srv)
	s.stopCapture()
	stopStatus()
	if s.stopped != nil {
		s.stopped()
	}
	s.arrivals(stoppedBy, srv.Listening(), s.done != nil)
	return s.finish()
}

// finish runs the end-of-run checks, prints the failures and the summary,
// and returns the exit code.
func (s *session) finish() int {
	verdictMu.Lock()
	defer verdictMu.Unlock()
	s.checks()
	failed := false
	for _, c := range s.results {
		if c.Failed() {
			failed = true
			s.printer.Failure(c.Failure())
		}
	}
	sum := s.collector.Summary()
	sum.Checks = s.results
	sum.Capture = s.captureSummary
	sum.Checked = s.checked
	s.printer.Summary(sum)
	if failed || s.failOn > 0 && sum.CountAtLeast(s.failOn) > 0 {
		return exitFindings
	}
	return exitOK
}

// After its sender has exited, fakegraf run ends as soon as everything the
// sender sent has been processed, instead of waiting an idle time: the
// sender's exit means it has made every write, so what it sent is in
// fakegraf's queue, in a connection still open on fakegraf's side, or in a
// socket's kernel queue, which serve.Server.Settled looks at (datagram
// sockets and connections waiting to be accepted are polled with poll(2);
// see listener.Busy). Settled cannot see the hand-off inside a reader
// goroutine, after the kernel's queue and before fakegraf's: a few
// instructions after accept(2), but for a datagram a hand-over through
// Telegraf's parse pool, a goroutine wake-up or two. So the run ends only
// when Settled has held, with no new event, at two looks settleTick apart,
// and, with a datagram socket bound, for datagramQuiet. A datagram sent just
// before the exit can also still be in the kernel's backlog of received
// packets when the loopback device defers it to ksoftirqd; the quiet period
// covers that too. Waiting for a quiet period alone would not do: a reader
// that falls behind (a burst, a busy machine) leaves the kernel's queue
// full while nothing new is processed. --until idle=D keeps the old rule,
// for senders that leave children behind to send after they exit.
const (
	settleTick    = 5 * time.Millisecond
	datagramQuiet = 25 * time.Millisecond
)

// wait returns when the run should stop (a signal, --count, --duration,
// idle, or, under fakegraf run, the sender's work being done) and says what
// stopped it, "" for --count, for the messages of a run that got less than
// it waited for.
func (s *session) wait(ctx context.Context, srv *serve.Server) string {
	var deadline <-chan time.Time
	if s.stop.duration > 0 {
		t := time.NewTimer(s.stop.duration)
		defer t.Stop()
		deadline = t.C
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	exit := s.done       // nil for listen, and once the sender has exited
	var exited time.Time // when the sender exited
	var settle <-chan time.Time
	quiet := settleTick
	if srv.Datagrams() {
		quiet = datagramQuiet
	}
	var quietSince, seen time.Time
	var backlog time.Time // when a backlog was last seen draining
	for {
		select {
		case <-ctx.Done():
			return "a signal"
		case <-deadline:
			return fmt.Sprintf("--duration %s", s.stop.duration)
		case <-exit:
			exit, exited = nil, time.Now()
			if s.stop.idle == 0 {
				t := time.NewTicker(settleTick)
				defer t.Stop()
				settle = t.C
			}
		case <-settle:
			if s.stop.count > 0 && s.collector.Metrics() >= s.stop.count {
				return ""
			}
			last := srv.LastEvent()
			if !srv.Settled() || !last.Equal(seen) {
				quietSince, seen = time.Time{}, last
				continue
			}
			if quietSince.IsZero() {
				quietSince = time.Now()
				continue
			}
			if time.Since(quietSince) >= quiet {
				return "the sender's exit"
			}
		case <-tick.C:
			if s.stop.count > 0 && s.collector.Metrics() >= s.stop.count {
				return ""
			}
			if s.stop.idle == 0 || s.done != nil && exited.IsZero() {
				continue // no idle rule, or the sender is still running
			}
			// Idle time counts from the first event: a listener nobody has
			// sent to yet is waiting, not idle. Under fakegraf run it counts
			// from the sender's exit too, for what its children still send.
			// A backlog is not idle either: while it drains, the readers
			// wait for the queue and nothing new arrives, though the sender
			// is still writing (a 1M-line run on a loaded machine was cut
			// off with its connection reset).
			if srv.Backlog() {
				backlog = time.Now()
			}
			from := srv.LastEvent()
			if from.Before(exited) {
				from = exited
			}
			if from.Before(backlog) {
				from = backlog
			}
			if !from.IsZero() && time.Since(from) >= s.stop.idle {
				if s.done != nil {
					return fmt.Sprintf("the sender's exit and %s without anything arriving (--until idle=%s)", s.stop.idle, s.stop.idle)
				}
				return fmt.Sprintf("%s without anything arriving (--until idle=%s)", s.stop.idle, s.stop.idle)
			}
		}
	}
}

// arrivals fails a socket run that got less than it waited for: fewer
// metrics than --count, or nothing at all (fakegraf run says that of its
// sender). stoppedBy is what ended the run.
func (s *session) arrivals(stoppedBy string, listeners []serve.Listening, sender bool) {
	if stoppedBy == "" {
		return // --count was reached
	}
	if n := s.collector.Metrics(); s.stop.count > 0 && n < s.stop.count {
		s.fail(report.Failure{Check: "count", Name: strconv.Itoa(s.stop.count),
			Message: fmt.Sprintf("%d of the %d metric(s) waited for arrived before %s stopped the run", n, s.stop.count, stoppedBy)})
	}
	if sender || arrived(s.collector.Summary()) > 0 {
		return
	}
	urls := make([]string, len(listeners))
	for i, l := range listeners {
		urls[i] = l.URL
	}
	where := "this address"
	if len(urls) > 1 {
		where = "one of these addresses"
	}
	s.fail(report.Failure{Check: "listen", Name: strings.Join(urls, ", "),
		Message: fmt.Sprintf("nothing arrived (no record, no connection) before %s stopped the run: is the sender sending to %s?", stoppedBy, where)})
}
