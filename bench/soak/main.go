// Command soak runs fakegraf for a long time under hostile traffic on every
// kind of socket and an HTTP input, with everything on: the HTTP API (read
// the way the page reads it: the summary, the series and their points
// polled, the event stream held open) and --forward of every listener to
// an upstream that is down. It watches whether fakegraf stays healthy:
// resident memory, open file descriptors, threads and goroutines (the
// API's go_goroutines) sampled every second, and at the end the byte
// accounting of every listener (bytes = accepted + rejected + pending,
// and what --forward lost is reported and no more than what arrived).
//
//	go run ./bench/soak [-duration 10m] [-fakegraf bin/fakegraf]
//
// make soak runs it. It exits 1 when memory, descriptors or goroutines
// grow over the run (the last third against the middle one: the API's
// store fills to its bounds first), fakegraf dies, or a listener's bytes do not add up.
// Linux only: it reads /proc.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fakegraf/fakegraf/report"
)

// sender is one kind of traffic, run in a loop until the context ends.
type sender struct {
	name     string
	listener int // index into the config's listeners
	every    time.Duration
	send     func(addr string, rnd *rand.Rand) error
}

// The listeners, in config order; the senders name them by index, and
// --forward by name (the input's, with its alias: two listeners share
// the address tcp://127.0.0.1:0).
const config = `
[[inputs.socket_listener]]
  alias = "tcp_influx"
  service_address = "tcp://127.0.0.1:0"
  data_format = "influx"
  max_connections = 100

[[inputs.socket_listener]]
  alias = "tcp_gzip"
  service_address = "tcp://127.0.0.1:0"
  data_format = "influx"
  content_encoding = "gzip"
  max_decompression_size = "10MiB"

[[inputs.socket_listener]]
  alias = "udp_influx"
  service_address = "udp://127.0.0.1:0"
  data_format = "influx"
  read_buffer_size = "8MiB"

[[inputs.socket_listener]]
  alias = "unix_json"
  service_address = "unix://%s"
  data_format = "json"
  json_name_key = "name"

[[inputs.socket_listener]]
  alias = "unixgram_wavefront"
  service_address = "unixgram://%s"
  data_format = "wavefront"

[[inputs.influxdb_v2_listener]]
  alias = "influxdb_v2"
  service_address = "127.0.0.1:0"
  token = "s3cret"
`

const (
	tcpInflux = iota
	tcpGzip
	udpInflux
	unixJSON
	unixgramWavefront
	influxV2
	nListeners
)

// deadUpstreams are --forward targets that are down: a tcp port nobody
// listens on, a udp port nobody reads (the kernel answers with ICMP), a
// unix socket path that does not exist; one per listener, by alias.
func deadUpstreams(dir string) []string {
	deadPort := func(network string) string {
		var addr string
		if network == "udp" {
			c, err := net.ListenPacket("udp", "127.0.0.1:0")
			check(err)
			addr = c.LocalAddr().String()
			c.Close()
		} else {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			check(err)
			addr = l.Addr().String()
			l.Close()
		}
		return addr
	}
	return []string{
		"inputs.socket_listener::tcp_influx=tcp://" + deadPort("tcp"),
		"inputs.socket_listener::tcp_gzip=tcp://" + deadPort("tcp"),
		"inputs.socket_listener::udp_influx=udp://" + deadPort("udp"),
		"inputs.socket_listener::unix_json=unix://" + filepath.Join(dir, "missing.sock"),
		"inputs.socket_listener::unixgram_wavefront=unixgram://" + filepath.Join(dir, "missing-gram.sock"),
		"inputs.influxdb_v2_listener::influxdb_v2=http://" + deadPort("tcp"),
	}
}

func main() {
	bin := flag.String("fakegraf", "", "the fakegraf binary (default: build it)")
	duration := flag.Duration("duration", 10*time.Minute, "how long to soak")
	only := flag.String("only", "", "run only the senders whose names contain this (for diagnosis)")
	flag.Parse()

	dir, err := os.MkdirTemp("", "fgsoak")
	check(err)
	defer os.RemoveAll(dir)
	if *bin == "" {
		*bin = filepath.Join(dir, "fakegraf")
		build := exec.Command("go", "build", "-o", *bin, "./cmd/fakegraf")
		build.Stderr = os.Stderr
		check(build.Run())
	}
	conf := filepath.Join(dir, "soak.conf")
	check(os.WriteFile(conf, fmt.Appendf(nil, config, filepath.Join(dir, "json.sock"), filepath.Join(dir, "wf.sock")), 0o600))

	args := []string{"listen", "--config", conf, "-q", "--output", "json", "--fail-on", "never", "--http", "127.0.0.1:0"}
	for _, up := range deadUpstreams(dir) {
		args = append(args, "--forward", up)
	}
	cmd := exec.Command(*bin, args...)
	stderr, err := cmd.StderrPipe()
	check(err)
	stdout, err := cmd.StdoutPipe()
	check(err)
	check(cmd.Start())
	apiURL := readStderr(stderr)
	events := readEvents(stdout)
	var addrs []string
	for len(addrs) < nListeners {
		ev, ok := <-events.listening
		if !ok {
			fail("fakegraf exited before listening")
		}
		addrs = append(addrs, ev)
	}
	var api string
	select {
	case api = <-apiURL:
	case <-time.After(30 * time.Second):
		fail("fakegraf said no `api on URL` within 30 s")
	}
	fmt.Printf("soak: fakegraf pid %d, %s of hostile traffic on %d listeners, API at %s, forwarding to dead upstreams\n", cmd.Process.Pid, *duration, len(addrs), api)
	for i, a := range addrs {
		fmt.Printf("  %d %s\n", i, short(a))
	}

	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	samples := sample(ctx, cmd.Process.Pid, api)
	var ss []sender
	for _, s := range senders() {
		if strings.Contains(s.name, *only) {
			ss = append(ss, s)
		}
	}
	counts := run(ctx, addrs, ss)
	page := readPage(ctx, api)
	<-ctx.Done()

	check(cmd.Process.Signal(syscall.SIGINT))
	// Read fakegraf's output to its end before Wait, which closes the pipe:
	// the summary is the last line.
	select {
	case <-events.done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		fail("fakegraf did not stop within 30 s of SIGINT")
	}
	if err := cmd.Wait(); err != nil {
		fail("fakegraf ended with %v", err)
	}
	if events.err != nil {
		fail("reading fakegraf's output: %v", events.err)
	}
	ok := judge(samples(), counts, page, events.summary, events.findings.Load(), addrs[tcpGzip])
	if !ok {
		os.Exit(1)
	}
}

func senders() []sender {
	return []sender{
		{"garbage", tcpInflux, 50 * time.Millisecond, func(addr string, rnd *rand.Rand) error {
			b := make([]byte, 4096+rnd.IntN(60*1024))
			for i := range b {
				b[i] = byte(rnd.UintN(256))
			}
			return dialWrite("tcp", addr, b)
		}},
		{"10 MB line", tcpInflux, 10 * time.Second, func(addr string, _ *rand.Rand) error {
			return dialWrite("tcp", addr, append([]byte("cpu "), bytes.Repeat([]byte("x"), 10<<20)...))
		}},
		{"reset mid-record", tcpInflux, 20 * time.Millisecond, func(addr string, _ *rand.Rand) error {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return err
			}
			_, _ = c.Write([]byte("cpu,host=a usage=1\ncpu,host=a usage="))
			_ = c.(*net.TCPConn).SetLinger(0) // close with RST
			return c.Close()
		}},
		{"connection flood", tcpInflux, 200 * time.Millisecond, func(addr string, _ *rand.Rand) error {
			var wg sync.WaitGroup
			for range 150 { // against max_connections = 100
				wg.Go(func() { _ = dialWrite("tcp", addr, []byte("flood value=1\n")) })
			}
			wg.Wait()
			return nil
		}},
		{"invalid UTF-8 and good lines", tcpInflux, 10 * time.Millisecond, func(addr string, rnd *rand.Rand) error {
			var b bytes.Buffer
			for i := range 20 {
				if i%4 == 0 {
					b.WriteString("cpu,host=\xff\xfe usage=1\n")
				} else {
					fmt.Fprintf(&b, "cpu,host=web%d usage=%d.5 %d\n", rnd.IntN(8), i, time.Now().UnixNano())
				}
			}
			return dialWrite("tcp", addr, b.Bytes())
		}},
		{"gzip bomb", tcpGzip, 2 * time.Second, func(addr string, _ *rand.Rand) error {
			return dialWrite("tcp", addr, gzipBomb())
		}},
		{"udp garbage, 64 KiB and good datagrams", udpInflux, 5 * time.Millisecond, func(addr string, rnd *rand.Rand) error {
			c, err := net.Dial("udp", addr)
			if err != nil {
				return err
			}
			defer c.Close()
			big := bytes.Repeat([]byte("y"), 65507) // the largest IPv4 UDP payload
			junk := make([]byte, 1+rnd.IntN(1400))
			for i := range junk {
				junk[i] = byte(rnd.UintN(256))
			}
			_, _ = c.Write(junk)
			_, _ = c.Write([]byte("cpu,host=udp usage=1\n"))
			if rnd.IntN(10) == 0 {
				_, _ = c.Write(big)
			}
			return nil
		}},
		{"unix json, broken and multiline", unixJSON, 20 * time.Millisecond, func(addr string, rnd *rand.Rand) error {
			docs := []string{`{"name":"m","v":1}` + "\n", `{"name":"m",` + "\n" + `"v":2}` + "\n", `{"name": "m", "v": ` + "\n", "[1,2,\n"}
			return dialWrite("unix", addr, []byte(docs[rnd.IntN(len(docs))]))
		}},
		{"unixgram wavefront garbage", unixgramWavefront, 10 * time.Millisecond, func(addr string, rnd *rand.Rand) error {
			lines := []string{"m.v 1 source=a\n", "m.v one source=a\n", "m:v|c 1\n", "\x00\x01\x02\n"}
			return dialWrite("unixgram", addr, []byte(lines[rnd.IntN(len(lines))]))
		}},
		{"slowloris", tcpInflux, time.Second, nil}, // run by slowloris below
		{"influxdb v2: good batches of 100", influxV2, 20 * time.Millisecond, func(addr string, rnd *rand.Rand) error {
			var b bytes.Buffer
			for i := range 100 {
				fmt.Fprintf(&b, "http,host=web%d usage=%d.5 %d\n", rnd.IntN(8), i, time.Now().UnixNano())
			}
			return writeV2(addr, "Token s3cret", false, b.Bytes(), 204)
		}},
		{"influxdb v2: bad lines", influxV2, 100 * time.Millisecond, func(addr string, _ *rand.Rand) error {
			return writeV2(addr, "Token s3cret", false, []byte("http usage=1\nhttp usage=\nhttp,host=\xff usage=1\n"), 400)
		}},
		{"influxdb v2: gzip", influxV2, 100 * time.Millisecond, func(addr string, _ *rand.Rand) error {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			for i := range 50 {
				fmt.Fprintf(zw, "http,enc=gzip usage=%d\n", i)
			}
			_ = zw.Close()
			return writeV2(addr, "Token s3cret", true, b.Bytes(), 204)
		}},
		{"influxdb v2: wrong token", influxV2, 200 * time.Millisecond, func(addr string, _ *rand.Rand) error {
			return writeV2(addr, "Token wrong", false, []byte("http usage=1\n"), 401)
		}},
	}
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// writeV2 posts a body to the influxdb_v2_listener and wants the status
// Telegraf answers it with (the dead upstream does not answer: fakegraf's
// plugin does).
func writeV2(addr, auth string, gzipped bool, body []byte, want int) error {
	req, err := http.NewRequest("POST", "http://"+addr+"/api/v2/write?org=o&bucket=b&precision=ns", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", auth)
	if gzipped {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("answered %d, want %d", resp.StatusCode, want)
	}
	return nil
}

// slowloris keeps 50 connections open, each sending one byte a second and
// never a newline, reopening any fakegraf closes.
func slowloris(ctx context.Context, addr string, sent *atomic.Int64) {
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			for ctx.Err() == nil {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					sleep(ctx, time.Second)
					continue
				}
				for ctx.Err() == nil {
					if _, err := c.Write([]byte("s")); err != nil {
						break
					}
					sent.Add(1)
					sleep(ctx, time.Second)
				}
				c.Close()
			}
		})
	}
	wg.Wait()
}

var bomb = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for range 200 { // 200 MiB of zeros, about 200 KiB compressed
		_, _ = zw.Write(zeros)
	}
	_ = zw.Close()
	return b.Bytes()
})

func gzipBomb() []byte { return bomb() }

func dialWrite(network, addr string, b []byte) error {
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err = c.Write(b)
	return err
}

// sent is how often a sender ran and failed, and its last error.
type sent struct {
	runs, errs int64
	last       string
}

// run starts every sender and returns how often each ran and failed.
func run(ctx context.Context, addrs []string, ss []sender) func() map[string]sent {
	type count struct {
		runs, errs atomic.Int64
		last       atomic.Value // string
	}
	counts := make([]*count, len(ss))
	for i, s := range ss {
		counts[i] = &count{}
		addr := addrs[s.listener]
		_, addr, _ = strings.Cut(addr, "://")
		if s.send == nil {
			go slowloris(ctx, addr, &counts[i].runs)
			continue
		}
		go func() {
			rnd := rand.New(rand.NewPCG(uint64(i), 1))
			t := time.NewTicker(s.every)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				counts[i].runs.Add(1)
				if err := s.send(addr, rnd); err != nil {
					counts[i].errs.Add(1)
					counts[i].last.Store(err.Error())
				}
			}
		}()
	}
	return func() map[string]sent {
		out := map[string]sent{}
		for i, s := range ss {
			last, _ := counts[i].last.Load().(string)
			out[s.name] = sent{counts[i].runs.Load(), counts[i].errs.Load(), last}
		}
		return out
	}
}

type sampleAt struct {
	at         time.Duration
	rssKiB     int64
	fds        int
	threads    int
	goroutines int   // -1: /metrics did not answer
	heapKiB    int64 // the Go heap in use
}

// goRuntime reads go_goroutines and go_memstats_heap_alloc_bytes from the
// API's /metrics; -1 when it does not answer.
func goRuntime(api string) (goroutines int, heapKiB int64) {
	goroutines, heapKiB = -1, -1
	resp, err := httpClient.Get(api + "/metrics")
	if err != nil {
		return
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, v, _ := strings.Cut(sc.Text(), " ")
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil:
		case name == "go_goroutines":
			goroutines = int(n)
		case name == "go_memstats_heap_alloc_bytes":
			heapKiB = n >> 10
		}
	}
	return
}

// sample reads fakegraf's resident set, descriptors, threads and
// goroutines every second.
func sample(ctx context.Context, pid int, api string) func() []sampleAt {
	var mu sync.Mutex
	var out []sampleAt
	t0 := time.Now()
	go func() {
		for ctx.Err() == nil {
			s := sampleAt{at: time.Since(t0)}
			status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
			if err != nil {
				return
			}
			for _, line := range strings.Split(string(status), "\n") {
				f := strings.Fields(line)
				if len(f) < 2 {
					continue
				}
				switch f[0] {
				case "VmRSS:":
					s.rssKiB, _ = strconv.ParseInt(f[1], 10, 64)
				case "Threads:":
					s.threads, _ = strconv.Atoi(f[1])
				}
			}
			if fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
				s.fds = len(fds)
			}
			s.goroutines, s.heapKiB = goRuntime(api)
			mu.Lock()
			out = append(out, s)
			mu.Unlock()
			sleep(ctx, time.Second)
		}
	}()
	return func() []sampleAt {
		mu.Lock()
		defer mu.Unlock()
		return out
	}
}

// readStderr copies fakegraf's stderr to the soak's and sends the API's
// URL from its `api on URL` line.
func readStderr(r io.Reader) <-chan string {
	url := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			line := sc.Text()
			if u, ok := strings.CutPrefix(line, "api on "); ok {
				select {
				case url <- strings.TrimSpace(u):
				default:
				}
				continue
			}
			fmt.Fprintln(os.Stderr, line)
		}
	}()
	return url
}

// pageCounts is what the page-like reader of the API did.
type pageCounts struct {
	polls, pollErrors    atomic.Int64
	streams, streamBytes atomic.Int64 // event stream connections and bytes read
	streamEnds           atomic.Int64 // streams fakegraf ended while the soak ran
	lastPollError        atomic.Value
}

// readPage reads the API the way the page does: the event stream of the
// light kinds held open (reopened if fakegraf ends it), and every 3 s the
// summary, the series and the newest 60 points of a few fields.
func readPage(ctx context.Context, api string) *pageCounts {
	pc := &pageCounts{}
	go func() {
		for ctx.Err() == nil {
			req, _ := http.NewRequestWithContext(ctx, "GET", api+"/api/v1/events?kinds=listening,finding,conn_open,conn_close,reset", nil)
			pc.streams.Add(1)
			resp, err := http.DefaultClient.Do(req) // no timeout: the stream stays open
			if err == nil {
				n, _ := io.Copy(io.Discard, resp.Body)
				pc.streamBytes.Add(n)
				resp.Body.Close()
			}
			if ctx.Err() == nil {
				pc.streamEnds.Add(1)
				sleep(ctx, time.Second)
			}
		}
	}()
	get := func(path string, into any) {
		pc.polls.Add(1)
		resp, err := httpClient.Get(api + path)
		if err == nil {
			if resp.StatusCode != 200 {
				err = fmt.Errorf("GET %s: %s", path, resp.Status)
			} else if into != nil {
				err = json.NewDecoder(resp.Body).Decode(into)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if err != nil {
			pc.pollErrors.Add(1)
			pc.lastPollError.Store(err.Error())
		}
	}
	go func() {
		for ctx.Err() == nil {
			get("/api/v1/summary", nil)
			var series struct {
				Series []struct {
					Name   string                     `json:"name"`
					Fields map[string]json.RawMessage `json:"fields"`
				} `json:"series"`
			}
			get("/api/v1/series", &series)
			plotted := map[string]bool{}
			for _, sr := range series.Series {
				for f := range sr.Fields {
					q := "name=" + url.QueryEscape(sr.Name) + "&field=" + url.QueryEscape(f)
					if len(plotted) < 4 && !plotted[q] {
						plotted[q] = true
						get("/api/v1/series/points?limit=60&"+q, nil)
					}
				}
			}
			sleep(ctx, 3*time.Second)
		}
	}()
	return pc
}

type eventStream struct {
	listening chan string
	findings  atomic.Int64
	done      chan struct{} // closed at the end of the output; then:
	summary   report.Summary
	err       error
}

// readEvents drains fakegraf's NDJSON output, keeping only what the soak
// checks: a run of hours must not fill the soak's own memory.
func readEvents(r io.Reader) *eventStream {
	es := &eventStream{listening: make(chan string, 16), done: make(chan struct{})}
	go func() {
		defer close(es.done)
		defer close(es.listening)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			line := sc.Bytes()
			var head struct {
				Event    string `json:"event"`
				Listener string `json:"listener"`
			}
			if !bytes.HasPrefix(line, []byte(`{"event":"summary"`)) && !bytes.Contains(line[:min(len(line), 200)], []byte(`"event":"listening"`)) {
				es.findings.Add(1)
				continue
			}
			if json.Unmarshal(line, &head) != nil {
				continue
			}
			switch head.Event {
			case "listening":
				es.listening <- head.Listener
			case "summary":
				_ = json.Unmarshal(line, &es.summary)
			}
		}
		es.err = sc.Err()
	}()
	return es
}

// judge prints the run and judges it: memory, descriptors and goroutines
// in the last third of the run against the middle one, and every
// listener's bytes.
func judge(samples []sampleAt, counts func() map[string]sent, page *pageCounts, s report.Summary, events int64, gzipped string) bool {
	ok := true
	fmt.Printf("\n%-8s %10s %10s %6s %8s %11s\n", "minute", "max RSS", "max heap", "fds", "threads", "goroutines")
	byMinute := map[int]sampleAt{}
	last := 0
	for _, x := range samples {
		m := int(x.at / time.Minute)
		cur, seen := byMinute[m]
		if !seen {
			cur.goroutines, cur.heapKiB = -1, -1
		}
		cur.rssKiB, cur.fds, cur.threads, cur.goroutines = max(cur.rssKiB, x.rssKiB), max(cur.fds, x.fds), max(cur.threads, x.threads), max(cur.goroutines, x.goroutines)
		cur.heapKiB = max(cur.heapKiB, x.heapKiB)
		byMinute[m] = cur
		last = max(last, m)
	}
	for m := 0; m <= last; m++ {
		x := byMinute[m]
		fmt.Printf("%-8d %7d Ki %7d Ki %6d %8d %11d\n", m, x.rssKiB, x.heapKiB, x.fds, x.threads, x.goroutines)
	}
	if last >= 20 { // a long run: the minutes are a long table
		fmt.Printf("\n%-8s %10s %10s %6s %8s %11s\n", "minutes", "max RSS", "max heap", "fds", "threads", "goroutines")
		for m := 0; m <= last; m += 10 {
			var x sampleAt
			x.goroutines, x.heapKiB = -1, -1
			for mm := m; mm < m+10 && mm <= last; mm++ {
				y := byMinute[mm]
				x.rssKiB, x.fds, x.threads, x.goroutines = max(x.rssKiB, y.rssKiB), max(x.fds, y.fds), max(x.threads, y.threads), max(x.goroutines, y.goroutines)
				x.heapKiB = max(x.heapKiB, y.heapKiB)
			}
			fmt.Printf("%-8s %7d Ki %7d Ki %6d %8d %11d\n", fmt.Sprintf("%d-%d", m, min(m+10, last+1)), x.rssKiB, x.heapKiB, x.fds, x.threads, x.goroutines)
		}
	}
	unanswered := 0
	for _, x := range samples {
		if x.goroutines < 0 {
			unanswered++
		}
	}
	if unanswered > len(samples)/100 {
		fmt.Printf("FAIL: /metrics did not answer %d of %d samples\n", unanswered, len(samples))
		ok = false
	}
	if n := len(samples); n >= 9 {
		// The first third is the warm-up: the API's store fills to its
		// bounds (the newest 100,000 records and metrics within 64 MiB,
		// and the newest 100,000 findings about no record, which at the
		// soak's rate of refused connections takes about five minutes).
		// Growth is the last third against the middle one.
		first, final := peak(samples[n/3:2*n/3]), peak(samples[2*n/3:])
		fmt.Printf("\npeak RSS: middle third %d KiB, last third %d KiB; peak heap %d KiB then %d KiB; peak fds %d then %d; peak goroutines %d then %d\n",
			first.rssKiB, final.rssKiB, first.heapKiB, final.heapKiB, first.fds, final.fds, first.goroutines, final.goroutines)
		// Bounded: the last third may not exceed the first by more than
		// 16 MiB (Go's heap breathes), and descriptors may not creep.
		if final.rssKiB > first.rssKiB+16<<10 {
			fmt.Println("FAIL: resident memory grew over the run")
			ok = false
		}
		// Descriptors come and go with connections too: a flood of 150
		// caught by one sample moves a third's peak by more than any leak
		// this would catch (the 1h run of 2026-11-29 peaked at 177, 141
		// and 174 in its thirds with nothing growing). A leak raises the
		// usual count, so the medians are compared.
		fdsMid, fdsLast := medianFDs(samples[n/3:2*n/3]), medianFDs(samples[2*n/3:])
		fmt.Printf("median fds: middle third %d, last third %d\n", fdsMid, fdsLast)
		if fdsLast > fdsMid+20 {
			fmt.Println("FAIL: open descriptors grew over the run")
			ok = false
		}
		// Goroutines come and go with connections (floods of 150, a
		// forwarding writer each): a peak may move by a flood's worth,
		// not more.
		if final.goroutines > first.goroutines+first.goroutines/4+50 {
			fmt.Println("FAIL: goroutines grew over the run")
			ok = false
		}
	}

	fmt.Printf("\n%-40s %8s %8s\n", "traffic", "runs", "errors")
	c := counts()
	names := slices.Sorted(maps.Keys(c))
	for _, name := range names {
		fmt.Printf("%-40s %8d %8d\n", name, c[name].runs, c[name].errs)
	}
	for _, name := range names {
		if c[name].last != "" {
			fmt.Printf("last error of %s: %s\n", name, c[name].last)
		}
	}
	fmt.Printf("\nthe page's reads of the API: %d polls (%d failed), %d event streams opened (%d ended by fakegraf), %d bytes of events read\n",
		page.polls.Load(), page.pollErrors.Load(), page.streams.Load(), page.streamEnds.Load(), page.streamBytes.Load())
	if e, _ := page.lastPollError.Load().(string); e != "" {
		fmt.Printf("last failed poll: %s\n", e)
	}
	if page.polls.Load() == 0 || page.pollErrors.Load() > page.polls.Load()/100 {
		fmt.Println("FAIL: the API did not answer the page's polls")
		ok = false
	}
	fmt.Printf("\nfindings printed: %d\n\n", events)
	fmt.Printf("%-28s %9s %9s %8s %12s %12s %12s %12s %12s  %s\n", "listener", "records", "rejected", "metrics", "bytes", "accepted", "rejected", "pending", "not fwd", "bytes add up")
	for _, l := range s.Listeners {
		adds := l.Bytes == l.AcceptedBytes+l.RejectedBytes+l.PendingBytes
		// Every upstream is down: forwarding must report a loss, and can
		// not lose more than arrived. A gzip stream's bytes are counted
		// decoded (as its records are), what forwarding lost as it came,
		// compressed: another unit, so only the loss is checked there.
		// Over udp the loss is what the kernel said it refused (ICMP),
		// less than was sent: the forward package's doc says why.
		lossOK := l.ForwardLost > 0 && (l.Listener == gzipped || int64(l.ForwardLost) <= l.Bytes)
		fmt.Printf("%-28s %9d %9d %8d %12d %12d %12d %12d %12d  %v\n", short(l.Listener), l.Records, l.Rejected, l.Metrics, l.Bytes, l.AcceptedBytes, l.RejectedBytes, l.PendingBytes, l.ForwardLost, adds)
		if !adds {
			ok = false
		}
		if !lossOK {
			fmt.Printf("FAIL: %s: %d bytes not forwarded of %d received: want a loss reported, and no more than arrived\n", short(l.Listener), l.ForwardLost, l.Bytes)
			ok = false
		}
	}
	if len(s.Listeners) == 0 {
		fmt.Println("FAIL: no summary from fakegraf")
		ok = false
	}
	if ok {
		fmt.Println("\nPASS")
	}
	return ok
}

func medianFDs(ss []sampleAt) int {
	fds := make([]int, len(ss))
	for i, s := range ss {
		fds[i] = s.fds
	}
	slices.Sort(fds)
	return fds[len(fds)/2]
}

func peak(ss []sampleAt) sampleAt {
	var p sampleAt
	for _, s := range ss {
		p.rssKiB, p.fds, p.goroutines, p.heapKiB = max(p.rssKiB, s.rssKiB), max(p.fds, s.fds), max(p.goroutines, s.goroutines), max(p.heapKiB, s.heapKiB)
	}
	return p
}

// short names a unix socket by its file name: the soak's temporary
// directory says nothing.
func short(url string) string {
	if scheme, path, ok := strings.Cut(url, "://"); ok && strings.HasPrefix(scheme, "unix") {
		return scheme + "://" + filepath.Base(path)
	}
	return url
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "soak: "+format+"\n", args...)
	os.Exit(1)
}

func check(err error) {
	if err != nil {
		fail("%v", err)
	}
}
