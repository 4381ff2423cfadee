// Command soak runs fakegraf for a long time under hostile traffic on every
// kind of socket and watches whether it stays healthy: resident memory and
// open file descriptors sampled every second, and at the end the byte
// accounting of every listener (bytes = accepted + rejected + pending).
//
//	go run ./bench/soak [-duration 10m] [-fakegraf bin/fakegraf]
//
// make soak runs it. It exits 1 when memory or descriptors grow over the
// run, fakegraf dies, or a listener's bytes do not add up. Linux only: it
// reads /proc.
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

// The listeners, in config order; the senders name them by index.
const config = `
[[inputs.socket_listener]]
  service_address = "tcp://127.0.0.1:0"
  data_format = "influx"
  max_connections = 100

[[inputs.socket_listener]]
  service_address = "tcp://127.0.0.1:0"
  data_format = "influx"
  content_encoding = "gzip"
  max_decompression_size = "10MiB"

[[inputs.socket_listener]]
  service_address = "udp://127.0.0.1:0"
  data_format = "influx"
  read_buffer_size = "8MiB"

[[inputs.socket_listener]]
  service_address = "unix://%s"
  data_format = "json"
  json_name_key = "name"

[[inputs.socket_listener]]
  service_address = "unixgram://%s"
  data_format = "wavefront"
`

const (
	tcpInflux = iota
	tcpGzip
	udpInflux
	unixJSON
	unixgramWavefront
)

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

	cmd := exec.Command(*bin, "listen", "--config", conf, "-q", "--output", "json", "--fail-on", "never")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	check(err)
	check(cmd.Start())
	events := readEvents(stdout)
	var addrs []string
	for len(addrs) < 5 {
		ev, ok := <-events.listening
		if !ok {
			fail("fakegraf exited before listening")
		}
		addrs = append(addrs, ev)
	}
	fmt.Printf("soak: fakegraf pid %d, %s of hostile traffic on %d listeners\n", cmd.Process.Pid, *duration, len(addrs))

	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	samples := sample(ctx, cmd.Process.Pid)
	var ss []sender
	for _, s := range senders() {
		if strings.Contains(s.name, *only) {
			ss = append(ss, s)
		}
	}
	counts := run(ctx, addrs, ss)
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
	ok := judge(samples(), counts, events.summary, events.findings.Load())
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
	}
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

// run starts every sender and returns how often each ran and failed.
func run(ctx context.Context, addrs []string, ss []sender) func() map[string][2]int64 {
	type count struct{ runs, errs atomic.Int64 }
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
				if s.send(addr, rnd) != nil {
					counts[i].errs.Add(1)
				}
			}
		}()
	}
	return func() map[string][2]int64 {
		out := map[string][2]int64{}
		for i, s := range ss {
			out[s.name] = [2]int64{counts[i].runs.Load(), counts[i].errs.Load()}
		}
		return out
	}
}

type sampleAt struct {
	at      time.Duration
	rssKiB  int64
	fds     int
	threads int
}

// sample reads fakegraf's resident set, descriptors and threads every second.
func sample(ctx context.Context, pid int) func() []sampleAt {
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

// judge prints the run and judges it: memory and descriptors in the last
// third of the run against the first, and every listener's bytes.
func judge(samples []sampleAt, counts func() map[string][2]int64, s report.Summary, events int64) bool {
	ok := true
	fmt.Printf("\n%-8s %10s %6s %8s\n", "minute", "max RSS", "fds", "threads")
	byMinute := map[int]sampleAt{}
	last := 0
	for _, x := range samples {
		m := int(x.at / time.Minute)
		cur := byMinute[m]
		cur.rssKiB, cur.fds, cur.threads = max(cur.rssKiB, x.rssKiB), max(cur.fds, x.fds), max(cur.threads, x.threads)
		byMinute[m] = cur
		last = max(last, m)
	}
	for m := 0; m <= last; m++ {
		x := byMinute[m]
		fmt.Printf("%-8d %7d Ki %6d %8d\n", m, x.rssKiB, x.fds, x.threads)
	}
	if n := len(samples); n >= 9 {
		first, final := peak(samples[:n/3]), peak(samples[2*n/3:])
		fmt.Printf("\npeak RSS: first third %d KiB, last third %d KiB; peak fds %d then %d\n", first.rssKiB, final.rssKiB, first.fds, final.fds)
		// Bounded: the last third may not exceed the first by more than
		// 16 MiB (Go's heap breathes), and descriptors may not creep.
		if final.rssKiB > first.rssKiB+16<<10 {
			fmt.Println("FAIL: resident memory grew over the run")
			ok = false
		}
		if final.fds > first.fds+20 {
			fmt.Println("FAIL: open descriptors grew over the run")
			ok = false
		}
	}

	fmt.Printf("\n%-40s %8s %8s\n", "traffic", "runs", "errors")
	c := counts()
	for _, name := range slices.Sorted(maps.Keys(c)) {
		fmt.Printf("%-40s %8d %8d\n", name, c[name][0], c[name][1])
	}
	fmt.Printf("\nfindings printed: %d\n\n", events)
	fmt.Printf("%-28s %9s %9s %8s %12s %12s %12s %12s  %s\n", "listener", "records", "rejected", "metrics", "bytes", "accepted", "rejected", "pending", "bytes add up")
	for _, l := range s.Listeners {
		adds := l.Bytes == l.AcceptedBytes+l.RejectedBytes+l.PendingBytes
		fmt.Printf("%-28s %9d %9d %8d %12d %12d %12d %12d  %v\n", short(l.Listener), l.Records, l.Rejected, l.Metrics, l.Bytes, l.AcceptedBytes, l.RejectedBytes, l.PendingBytes, adds)
		if !adds {
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

func peak(ss []sampleAt) sampleAt {
	var p sampleAt
	for _, s := range ss {
		p.rssKiB, p.fds = max(p.rssKiB, s.rssKiB), max(p.fds, s.fds)
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
