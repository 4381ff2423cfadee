package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/influxdata/telegraf/config"

	"github.com/fakegraf/fakegraf/capture"
	"github.com/fakegraf/fakegraf/httpin"
	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
)

// captureOptions are --capture and --capture-max, which listen and run have.
type captureOptions struct {
	file string
	max  sizeFlag
}

// sizeFlag is a size as Telegraf writes one in its config (1GiB, 500MB).
type sizeFlag struct {
	n   int64
	set bool
}

func (s *sizeFlag) String() string {
	if !s.set {
		return ""
	}
	return strconv.FormatInt(s.n, 10)
}

func (s *sizeFlag) Set(v string) error {
	var sz config.Size
	if err := sz.UnmarshalText([]byte(v)); err != nil || sz == 0 {
		return fmt.Errorf("want a size such as 1GiB or 500MB, got %q", v)
	}
	s.n, s.set = int64(sz), true
	return nil
}

func (c *captureOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&c.file, "capture", "", "write everything that arrives, with connections, datagrams, peers and times, to `FILE` (docs/capture.md), for fakegraf check and fakegraf replay")
	fs.Var(&c.max, "capture-max", "with --capture: stop capturing at this size, such as 500MB (default 1GiB); the capture then says it was cut")
}

// startCapture opens the capture file of a session. args are the
// command-line addresses, kept with the input flags in the header so that
// check rebuilds the same inputs without being told.
func (s *session) startCapture(c captureOptions, addresses []string) error {
	if c.file == "" {
		if c.max.set {
			return errors.New("--capture-max bounds the file given with --capture: add --capture FILE (or drop --capture-max)")
		}
		return nil
	}
	h := capture.Header{Writer: "fakegraf " + fakegrafVersion()}
	if s.opt.config != "" {
		data, err := os.ReadFile(s.opt.config)
		if err != nil {
			return fmt.Errorf("--capture: %w", err)
		}
		h.Config, h.ConfigName = data, s.opt.config
	} else {
		h.Flags = inputFlags(s.opt, addresses)
	}
	f, err := os.Create(c.file)
	if err != nil {
		return fmt.Errorf("--capture: %w (choose a path in a folder you can write to)", err)
	}
	stderr := s.stderr
	s.capture = capture.NewWriter(f, h, c.max.n, func(st capture.Status) {
		fmt.Fprintf(stderr, "fakegraf: --capture %s: capture cut at %s: %s; what arrives from now on is checked but not captured\n",
			c.file, st.CutTime.Format("15:04:05.000"), st.Cut)
	})
	s.capturePath = c.file
	return nil
}

// wrap puts the capture in front of a listener's handler.
func (s *session) wrap(n int, in *setup.Input, h listener.Handler) listener.Handler {
	if s.capture == nil {
		return h
	}
	return s.capture.Handler(capture.Input{Number: n, Kind: in.Kind, DataFormat: in.DataFormat,
		ContentEncoding: in.Listen.Socket.ContentEncoding}, h)
}

// stopCapture finishes the capture file and says what it holds.
func (s *session) stopCapture() {
	if s.capture == nil {
		return
	}
	st := s.capture.Close()
	s.capture = nil
	s.captureSummary = &report.CaptureSummary{File: s.capturePath, Events: int64(st.Entries), Bytes: int64(st.Bytes), Cut: st.Cut}
	if st.Cut != "" {
		at := st.CutTime
		s.captureSummary.CutAt = &at
	}
	if st.Err != nil && st.Cut == "" {
		s.captureSummary.Cut = st.Err.Error()
	}
	switch {
	case st.Err != nil:
		fmt.Fprintf(s.stderr, "fakegraf: --capture %s: %v: the capture holds what arrived until %s (%d events); free space or choose another disk\n",
			s.capturePath, st.Err, st.CutTime.Format("15:04:05.000"), st.Entries)
	case st.Cut != "":
		fmt.Fprintf(s.stderr, "fakegraf: --capture %s: cut at %s (%s): %d events, %d bytes; raise --capture-max to keep more\n",
			s.capturePath, st.CutTime.Format("15:04:05.000"), st.Cut, st.Entries, st.Bytes)
	default:
		fmt.Fprintf(s.stderr, "fakegraf: captured %d events (%d bytes) to %s\n", st.Entries, st.Bytes, s.capturePath)
	}
}

// inputFlags are the flags that made a session's inputs, as check would
// take them again.
func inputFlags(o *listenOptions, addresses []string) []string {
	var out []string
	if o.dataFormat != "" {
		out = append(out, "--data-format", o.dataFormat)
	}
	for _, opt := range o.parserOptions() {
		out = append(out, "--set", opt.Key+"="+opt.Value)
	}
	if o.omitHostname {
		out = append(out, "--omit-hostname")
	}
	if o.interval != 0 {
		out = append(out, "--interval", o.interval.String())
	}
	return append(out, addresses...)
}

func fakegrafVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// sniffCapture reports whether file is a capture, and its header.
func sniffCapture(file string) (capture.Header, bool, error) {
	if file == "-" {
		return capture.Header{}, false, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return capture.Header{}, false, nil // openInput says what is wrong
	}
	defer f.Close()
	head := make([]byte, len(capture.Magic))
	n, _ := io.ReadFull(f, head)
	if !capture.IsCapture(head[:n]) {
		return capture.Header{}, false, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return capture.Header{}, true, err
	}
	r, err := capture.NewReader(f)
	if err != nil {
		return capture.Header{}, true, fmt.Errorf("%s: %w", file, err)
	}
	return r.Header(), true, nil
}

// checkCaptureFlags says whether a check command line chose its inputs
// itself; when it did not, a capture's header does.
func checkChoseInputs(o *listenOptions) bool {
	return o.config != "" || o.dataFormat != "" || len(o.parserOptions()) > 0 || o.omitHostname || o.interval != 0
}

// runCheckCaptures is check over capture files: every event fed to the
// engine as the listeners handed it out live. in is the session's inputs,
// matched to the capture's listeners by their position in the config.
func runCheckCaptures(sess *session, files []string, stderr io.Writer) int {
	engine := newCheckEngine(sess)
	for _, file := range files {
		if h, ok, _ := sniffCapture(file); !ok {
			fmt.Fprintf(stderr, "fakegraf: %s is not a capture, and the other files are: check captures and payload files in separate runs\n", file)
			return exitCannot
		} else if h.Version == 0 {
			return exitCannot
		}
		f, err := os.Open(file)
		if err != nil {
			fmt.Fprintf(stderr, "fakegraf: %v\n", err)
			return exitCannot
		}
		r, err := capture.NewReader(f)
		if err != nil {
			f.Close()
			fmt.Fprintf(stderr, "fakegraf: %s: %v\n", file, err)
			return exitCannot
		}
		err = capture.Feed(r, engine.add, engine.engine)
		f.Close()
		engine.closeHTTP()
		if err != nil {
			fmt.Fprintf(stderr, "fakegraf: %s: %v\n", file, err)
			return exitCannot
		}
		cc := report.CheckedCapture{File: filepath.ToSlash(file), Format: "fakegraf"}
		if r.Cut() {
			cc.Cut = "cut short when it was written"
			fmt.Fprintf(stderr, "fakegraf: %s: the capture was cut short when it was written; what arrived after the cut is not in it\n", file)
		}
		sess.checked = append(sess.checked, cc)
	}
	return sess.finish()
}

func describeInputs(cfg *setup.Config) string {
	var names []string
	for i, in := range cfg.Inputs {
		names = append(names, fmt.Sprintf("%d: %s (%s)", i+1, in.Name, in.Listen.Address))
	}
	return strings.Join(names, ", ")
}

// checkEngine is check's engine over captures: the capture's listeners,
// each given the pipeline and framing of the input it served.
type checkEngine struct {
	sess   *session
	engine *serve.Engine
	seen   map[string]bool
	// offline serves a capture's HTTP requests to the plugins of its
	// HTTP inputs, by input number: one per input, or per pair of
	// InfluxDB listeners sharing fakegraf's zero-config port.
	offline map[uint64]*httpin.Offline
	// credited: listeners whose requests were checked with the input's
	// own credentials in place of the ones the capture does not keep.
	credited map[string]bool
}

func newCheckEngine(sess *session) *checkEngine {
	return &checkEngine{sess: sess, engine: serve.NewEngine(sess.sink()), seen: map[string]bool{},
		offline: map[uint64]*httpin.Offline{}, credited: map[string]bool{}}
}

// addHTTP sets up a captured listener of one of Telegraf's HTTP inputs:
// its requests go to the input's own plugin, through the path a live
// request takes (httpin.Offline), and the plugin's answer is Telegraf's.
func (c *checkEngine) addHTTP(e *capture.Entry) (capture.Framing, error) {
	inputs := c.sess.inputs.Inputs
	group := []*setup.Input{inputs[e.Input-1]}
	if int(e.Input) < len(inputs) && inputs[e.Input].SharePort {
		group = append(group, inputs[e.Input])
	}
	// The listener entry's URL names one plugin of the group; the
	// other, on the same port, is named by its own scheme.
	scheme, host, _ := strings.Cut(e.URL, "://")
	in := group[0]
	urls := []string{e.URL}
	if len(group) == 2 {
		urls = nil
		for _, g := range group {
			u := httpScheme(g.Kind) + "://" + host
			urls = append(urls, u)
			if httpScheme(g.Kind) == scheme {
				in = g
			}
		}
	}
	off := c.offline[e.Input]
	if off == nil {
		cfg := httpin.Config{}
		for _, g := range group {
			cfg.Plugins = append(cfg.Plugins, g.Plugin)
		}
		var err error
		off, err = httpin.StartOffline(cfg, urls, c.engine)
		if err != nil {
			return capture.Framing{}, fmt.Errorf("%s: starting Telegraf's %s plugin: %w", e.URL, in.Kind, err)
		}
		c.offline[e.Input] = off
	}
	if !c.seen[e.URL] {
		c.seen[e.URL] = true
		c.engine.Add(e.URL, in.DataFormat, parse.NewPipeline(e.URL, c.sess.rules, serve.Stages(in)...))
	}
	url := e.URL
	serveOne := func(e *capture.Entry) int {
		req := capturedRequest(e)
		if req.Authorized && httpin.Credentials(in.Plugin) != "" && !c.credited[url] {
			c.credited[url] = true
			fmt.Fprintf(c.sess.stderr, "fakegraf: %s: a capture keeps no credentials: the requests that sent Authorization are checked as if they sent this input's own (a wrong one, answered 401 live, is not told apart)\n", url)
		}
		size, _ := off.ServeCaptured(req)
		return size
	}
	return capture.Framing{Request: serveOne}, nil
}

// closeHTTP stops the plugins check started for a capture's HTTP inputs.
func (c *checkEngine) closeHTTP() {
	for n, off := range c.offline {
		off.Close()
		delete(c.offline, n)
	}
}

// capturedRequest is a capture's request entry as httpin serves it again.
func capturedRequest(e *capture.Entry) httpin.Captured {
	req := httpin.Captured{Method: e.Method, Path: e.Path, Query: e.Query, Header: http.Header{}, Body: e.Data,
		ContentLength: -1, Conn: e.Conn, Peer: e.Peer, Received: e.Time}
	for _, h := range e.Header {
		switch http.CanonicalHeaderKey(h[0]) {
		case "Authorization":
			req.Authorized = true
		case "Content-Length":
			if n, err := strconv.ParseInt(h[1], 10, 64); err == nil && n >= 0 {
				req.ContentLength = n
			}
		default:
			req.Header.Add(h[0], h[1])
		}
	}
	return req
}

// httpScheme is the scheme of the listener URL of an HTTP input of kind k.
func httpScheme(k string) string {
	switch k {
	case setup.InfluxDBListener:
		return httpin.SchemeInfluxDB
	case setup.InfluxDBV2Listener:
		return httpin.SchemeInfluxDBV2
	}
	return httpin.SchemeHTTP
}

// add sets up the listener a capture's listener entry describes.
func (c *checkEngine) add(e *capture.Entry) (capture.Framing, error) {
	inputs := c.sess.inputs.Inputs
	if e.Input < 1 || e.Input > uint64(len(inputs)) {
		return capture.Framing{}, fmt.Errorf("the capture's listener %s served input %d, but the inputs here are %s: check the capture with the config or flags it was made with", e.URL, e.Input, describeInputs(c.sess.inputs))
	}
	in := inputs[e.Input-1]
	if in.Kind != e.InputKind || in.DataFormat != e.DataFormat {
		return capture.Framing{}, fmt.Errorf("the capture's listener %s was a %s with data_format %q, but input %d here is a %s with data_format %q: check the capture with the config or flags it was made with", e.URL, e.InputKind, e.DataFormat, e.Input, in.Kind, in.DataFormat)
	}
	if in.Statsd != nil {
		return capture.Framing{}, fmt.Errorf("%s is a statsd input: check does not run Telegraf's statsd plugin; replay the capture into fakegraf listen instead (fakegraf replay FILE --to %s)", e.URL, e.URL)
	}
	if in.HTTP() {
		return c.addHTTP(e)
	}
	split, err := in.Listen.Split.NewSplitter()
	if err != nil {
		return capture.Framing{}, err
	}
	if !c.seen[e.URL] {
		c.seen[e.URL] = true
		c.engine.Add(e.URL, in.DataFormat, parse.NewPipeline(e.URL, c.sess.rules, serve.Stages(in)...))
	}
	return capture.Framing{Splitter: split, ReadBufferSize: int(in.Listen.Socket.ReadBufferSize), ContentEncoding: in.Listen.Socket.ContentEncoding}, nil
}
