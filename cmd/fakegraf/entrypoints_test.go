package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/fakegraftest"
	"github.com/fakegraf/fakegraf/parse"
)

// Every rule acts the same in every entry point: its trigger, sent the way
// each entry point takes data, gives the rule's finding; --disable removes
// it, --enable keeps it alone (parse-error is always on), and --fail-on
// decides the exit code from its severity. Transport rules are triggered by
// scenarios on real sockets.
func TestEveryRuleInEveryEntryPoint(t *testing.T) {
	if testing.Short() {
		t.Skip("binds sockets and runs senders for every rule")
	}
	for _, r := range parse.Rules() {
		sc := scenarioFor(t, r)
		t.Run(r.ID, func(t *testing.T) {
			t.Parallel()
			for _, ep := range entryPoints {
				if why := ep.cannot(sc); why != "" {
					t.Logf("%s: not reachable: %s", ep.name, why)
					continue
				}
				t.Run(ep.name, func(t *testing.T) {
					got := ep.run(t, sc, nil)
					sev, ok := got.severity(r.ID)
					require.True(t, ok, "the trigger gave no %s finding; findings: %v; records arrived: %d", r.ID, got.rules, got.arrived[0])

					all := got
					got = ep.run(t, sc, []string{"--disable", r.ID})
					_, ok = got.severity(r.ID)
					require.False(t, ok, "--disable %s: the finding is still reported", r.ID)
					if diff := cmp.Diff(all.arrived, got.arrived); diff != "" {
						t.Errorf("--disable %s: what arrived (records, socket errors) differs, so the absence proves nothing (-want +got):\n%s", r.ID, diff)
					}

					if ep.flags {
						got = ep.run(t, sc, []string{"--enable", r.ID})
						for rule := range got.rules {
							require.Contains(t, []string{r.ID, "parse-error"}, rule, "--enable %s", r.ID)
						}
						got = ep.run(t, sc, []string{"--enable", r.ID, "--fail-on", sev})
						if diff := cmp.Diff(exitFindings, got.exit); diff != "" {
							t.Errorf("exit code with --fail-on %s and a %s finding (-want +got):\n%s", sev, sev, diff)
						}
						got = ep.run(t, sc, []string{"--enable", r.ID, "--fail-on", "never"})
						want := exitOK
						if got.failures > 0 {
							want = exitFindings // a failed run check (a sender that sent nothing) fails whatever --fail-on says
						}
						if diff := cmp.Diff(want, got.exit); diff != "" {
							t.Errorf("exit code with --fail-on never (-want +got):\n%s", diff)
						}
					}
				})
			}
		})
	}
}

// scenario is what one rule's trigger sends: the input's config, and the
// bytes of each connection (stream) or datagram, in order.
type scenario struct {
	rule   string
	config string // the socket_listener table body, service_address with port 0 or a fresh path
	auto   bool   // --data-format auto, which no telegraf.conf can say
	// statsd makes config the body of an [[inputs.statsd]] table.
	statsd bool
	// http, when set, makes config the body of that HTTP input's table,
	// and requests are what is sent, in order, in place of sends.
	http     string
	requests []httpRequest
	stream   bool
	sends    [][]byte
	// hold keeps the first connection open while the next ones are made
	// (max_connections).
	hold bool
	// fileOK says whether `fakegraf check` can take the scenario: records
	// in files, one file per connection or one quoted datagram per line.
	fileOK string
}

// scenarioFor turns a rule's first trigger into bytes on a socket, or, for
// the transport rules, a socket scenario that makes the event happen.
func scenarioFor(t *testing.T, r *parse.Rule) scenario {
	sc := scenario{rule: r.ID}
	switch r.ID {
	case "max-connections":
		sc.config, sc.stream, sc.hold = "service_address = \"tcp://127.0.0.1:0\"\ndata_format = \"influx\"\nmax_connections = 1", true, true
		sc.sends = [][]byte{[]byte("cpu v=1\n"), []byte("cpu v=2\n")}
		sc.fileOK = "a refused connection needs a socket"
		return sc
	case "source-not-allowed":
		sc.config, sc.stream = "service_address = \"tcp://127.0.0.1:0\"\ndata_format = \"influx\"\nallowed_sources = [\"10.9.9.9\"]", true
		sc.sends = [][]byte{[]byte("cpu v=1\n")}
		sc.fileOK = "a refused source needs a socket"
		return sc
	case "socket-error":
		sc.config, sc.stream = "service_address = \"tcp://127.0.0.1:0\"\ndata_format = \"influx\"\ncontent_encoding = \"gzip\"", true
		sc.sends = [][]byte{[]byte("cpu v=1\n")}
		sc.fileOK = "check reads files without content_encoding"
		return sc
	case "forward-loss":
		// The comment is how a telegraf.conf asks for --forward; port 1 on
		// loopback refuses, so every byte is lost on the way upstream.
		sc.config, sc.stream = "service_address = \"tcp://127.0.0.1:0\"\ndata_format = \"influx\"\n# fakegraf: forward = \"tcp://127.0.0.1:1\"", true
		sc.sends = [][]byte{[]byte("cpu v=1\n")}
		sc.fileOK = "check reads files and forwards nothing"
		return sc
	case "udp-kernel-drops":
		sc.fileOK = "kernel drops need a socket"
		sc.config = "kernel drops cannot be caused on demand without holding fakegraf's reader; serve's TestKernelDropsAreReported does that"
		return sc
	case "statsd-missing-type", "statsd-unknown-type", "statsd-bad-value", "statsd-bad-sample-rate", "statsd-not-flushed":
		// Telegraf's plugin logs these (statsdin turns its log into
		// findings), so their triggers are lines sent to the plugin, not
		// the cases' log messages. statsd-not-flushed: a value aggregated
		// and never flushed, the interval (1h) being longer than the run.
		line := map[string]string{"statsd-missing-type": "requests:1", "statsd-unknown-type": "requests:1|q",
			"statsd-bad-value": "requests:x|c", "statsd-bad-sample-rate": "requests:1|c|@x", "statsd-not-flushed": "requests:1|c"}[r.ID]
		sc.statsd, sc.config = true, `service_address = "127.0.0.1:0"`
		if r.ID == "statsd-not-flushed" {
			// Flushes are aligned to the interval on the wall clock
			// (round_interval): with the default 10s, a run that crossed a
			// 10 s boundary flushed the value and the trigger failed, about
			// one run in ten.
			sc.config += "\ninterval = \"1h\""
		}
		sc.sends = [][]byte{[]byte(line + "\n")}
		sc.fileOK = "check does not run Telegraf's statsd plugin, whose log these findings come from"
		return sc
	case "statsd-dropped":
		sc.fileOK = "the plugin's queue cannot be made to overflow on demand"
		sc.config = "the plugin's queue (allowed_pending_messages) overflows only when its parsers fall behind, which a test cannot cause on demand; parse's cases hold the plugin's message"
		return sc
	case "capture-loss":
		sc.fileOK = "it is about a tcpdump capture that lost bytes, which check's text files are not"
		sc.config = "no sender causes it: a tcpdump capture that lost packets does; TestCheckCapture (a snaplen cut) and TestTcpdumpCheckIsLive hold it"
		return sc
	case "findings-not-delivered":
		sc.fileOK = "it is about fakegraf's own --findings-out destination, not what a sender sends"
		sc.config = "no sender causes it: a --findings-out destination that is down does; findingsout's tests and the findings_out script hold it"
		return sc
	case "internal-error":
		sc.fileOK = "a disagreement between fakegraf's parse and Telegraf's plugin is a fakegraf bug, which no sender can cause on demand"
		sc.config = "parse's cases hold what the rule reports (a plugin output that disagrees)"
		return sc
	case "datagram-truncated":
		sc.config = "service_address = \"unixgram://" + shortSocketPath(t) + "\"\ndata_format = \"influx\"\nread_buffer_size = \"4KiB\""
		sc.sends = [][]byte{[]byte("cpu s=\"" + strings.Repeat("x", 8000) + "\"\n")}
		sc.fileOK = "check reads lines, not datagrams cut by a read buffer"
		return sc
	}
	var c parse.Case
	for _, cand := range r.Cases {
		if cand.Transport == nil && cand.Wants(r.ID) && loopbackPeers(cand) {
			c = cand
			break
		}
	}
	require.NotEmpty(t, c.Records, "rule %s has no trigger that a sender on loopback can send", r.ID)
	if c.HTTP != "" {
		return httpScenario(t, sc, c)
	}
	sc.config, sc.stream, sc.auto, sc.statsd = c.Config, c.Stream(), c.Config == `data_format = "auto"`, c.Statsd
	if sc.statsd {
		sc.fileOK = "check does not run Telegraf's statsd plugin"
		if !strings.Contains(sc.config, "service_address") {
			sc.config = strings.TrimSpace("service_address = \"127.0.0.1:0\"\n" + sc.config)
		}
	} else if !strings.Contains(sc.config, "service_address") {
		sc.config = "service_address = \"udp://127.0.0.1:0\"\n" + sc.config
	}
	now := time.Now()
	var conns []uint64
	byConn := map[uint64]*bytes.Buffer{}
	for n, rec := range c.Records {
		data, _ := parse.Unmark(parse.ExpandTimes(rec.Data, now))
		if !sc.stream {
			sc.sends = append(sc.sends, []byte(data))
			continue
		}
		conn := max(rec.Conn, 1)
		b, ok := byConn[conn]
		if !ok {
			b = &bytes.Buffer{}
			byConn[conn] = b
			conns = append(conns, conn)
		}
		b.WriteString(data)
		if !(rec.Unterminated || n == len(c.Records)-1 && c.Wants("missing-newline")) {
			b.WriteString("\n")
		}
	}
	for _, conn := range conns {
		sc.sends = append(sc.sends, byConn[conn].Bytes())
	}
	return sc
}

// loopbackPeers says whether every record of a case can come from a sender
// on this machine, and none needs the kernel to cut it.
func loopbackPeers(c parse.Case) bool {
	for _, r := range c.Records {
		if r.Truncated || r.Peer != "" && !strings.HasPrefix(r.Peer, "127.0.0.1:") {
			return false
		}
	}
	return true
}

func shortSocketPath(t *testing.T) string {
	dir, err := os.MkdirTemp("", "fg")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "s.sock")
}

// outcome is what one run reported.
type outcome struct {
	rules    map[string]string // rule -> severity of its first finding
	exit     int
	failures int
	// arrived is what came in, from the summary: records, and socket
	// errors plus refused connections.
	arrived [2]int
}

func (o outcome) severity(rule string) (string, bool) {
	s, ok := o.rules[rule]
	return s, ok
}

type entryPoint struct {
	name   string
	flags  bool // takes --enable and --fail-on
	cannot func(scenario) string
	run    func(t *testing.T, sc scenario, flags []string) outcome
}

var entryPoints = []entryPoint{
	{name: "check", flags: true, cannot: func(sc scenario) string { return sc.fileOK }, run: runCheckScenario},
	{name: "listen", flags: true, cannot: socketOnly, run: runListenScenario},
	{name: "run", flags: true, cannot: socketOnly, run: runRunScenario},
	{name: "fakegraftest", cannot: func(sc scenario) string {
		if sc.http != "" {
			return "fakegraftest does not serve the HTTP inputs yet (issue 13's CLI part)"
		}
		if sc.auto {
			return "fakegraftest takes a data_format, never auto"
		}
		if strings.Contains(sc.config, "# fakegraf:") {
			return "fakegraftest takes options, not a telegraf.conf's # fakegraf: comments, and does not forward"
		}
		return socketOnly(sc)
	}, run: runFakegraftestScenario},
}

func socketOnly(sc scenario) string {
	if len(sc.sends) == 0 && len(sc.requests) == 0 {
		return sc.config
	}
	return ""
}

// findingsIn reads the finding events of --output json and the exit code.
func findingsIn(t *testing.T, out string, exit int) outcome {
	o := outcome{rules: map[string]string{}, exit: exit}
	for _, line := range strings.Split(out, "\n") {
		var ev struct {
			Event, Rule, Severity string
			Listeners             []struct {
				Records      int `json:"records"`
				SocketErrors int `json:"socket_errors"`
			}
		}
		if json.Unmarshal([]byte(line), &ev) != nil {
			continue
		}
		switch ev.Event {
		case "failure":
			o.failures++
		case "summary":
			for _, l := range ev.Listeners {
				o.arrived[0] += l.Records
			}
		case "finding":
			if _, seen := o.rules[ev.Rule]; !seen {
				o.rules[ev.Rule] = ev.Severity
			}
		}
	}
	return o
}

func writeConfig(t *testing.T, sc scenario) []string {
	if sc.auto {
		return []string{"--data-format", "auto", "--omit-hostname"}
	}
	path := filepath.Join(t.TempDir(), "telegraf.conf")
	table := "[[inputs.socket_listener]]"
	if sc.statsd {
		table = "[[inputs.statsd]]"
	}
	if sc.http != "" {
		table = "[[inputs." + sc.http + "]]"
	}
	body := "[agent]\n  omit_hostname = true\n" + table + "\n"
	for _, line := range strings.Split(sc.config, "\n") {
		body += "  " + line + "\n"
	}
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	return []string{"--config", path}
}

func configAddress(sc scenario) string {
	m := regexp.MustCompile(`service_address = "([^"]*)"`).FindStringSubmatch(sc.config)
	return m[1]
}

func runCheckScenario(t *testing.T, sc scenario, flags []string) outcome {
	dir := t.TempDir()
	args := append([]string{"check", "--output", "json"}, flags...)
	if sc.auto {
		args = append(args, "--data-format", "auto", "--omit-hostname")
	} else {
		args = append(args, writeConfig(t, sc)...)
	}
	if !sc.stream {
		var b strings.Builder
		for _, d := range sc.sends {
			b.WriteString(strconv.Quote(string(d)) + "\n")
		}
		file := filepath.Join(dir, "datagrams.txt")
		require.NoError(t, os.WriteFile(file, []byte(b.String()), 0o644))
		args = append(args, "--datagrams", "quoted", file)
	} else {
		for i, d := range sc.sends {
			file := filepath.Join(dir, fmt.Sprintf("conn%d.txt", i+1))
			require.NoError(t, os.WriteFile(file, d, 0o644))
			args = append(args, file)
		}
	}
	var stdout, stderr bytes.Buffer
	exit := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	require.NotEqual(t, exitCannot, exit, "stderr: %s", stderr.String())
	return findingsIn(t, stdout.String(), exit)
}

// lockedBuffer is written by fakegraf and read by the test meanwhile.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Bytes is a copy: the writer goes on writing.
func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

func runListenScenario(t *testing.T, sc scenario, flags []string) outcome {
	args := append([]string{"listen", "--output", "json", "--until", "idle=300ms,duration=10s"}, flags...)
	if sc.auto {
		args = append(args, configAddress(sc), "--data-format", "auto", "--omit-hostname")
	} else {
		args = append(args, writeConfig(t, sc)...)
	}
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() { done <- run(context.Background(), args, strings.NewReader(""), &stdout, &stderr) }()
	var addr string
	require.Eventually(t, func() bool {
		m := regexp.MustCompile(`listening on (\S+)`).FindStringSubmatch(stderr.String())
		if m != nil {
			addr = m[1]
		}
		return m != nil
	}, 5*time.Second, 5*time.Millisecond, "stderr: %s", stderr.String())
	if sc.http != "" {
		sendRequests(t, addr, sc)
	} else {
		sendScenario(t, addr, sc)
	}
	exit := <-done
	return findingsIn(t, stdout.String(), exit)
}

// sendScenario plays a scenario to a listener URL the way a sender would.
func sendScenario(t *testing.T, addr string, sc scenario) {
	u, err := url.Parse(addr)
	require.NoError(t, err)
	network, target := u.Scheme, u.Host
	if strings.HasPrefix(network, "unix") {
		target = u.Path
	}
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	var dgram net.Conn // a datagram sender uses one socket, so one peer
	for i, d := range sc.sends {
		var c net.Conn
		switch {
		case dgram != nil:
			c = dgram
		case network == "unixgram":
			c, err = net.DialUnix("unixgram", nil, &net.UnixAddr{Name: target, Net: "unixgram"})
		default:
			c, err = net.Dial(network, target)
		}
		require.NoError(t, err)
		if i > 0 && sc.stream {
			// A sender's connections follow one another; fakegraf serves
			// each in a goroutine of its own, and without a pause the
			// records of two short connections may be processed in
			// either order.
			time.Sleep(50 * time.Millisecond)
		}
		_, _ = c.Write(d) // a refused connection may fail the write: that is the point
		if !sc.stream {
			dgram = c
			continue
		}
		if sc.hold && len(held) == 0 {
			held = append(held, c)
			continue
		}
		c.Close()
	}
	if dgram != nil {
		dgram.Close()
	}
	if len(held) > 0 {
		// Hold the first connection until fakegraf has surely refused the
		// next: closing it early would free the slot.
		time.Sleep(200 * time.Millisecond)
	}
}

// senderPy plays a scenario to FAKEGRAF_ADDR under `fakegraf run`.
const senderPy = `
import base64, json, os, socket, sys, time, urllib.parse
plan = json.loads(sys.argv[1])
u = urllib.parse.urlparse(os.environ["FAKEGRAF_ADDR"])
held = []
dgram = None
for i, data in enumerate(plan["sends"]):
    data = base64.b64decode(data)
    if i > 0 and plan["stream"]:
        time.sleep(0.05)
    if dgram:
        s = dgram
    elif u.scheme in ("unix", "unixgram", "unixpacket"):
        kind = {"unix": socket.SOCK_STREAM, "unixgram": socket.SOCK_DGRAM, "unixpacket": socket.SOCK_SEQPACKET}[u.scheme]
        s = socket.socket(socket.AF_UNIX, kind); s.connect(u.path)
    elif u.scheme.startswith("udp"):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect((u.hostname, u.port))
    else:
        s = socket.create_connection((u.hostname, u.port))
    try:
        s.send(data)
    except OSError:
        pass
    if not plan["stream"]:
        dgram = s; continue
    if plan["hold"] and not held:
        held.append(s); continue
    s.close()
if held:
    time.sleep(0.2)
for s in held:
    s.close()
`

func runRunScenario(t *testing.T, sc scenario, flags []string) outcome {
	script := filepath.Join(t.TempDir(), "sender.py")
	sender := senderPy
	if sc.http != "" {
		sender = senderHTTPPy
	}
	require.NoError(t, os.WriteFile(script, []byte(sender), 0o644))
	plan := map[string]interface{}{"hold": sc.hold, "stream": sc.stream, "requests": sc.requests}
	var sends []string
	for _, d := range sc.sends {
		sends = append(sends, base64.StdEncoding.EncodeToString(d))
	}
	plan["sends"] = sends
	pj, err := json.Marshal(plan)
	require.NoError(t, err)
	args := append([]string{"run", "--output", "json"}, flags...)
	if sc.auto {
		args = append(args, configAddress(sc), "--data-format", "auto", "--omit-hostname")
	} else {
		args = append(args, writeConfig(t, sc)...)
	}
	python, err := exec.LookPath("python3")
	require.NoError(t, err, "the run entry point's sender is a python3 script")
	args = append(args, "--", python, script, string(pj))
	var stdout, stderr lockedBuffer
	exit := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	require.NotEqual(t, exitCannot, exit, "stderr: %s", stderr.String())
	return findingsIn(t, stdout.String(), exit)
}

// expectedRecords is how many records the scenario's sends make: a
// datagram each, or a record per line of a stream; none on a refused
// connection or a gzip socket given plain text.
func expectedRecords(sc scenario) int {
	if strings.Contains(sc.config, "allowed_sources") || strings.Contains(sc.config, "content_encoding") {
		return 0
	}
	if !sc.stream {
		return len(sc.sends)
	}
	n := 0
	for i, d := range sc.sends {
		if sc.hold && i > 0 {
			continue // refused by max_connections
		}
		n += len(strings.Split(strings.TrimSuffix(string(d), "\n"), "\n"))
	}
	return n
}

func runFakegraftestScenario(t *testing.T, sc scenario, flags []string) outcome {
	address := configAddress(sc)
	var opts []fakegraftest.Opt
	if sc.statsd {
		address = "udp" // the scenarios' statsd inputs are udp on 127.0.0.1:0
		opts = append(opts, fakegraftest.Statsd())
	}
	for _, line := range strings.Split(sc.config, "\n") {
		k, v, ok := strings.Cut(line, " = ")
		switch {
		case !ok || k == "service_address":
		case k == "data_format":
			f, _ := strconv.Unquote(v)
			opts = append(opts, fakegraftest.DataFormat(f))
		default:
			opts = append(opts, fakegraftest.Option(k, v))
		}
	}
	if len(flags) == 2 && flags[0] == "--disable" {
		opts = append(opts, fakegraftest.Disable(flags[1]))
	}
	network := address
	if u, err := url.Parse(address); err == nil && (u.Port() == "0" || strings.HasPrefix(u.Scheme, "unix")) {
		network = u.Scheme // a fresh port or socket path
	}
	srv := fakegraftest.NewServer(t, network, opts...)
	sendScenario(t, srv.URL, sc)
	// A stream connection may still wait to be accepted: wait for what was
	// sent to arrive before Close, which waits only for what has.
	want := expectedRecords(sc)
	require.Eventually(t, func() bool { return len(srv.Results()) >= want }, 5*time.Second, 5*time.Millisecond,
		"%d of %d record(s) arrived", len(srv.Results()), want)
	srv.Close()
	o := outcome{rules: map[string]string{}, arrived: [2]int{len(srv.Results())}}
	for _, d := range srv.Findings() {
		if _, seen := o.rules[d.Rule]; !seen {
			o.rules[d.Rule] = d.Severity.String()
		}
	}
	return o
}

// httpRequest is one request of an HTTP scenario: path with query, headers,
// body (base64 in the run entry point's plan).
type httpRequest struct {
	Method string            `json:"method"`
	Target string            `json:"target"`
	Header map[string]string `json:"header"`
	Body   []byte            `json:"body"`
}

// httpScenario turns an HTTP case into the requests a client sends. check
// reads files, not requests, so it cannot take one.
func httpScenario(t *testing.T, sc scenario, c parse.Case) scenario {
	sc.http = c.HTTP
	sc.fileOK = "check reads records from files; an HTTP input answers requests"
	sc.config = c.Config
	if !strings.Contains(sc.config, "service_address") {
		sc.config = strings.TrimSpace("service_address = \"127.0.0.1:0\"\n" + sc.config)
	}
	if last := c.Records[len(c.Records)-1]; last.Upstream != "" {
		// The case forwards to an upstream that answers so; the
		// comment is how a telegraf.conf asks for --forward.
		status, body, err := last.UpstreamAnswer()
		require.NoError(t, err)
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		}))
		t.Cleanup(up.Close)
		sc.config += "\n# fakegraf: forward = \"" + up.URL + "\""
	}
	now := time.Now()
	for n := range c.Records {
		req, _, err := c.Request("http://base", n, now)
		require.NoError(t, err)
		body, err := io.ReadAll(req.Body)
		require.NoError(t, err)
		hr := httpRequest{Method: req.Method, Target: req.URL.RequestURI(), Header: map[string]string{}, Body: body}
		for k := range req.Header {
			hr.Header[k] = req.Header.Get(k)
		}
		sc.requests = append(sc.requests, hr)
	}
	return sc
}

// sendRequests plays an HTTP scenario to a listener URL (influxdb://…,
// influxdb-v2://…, http://…), one request after the other on one client.
func sendRequests(t *testing.T, addr string, sc scenario) {
	u, err := url.Parse(addr)
	require.NoError(t, err)
	client := &http.Client{Timeout: 10 * time.Second}
	for _, r := range sc.requests {
		req, err := http.NewRequest(r.Method, "http://"+u.Host+r.Target, bytes.NewReader(r.Body))
		require.NoError(t, err)
		for k, v := range r.Header {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// senderHTTPPy plays an HTTP scenario to FAKEGRAF_URL under `fakegraf run`,
// with Python's urllib, as a script that writes to InfluxDB would.
const senderHTTPPy = `
import base64, json, os, sys, urllib.request, urllib.error
plan = json.loads(sys.argv[1])
base = os.environ["FAKEGRAF_URL"]
for r in plan["requests"]:
    body = base64.b64decode(r["body"] or "")
    req = urllib.request.Request(base + r["target"], data=body if body or r["method"] != "GET" else None, method=r["method"], headers=r["header"] or {})
    try:
        urllib.request.urlopen(req).read()
    except urllib.error.HTTPError as e:
        e.read()
`
