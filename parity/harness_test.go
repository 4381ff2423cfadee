//go:build parity

package parity

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
)

// step is one thing the sender does. On datagram sockets every data step
// is one datagram (from client socket conn); on stream sockets it is one
// write on connection conn, opened on first use.
type step struct {
	to    int // which listener of the case: 0, or 1 for its second
	conn  int
	data  []byte
	wait  time.Duration
	close bool // close connection conn
	open  bool // open connection conn now (connections otherwise open on first send)
}

func send(s string) step             { return step{data: []byte(s)} }
func sendOn(conn int, s string) step { return step{conn: conn, data: []byte(s)} }
func sendBytes(b []byte) step        { return step{data: b} }
func pause(d time.Duration) step     { return step{wait: d} }
func closeConn(conn int) step        { return step{conn: conn, close: true} }
func lines(ls ...string) string      { return strings.Join(ls, "\n") + "\n" }
func repeat(s string, n int) string  { return strings.Repeat(s, n) }

// isStream reports whether a scheme is a stream socket in Telegraf's sense.
func isStream(scheme string) bool {
	switch scheme {
	case "tcp", "tcp4", "tcp6", "unix", "unixpacket":
		return true
	}
	return false
}

// serviceAddress is the address a side's config gets: port 0 on loopback,
// or a socket path of its own.
func serviceAddress(scheme, sockPath string) string {
	switch scheme {
	case "udp6", "tcp6":
		return scheme + "://[::1]:0"
	case "unix", "unixpacket", "unixgram":
		return scheme + "://" + sockPath
	}
	return scheme + "://127.0.0.1:0"
}

// target is a listener to send to: the case's scheme and the address the
// process reported.
type target struct{ scheme, addr string }

// pickTargets matches the listening URLs a process reported with the
// case's schemes. Telegraf logs the socket's network (tcp for tcp4),
// fakegraf the configured scheme; a case's listeners have distinct networks.
func pickTargets(t *testing.T, name string, urls []string, schemes []string) []target {
	t.Helper()
	var out []target
	for _, scheme := range schemes {
		found := false
		for _, u := range urls {
			us, rest, _ := strings.Cut(u, "://")
			if us == scheme || us == strings.TrimRight(scheme, "46") {
				out = append(out, target{scheme: scheme, addr: rest})
				found = true
				break
			}
		}
		if !found {
			t.Fatalf("%s reported no %s listener among %q", name, scheme, urls)
		}
	}
	return out
}

// shortDir returns the case's directory: the test's TempDir when its path
// is short (unix socket paths must stay under the 108-byte sun_path limit)
// and safe in a URL (service_address is parsed as one: a '#' would cut the
// path); else a fresh directory under the system's temporary directory.
func shortDir(t *testing.T) string {
	dir := t.TempDir()
	if len(dir)+len("/tg2.sock") < 100 && urlSafe.MatchString(dir) {
		return dir
	}
	d, err := os.MkdirTemp("", "parity")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

var urlSafe = regexp.MustCompile(`^[A-Za-z0-9/_.+-]+$`)

// lineLog is an io.Writer that keeps what a process writes, line by line,
// and tells a hook about each complete line.
type lineLog struct {
	mu      sync.Mutex
	partial []byte
	lines   []string
	bytes   int
	hook    func(string)
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bytes += len(p)
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		line := string(l.partial[:i])
		l.partial = l.partial[i+1:]
		l.lines = append(l.lines, line)
		if l.hook != nil {
			l.hook(line)
		}
	}
	return len(p), nil
}

func (l *lineLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]string(nil), l.lines...)
	if len(l.partial) > 0 {
		out = append(out, string(l.partial))
	}
	return out
}

func (l *lineLog) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bytes
}

// process is a running Telegraf or fakegraf.
type process struct {
	name      string // telegraf or fakegraf
	cmd       *exec.Cmd
	metrics   string // the line-protocol file it writes
	stdout    *lineLog
	stderr    *lineLog
	listening chan string
	done      chan struct{}
	waitErr   error
}

var (
	telegrafListening = regexp.MustCompile(`I! \[inputs\.socket_listener[^\]]*\] Listening on (\S+)`)
	fakegrafListening = regexp.MustCompile(`^listening on (\S+)`)
)

func startProcess(t *testing.T, name, bin string, args []string, dir string, re *regexp.Regexp) *process {
	t.Helper()
	p := &process{name: name, listening: make(chan string, 16), done: make(chan struct{})}
	p.stdout = &lineLog{}
	p.stderr = &lineLog{hook: func(line string) {
		if m := re.FindStringSubmatch(line); m != nil {
			select {
			case p.listening <- m[1]:
			default:
			}
		}
	}}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = dir
	p.cmd.Stdout = p.stdout
	p.cmd.Stderr = p.stderr
	p.cmd.Env = append(os.Environ(), "NO_COLOR=1")
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// addresses waits for the process to report n bound sockets.
func (p *process) addresses(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	timeout := time.After(60 * time.Second)
	for len(out) < n {
		select {
		case a := <-p.listening:
			out = append(out, a)
		case <-p.done:
			t.Fatalf("%s exited before listening (%v):\n%s", p.name, p.waitErr, strings.Join(p.stderr.all(), "\n"))
		case <-timeout:
			t.Fatalf("%s did not report %d listening socket(s) within 60 s:\n%s", p.name, n, strings.Join(p.stderr.all(), "\n"))
		}
	}
	return out
}

// progress changes whenever the process stores a metric or logs anything.
func (p *process) progress() string {
	size := int64(-1)
	if st, err := os.Stat(p.metrics); err == nil {
		size = st.Size()
	}
	return fmt.Sprintf("%d/%d/%d", size, p.stdout.size(), p.stderr.size())
}

// stop sends SIGTERM and requires a clean exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("signalling %s: %v", p.name, err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		t.Errorf("%s did not stop within 30 s of SIGTERM:\n%s", p.name, strings.Join(p.stderr.all(), "\n"))
		return
	}
	if p.waitErr != nil {
		t.Errorf("%s exited with %v:\n%s", p.name, p.waitErr, strings.Join(p.stderr.all(), "\n"))
	}
}

// settle waits until none of the processes has shown progress for quiet,
// after at least min: every byte sent has then been read and parsed.
func settle(min, quiet time.Duration, ps ...*process) {
	sig := func() string {
		var parts []string
		for _, p := range ps {
			parts = append(parts, p.progress())
		}
		return strings.Join(parts, " ")
	}
	start := time.Now()
	last, since := sig(), time.Now()
	for time.Since(start) < 20*time.Second {
		time.Sleep(50 * time.Millisecond)
		if s := sig(); s != last {
			last, since = s, time.Now()
			continue
		}
		if time.Since(start) >= min && time.Since(since) >= quiet {
			return
		}
	}
}

// play performs the steps against one listening socket. Write errors on
// stream sockets are expected when the listener drops a connection (too
// long a line, too many connections, a read timeout): they are returned as
// notes, not failures, and the steps go on.
//
// A stream connection is ended by shutting down its sending side and
// waiting until the listener closes its end: the listener has then read
// everything up to EOF, which makes the order of events across connections
// and the moment to stop the processes deterministic.
func play(targets []target, steps []step) (notes []string, err error) {
	type key struct{ to, conn int }
	conns := map[key]net.Conn{}
	end := func(k key) {
		c := conns[k]
		delete(conns, k)
		if note := finish(c, isStream(targets[k.to].scheme)); note != "" {
			notes = append(notes, fmt.Sprintf("connection %d/%d: %s", k.to, k.conn, note))
		}
	}
	defer func() {
		// in a fixed order: listener, then connection
		keys := make([]key, 0, len(conns))
		for k := range conns {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			return keys[i].to < keys[j].to || keys[i].to == keys[j].to && keys[i].conn < keys[j].conn
		})
		for _, k := range keys {
			end(k)
		}
	}()
	get := func(k key) (net.Conn, error) {
		if c, ok := conns[k]; ok {
			return c, nil
		}
		tg := targets[k.to]
		c, err := net.DialTimeout(tg.scheme, tg.addr, 5*time.Second)
		if err != nil {
			return nil, fmt.Errorf("dial %s %s: %w", tg.scheme, tg.addr, err)
		}
		conns[k] = c
		return c, nil
	}
	for n, s := range steps {
		k := key{s.to, s.conn}
		if s.to >= len(targets) {
			return notes, fmt.Errorf("step %d: no listener %d", n, s.to)
		}
		switch {
		case s.wait > 0:
			time.Sleep(s.wait)
		case s.close:
			if _, ok := conns[k]; ok {
				end(k)
			}
		case s.open:
			if _, err := get(k); err != nil {
				return notes, err
			}
		case s.data != nil:
			c, err := get(k)
			if err != nil {
				return notes, err
			}
			c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Write(s.data); err != nil {
				if !isStream(targets[s.to].scheme) {
					return notes, fmt.Errorf("step %d: %w", n, err)
				}
				notes = append(notes, fmt.Sprintf("step %d: write on connection %d/%d: %v", n, s.to, s.conn, err))
			}
		}
	}
	return notes, nil
}

// finish closes a client socket; on a stream socket it half-closes and
// waits up to 10 s for the listener to close its end.
func finish(c net.Conn, stream bool) string {
	defer c.Close()
	cw, ok := c.(interface{ CloseWrite() error })
	if !stream || !ok {
		return ""
	}
	if err := cw.CloseWrite(); err != nil {
		return "half-close: " + err.Error()
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := io.Copy(io.Discard, c)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return "the listener did not close the connection within 10 s of EOF"
	}
	return ""
}

// readMetrics reads a line-protocol file with Telegraf's influx parser.
func readMetrics(path string) ([]telegraf.Metric, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p := &influx.Parser{}
	if err := p.Init(); err != nil {
		return nil, err
	}
	ms, err := p.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w\n%s", path, err, data)
	}
	return ms, nil
}

// canon renders a metric so that equal metrics give equal strings whatever
// the order of tags and fields: name, tags, fields with their type, and the
// timestamp when withTime.
func canon(m telegraf.Metric, withTime bool) string {
	var b strings.Builder
	b.WriteString(strconv.Quote(m.Name()))
	tags := m.TagList()
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	for _, tg := range tags {
		fmt.Fprintf(&b, ",%s=%s", strconv.Quote(tg.Key), strconv.Quote(tg.Value))
	}
	fields := m.FieldList()
	sort.Slice(fields, func(i, j int) bool { return fields[i].Key < fields[j].Key })
	sep := " "
	for _, f := range fields {
		var v string
		switch x := f.Value.(type) {
		case float64:
			v = "float:" + strconv.FormatFloat(x, 'g', -1, 64)
		case int64:
			v = "int:" + strconv.FormatInt(x, 10)
		case uint64:
			v = "uint:" + strconv.FormatUint(x, 10)
		case string:
			v = "string:" + strconv.Quote(x)
		case bool:
			v = "bool:" + strconv.FormatBool(x)
		default:
			v = fmt.Sprintf("%T:%v", x, x)
		}
		fmt.Fprintf(&b, "%s%s=%s", sep, strconv.Quote(f.Key), v)
		sep = ","
	}
	if withTime {
		fmt.Fprintf(&b, " @%d", m.Time().UnixNano())
	}
	return b.String()
}

// readStored is what the outputs.file at path holds, canonical with the
// sender-set times; name says whose file it is when it cannot be read.
func readStored(t *testing.T, name, path string) []string {
	t.Helper()
	ms, err := readMetrics(path)
	if err != nil {
		t.Fatalf("reading %s's metrics: %v", name, err)
	}
	return canonAll(ms, true)
}

func canonAll(ms []telegraf.Metric, withTime bool) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, canon(m, withTime))
	}
	sort.Strings(out)
	return out
}

// reportedError is one error a side reported.
type reportedError struct {
	rule string // fakegraf's rule; "" for Telegraf
	msg  string
}

var (
	telegrafLogLine = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\S+ ([DIWE])! (.*)$`)
	telegrafInputE  = regexp.MustCompile(`^\[inputs\.socket_listener(?:::[^\]]*)?\] (.*)$`)
)

// telegrafErrors extracts the E! lines of the socket_listener input from
// Telegraf's log (continuation lines of a multi-line message included),
// with "Error in plugin: " removed; other E! lines are returned apart.
func telegrafErrors(log []string) (input []reportedError, other []string) {
	var cur *reportedError
	var curOther *string
	for _, line := range log {
		m := telegrafLogLine.FindStringSubmatch(line)
		if m == nil {
			// continuation of the previous entry
			if cur != nil {
				cur.msg += "\n" + line
			} else if curOther != nil {
				*curOther += "\n" + line
			}
			continue
		}
		if cur != nil {
			input = append(input, *cur)
		}
		if curOther != nil {
			other = append(other, *curOther)
		}
		cur, curOther = nil, nil
		if m[1] != "E" {
			continue
		}
		if im := telegrafInputE.FindStringSubmatch(m[2]); im != nil {
			cur = &reportedError{msg: strings.TrimPrefix(im[1], "Error in plugin: ")}
		} else {
			s := m[2]
			curOther = &s
		}
	}
	if cur != nil {
		input = append(input, *cur)
	}
	if curOther != nil {
		other = append(other, *curOther)
	}
	return input, other
}

// comparedRules are fakegraf's findings that stand for an error Telegraf
// logs, when they are at severity error: line-too-long also warns about a
// record close to the limit, which Telegraf accepts without a word.
var comparedRules = map[string]bool{"parse-error": true, "line-too-long": true, "socket-error": true, "max-connections": true}

// fakegrafErrors reads fakegraf's NDJSON report: the findings that stand
// for Telegraf errors, and any line that is not JSON.
func fakegrafErrors(stdout []string) (errs []reportedError, bad []string) {
	for _, line := range stdout {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var ev struct {
			Event    string `json:"event"`
			Rule     string `json:"rule"`
			Severity string `json:"severity"`
			Message  string `json:"message"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			bad = append(bad, line)
			continue
		}
		if ev.Event == "finding" && comparedRules[ev.Rule] && ev.Severity == "error" {
			errs = append(errs, reportedError{rule: ev.Rule, msg: ev.Message})
		}
	}
	return errs, bad
}

var peerPort = regexp.MustCompile(`(\b\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:]+\]):\d+`)

// normalize replaces what differs between the two runs by construction:
// the side's own socket paths and ephemeral ports.
func normalize(msg string, sockPaths ...string) string {
	for i, p := range sockPaths {
		if p != "" {
			msg = strings.ReplaceAll(msg, p, fmt.Sprintf("<socket%d>", i+1))
		}
	}
	return peerPort.ReplaceAllString(msg, "$1:<port>")
}

// suffixAllowed says whether fakegraf may have added rest after Telegraf's
// message: " (…)" on any rule (its count of metrics lost), ": …" on the
// socket rules (its explanation of what Telegraf did).
func suffixAllowed(rule, rest string) bool {
	if rest == "" {
		return true
	}
	if strings.HasPrefix(rest, " (") && strings.HasSuffix(rest, ")") {
		return true
	}
	return rule != "parse-error" && strings.HasPrefix(rest, ": ")
}

// matchErrors pairs Telegraf's messages with fakegraf's and returns what is
// left on each side.
func matchErrors(tg, fg []reportedError) (onlyTelegraf, onlyFakegraf []string) {
	tgs := append([]reportedError(nil), tg...)
	sort.Slice(tgs, func(i, j int) bool { return len(tgs[i].msg) > len(tgs[j].msg) })
	used := make([]bool, len(fg))
	for _, e := range tgs {
		found := false
		for i, f := range fg {
			if used[i] || !strings.HasPrefix(f.msg, e.msg) || !suffixAllowed(f.rule, f.msg[len(e.msg):]) {
				continue
			}
			used[i], found = true, true
			break
		}
		if !found {
			onlyTelegraf = append(onlyTelegraf, e.msg)
		}
	}
	for i, f := range fg {
		if !used[i] {
			onlyFakegraf = append(onlyFakegraf, fmt.Sprintf("[%s] %s", f.rule, f.msg))
		}
	}
	sort.Strings(onlyTelegraf)
	sort.Strings(onlyFakegraf)
	return onlyTelegraf, onlyFakegraf
}

// timeMode says how timestamps are compared.
type timeMode int

const (
	// timeSender: the sender set every timestamp (or the config derives it
	// from the payload); both sides must store exactly the same.
	timeSender timeMode = iota
	// timeNow: Telegraf stamps the metrics itself (time of parsing, or of
	// receipt with time_source = "receive_time"); both sides' timestamps
	// must fall within the run, and are not compared with each other.
	timeNow
)

func (m timeMode) String() string {
	if m == timeNow {
		return "stamped by the receiver"
	}
	return "set by the sender"
}

// outsideWindow lists metrics whose timestamps are not within [from, to].
func outsideWindow(ms []telegraf.Metric, from, to time.Time) []string {
	var out []string
	for _, m := range ms {
		if ts := m.Time(); ts.Before(from) || ts.After(to) {
			out = append(out, fmt.Sprintf("%s at %s", canon(m, false), ts.UTC().Format(time.RFC3339Nano)))
		}
	}
	return out
}

// diffLists is a readable diff of two sorted lists, or "" when equal.
func diffLists(tg, fg []string) string {
	if tg == nil {
		tg = []string{}
	}
	if fg == nil {
		fg = []string{}
	}
	return cmp.Diff(tg, fg)
}

func quoteSteps(steps []step) string {
	var b strings.Builder
	for _, s := range steps {
		switch {
		case s.wait > 0:
			fmt.Fprintf(&b, "    wait %s\n", s.wait)
		case s.close:
			fmt.Fprintf(&b, "    close listener %d conn %d\n", s.to, s.conn)
		case s.open:
			fmt.Fprintf(&b, "    open listener %d conn %d\n", s.to, s.conn)
		default:
			q := strconv.Quote(string(s.data))
			if len(q) > 300 {
				q = q[:300] + fmt.Sprintf("…(%d bytes)", len(s.data))
			}
			fmt.Fprintf(&b, "    listener %d conn %d: %s\n", s.to, s.conn, q)
		}
	}
	return b.String()
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func fakegrafArgs(conf, out string) []string {
	return []string{"listen", "--config", conf, "--metrics-out", out, "--output", "json", "-q", "--fail-on", "never"}
}
