// Command loopback measures fakegraf against a real Telegraf on one machine:
// the same stream of metrics over loopback into each, CPU seconds per
// million metrics and peak RSS of both, and fakegraf's time to listening.
//
//	go run ./bench/loopback -telegraf .cache/bin/telegraf [-n 1000000] [-runs 5] [-cases tcp-influx,tcp-json,udp-influx]
//
// The cases of [[inputs.socket_listener]] send -n metrics; http-influx and
// http-influx-gzip POST them to [[inputs.influxdb_v2_listener]] in batches
// of 5,000 lines; statsd-udp and statsd-tcp send -statsd-n statsd lines at
// -statsd-rate lines a second to [[inputs.statsd]] (inputs.go).
//
// tcp-idle holds -idle-conns idle connections open and reports the RSS
// then; tcp-influx-8 sends the -n metrics over 8 connections at once and
// reports the metrics per wall-second (conns.go). Neither is in the
// default -cases.
//
// -variant 'NAME=FLAGS' (repeatable) adds a fakegraf run with more flags
// beside the plain one, alternating with it: -variant 'api=--http 127.0.0.1:0'
// measures what the HTTP API costs. FLAGS may start, as in a shell, with
// VAR=value words for the variant's environment (-variant 'gogc=GOGC=200')
// and then a path to another fakegraf binary, to measure an old build beside
// a new one: -variant 'old=/tmp/fakegraf-old'. -telegraf none leaves
// Telegraf out.
//
// make bench runs it after the Go benchmarks. Linux only: it reads /proc.
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/report"
)

type benchCase struct {
	name, scheme, format string
	bufferSize           string // read_buffer_size; "" keeps the default
	line                 func(i int, now int64) string
	// input is the Telegraf input: "" for socket_listener, "http" for
	// influxdb_v2_listener, "statsd" for statsd.
	input string
	gzip  bool // http: gzip each batch, with Content-Encoding: gzip
}

func influxLine(i int, now int64) string {
	return fmt.Sprintf("cpu,host=web%d,region=eu usage_idle=%d.5,usage_user=1.25 %d\n", i%16, i%100, now+int64(i))
}

var cases = []benchCase{
	{"tcp-influx", "tcp", "influx", "8MiB", influxLine, "", false},
	{"tcp-json", "tcp", "json", "8MiB", func(i int, now int64) string {
		return fmt.Sprintf(`{"metric_name":"cpu","host":"web%d","usage_idle":%d.5,"usage_user":1.25}`+"\n", i%16, i%100)
	}, "", false},
	{"udp-influx", "udp", "influx", "8MiB", influxLine, "", false},
	// The kernel's default receive buffer: what a user gets without tuning.
	{"udp-default", "udp", "influx", "", influxLine, "", false},
	{"http-influx", "http", "influx", "", influxLine, "http", false},
	{"http-influx-gzip", "http", "influx", "", influxLine, "http", true},
	{"statsd-udp", "udp", "statsd", "8MiB", statsdLine, "statsd", false},
	{"statsd-tcp", "tcp", "statsd", "", statsdLine, "statsd", false},
	// conns.go: many idle connections, and eight senders at once.
	{"tcp-idle", "tcp", "influx", "", idleLine, "idle", false},
	// The same with the 8 MiB read buffer of the throughput cases: Telegraf
	// allocates it when a connection opens.
	{"tcp-idle-8mib", "tcp", "influx", "8MiB", idleLine, "idle", false},
	{"tcp-influx-8", "tcp", "influx", "8MiB", influxLine, "parallel", false},
}

type measurement struct {
	cpu     time.Duration
	peakRSS int64 // KiB
	ready   time.Duration
	metrics int
	drops   int
	// findings are fakegraf's findings by rule, from its summary: where a
	// lost statsd line shows up (kernel drops, the plugin's own drops).
	findings map[string]int
	// idleRSS is the peak RSS (KiB) once tcp-idle's connections are all
	// accepted, before any sends; wall is tcp-influx-8's time from the
	// first byte sent to the last metric processed.
	idleRSS int64
	wall    time.Duration
}

func main() {
	telegraf := flag.String("telegraf", ".cache/bin/telegraf", "a Telegraf v1.37.2 built with socket_listener and outputs.discard (make telegraf)")
	fakegraf := flag.String("fakegraf", "", "the fakegraf binary (default: build it)")
	n := flag.Int("n", 1000000, "metrics per case")
	only := flag.String("cases", "tcp-influx,tcp-json,udp-influx,udp-default,http-influx,http-influx-gzip,statsd-udp", "cases to run")
	udpRate := flag.Int("udp-rate", 100000, "datagrams per second in the udp case")
	flag.IntVar(&statsdN, "statsd-n", 200000, "statsd lines per statsd case")
	flag.IntVar(&statsdRate, "statsd-rate", 20000, "statsd lines per second: a rate both programs keep up with")
	flag.IntVar(&idleConns, "idle-conns", 10000, "connections of the tcp-idle case")
	runs := flag.Int("runs", 1, "runs per program and case, alternating; the table shows the median CPU and the highest RSS")
	settle := flag.Duration("settle", 0, "pause before each run, so that the kernel's work after the last one (freeing its memory) is not charged to it")
	var variants variantFlag
	profiles := flag.String("profiles", "", "`DIR`: write a CPU profile of every fakegraf run there, as CASE-PROGRAM-RUN.prof; merged per program (go tool pprof -top BIN DIR/CASE-PROGRAM-*.prof), a function's share of CPU is steadier than the runs' CPU")
	flag.Var(&variants, "variant", "`NAME=FLAGS`: also run fakegraf with these flags (repeatable), e.g. api='--http 127.0.0.1:0'; the word +page keeps a page open on its API (page.go)")
	flag.Parse()
	if strings.Contains(","+*only, ",tcp-idle") {
		raiseFileLimit(idleConns + 100)
	}

	if *fakegraf == "" {
		dir, err := os.MkdirTemp("", "fgbench")
		check(err)
		defer os.RemoveAll(dir)
		*fakegraf = filepath.Join(dir, "fakegraf")
		build := exec.Command("go", "build", "-o", *fakegraf, "./cmd/fakegraf")
		build.Stderr = os.Stderr
		check(build.Run())
	}
	if *profiles != "" {
		check(os.MkdirAll(*profiles, 0o755))
	}
	fmt.Printf("machine: %d CPU(s), %s\n\n", numCPU(), cpuModel())
	fmt.Printf("%-11s %-9s %10s %14s %10s %9s %8s\n", "case", "program", "metrics", "CPU s/1M", "peak RSS", "ready", "drops")
	for _, c := range cases {
		if !strings.Contains(","+*only+",", ","+c.name+",") {
			continue
		}
		n := *n
		switch c.input {
		case "statsd":
			n = statsdN
		case "idle":
			n = idleConns
		}
		payload := makePayload(c, n)
		// The metrics a run that took every line stores: a statsd
		// case's stored metrics count only its counters and timings.
		want := n
		if c.input == "statsd" {
			want = statsdWant(n)
		}
		var fgs, tgs []measurement
		vms := make([][]measurement, len(variants))
		for run := range max(*runs, 1) {
			time.Sleep(*settle)
			fgs = append(fgs, runFakegraf(*fakegraf, c, payload, n, *udpRate, profiled(variant{name: "fakegraf"}, *profiles, c, run)))
			for i, v := range variants {
				time.Sleep(*settle)
				vms[i] = append(vms[i], runFakegraf(cmp.Or(v.bin, *fakegraf), c, payload, n, *udpRate, profiled(v, *profiles, c, run)))
			}
			time.Sleep(*settle)
			tgs = append(tgs, runTelegraf(*telegraf, c, payload, n, *udpRate))
		}
		fg, tg := median(fgs), median(tgs)
		type row struct {
			name string
			m    measurement
			all  []measurement
		}
		rows := []row{{"fakegraf", fg, fgs}}
		for i, v := range variants {
			rows = append(rows, row{v.name, median(vms[i]), vms[i]})
		}
		if tg.cpu > 0 {
			rows = append(rows, row{"telegraf", tg, tgs})
		}
		for _, r := range rows {
			fmt.Printf("%-11s %-9s %10d %14.3f %8d Ki %9s %8s%s%s\n", c.name, r.name, r.m.metrics,
				r.m.cpu.Seconds()*1e6/float64(n), r.m.peakRSS, fmtReady(r.m.ready), fmtDrops(r.name, r.m.drops), fmtConns(r.m, n), fmtRuns(r.all, n, want))
		}
		for _, r := range rows[1 : 1+len(variants)] {
			fmt.Printf("%-11s ratio     %s/fakegraf CPU = %.3f, RSS = %.2f; paired: %.3f\n", c.name, r.name, r.m.cpu.Seconds()/fg.cpu.Seconds(), float64(r.m.peakRSS)/float64(fg.peakRSS), pairedRatio(r.all, fgs))
		}
		if c.input == "statsd" {
			// The table shows the median run; a lost line in any run
			// must not hide behind it.
			for _, r := range rows {
				for i, m := range r.all {
					if m.drops != 0 {
						fmt.Printf("%-11s LOST      run %d of %s stored %d counted line(s) fewer than were sent%s\n", c.name, i+1, r.name, m.drops, fmtFindings(m.findings))
					}
				}
			}
		}
		if tg.cpu > 0 {
			// Telegraf runs right after fakegraf in each round: the paired
			// ratio of a round is what this machine's slow spells touch least.
			fmt.Printf("%-11s ratio     fakegraf/telegraf CPU = %.2f, RSS = %.2f; paired: %.2f\n", c.name, fg.cpu.Seconds()/tg.cpu.Seconds(), float64(fg.peakRSS)/float64(tg.peakRSS), pairedRatio(fgs, tgs))
			if fg.wall > 0 && tg.wall > 0 {
				fmt.Printf("%-11s ratio     fakegraf/telegraf metrics per wall-second = %.2f\n", c.name, tg.wall.Seconds()/fg.wall.Seconds())
			}
		}
		fmt.Println()
	}
}

// profiled is v with FAKEGRAF_CPUPROFILE set to a file of its own in dir
// (-profiles), for run run of case c; v itself when dir is empty.
func profiled(v variant, dir string, c benchCase, run int) variant {
	if dir == "" {
		return v
	}
	f := filepath.Join(dir, fmt.Sprintf("%s-%s-%d.prof", c.name, v.name, run+1))
	v.env = append(slices.Clip(v.env), "FAKEGRAF_CPUPROFILE="+f)
	return v
}

// pairedRatio is the median of each run's CPU over that of the fakegraf run
// of the same round, a few seconds before it: the machine's slow spells
// last longer than a round, so that a ratio within one varies less than
// the runs themselves.
func pairedRatio(ms, base []measurement) float64 {
	var rs []float64
	for i := range min(len(ms), len(base)) {
		if base[i].cpu > 0 {
			rs = append(rs, ms[i].cpu.Seconds()/base[i].cpu.Seconds())
		}
	}
	if len(rs) == 0 {
		return 0
	}
	slices.Sort(rs)
	if len(rs)%2 == 1 {
		return rs[len(rs)/2]
	}
	return (rs[len(rs)/2-1] + rs[len(rs)/2]) / 2
}

// median is the run with the median CPU (the median wall time, in a timed
// case), with the highest peak RSS of all runs: this machine's neighbours
// make single runs vary by a quarter.
func median(ms []measurement) measurement {
	sorted := slices.SortedFunc(slices.Values(ms), func(a, b measurement) int {
		return cmp.Or(cmp.Compare(a.wall, b.wall), cmp.Compare(a.cpu, b.cpu))
	})
	m := sorted[len(sorted)/2]
	for _, o := range ms {
		m.peakRSS = max(m.peakRSS, o.peakRSS)
		m.idleRSS = max(m.idleRSS, o.idleRSS)
	}
	return m
}

// fmtRuns lists every run's CPU per million of the n sent, and its peak RSS
// (and wall time or idle RSS where measured), when there was more than one.
// A run that stored fewer than want metrics, drops aside, stopped early.
func fmtRuns(ms []measurement, n, want int) string {
	if len(ms) < 2 {
		return ""
	}
	var parts []string
	for _, m := range ms {
		p := fmt.Sprintf("%.2f/%dMi", m.cpu.Seconds()*1e6/float64(n), m.peakRSS>>10)
		if m.wall > 0 {
			p += "/" + m.wall.Round(time.Millisecond).String()
		}
		if m.idleRSS > 0 {
			p += fmt.Sprintf("/idle %dMi", m.idleRSS>>10)
		}
		if m.metrics >= 0 && m.metrics+max(m.drops, 0) < want { // the kernel's drops are counted apart
			p += fmt.Sprintf("(stopped at %d)", m.metrics) // its CPU is for fewer metrics
		}
		parts = append(parts, p)
	}
	return "   runs (CPU s/1M/peak RSS...): " + strings.Join(parts, " ")
}

// fmtConns is the many-connection cases' figure: the idle RSS, or the
// wall time and the metrics per wall-second.
func fmtConns(m measurement, n int) string {
	switch {
	case m.idleRSS > 0:
		return fmt.Sprintf("   idle RSS %d Ki (%.1f Ki/conn)", m.idleRSS, float64(m.idleRSS)/float64(n))
	case m.wall > 0:
		return fmt.Sprintf("   wall %s = %.0f metrics/s", m.wall.Round(time.Millisecond), float64(n)/m.wall.Seconds())
	}
	return ""
}

// fmtFindings lists fakegraf's findings by rule, sorted.
func fmtFindings(f map[string]int) string {
	if len(f) == 0 {
		return ""
	}
	var parts []string
	for _, rule := range slices.Sorted(maps.Keys(f)) {
		parts = append(parts, fmt.Sprintf("%s=%d", rule, f[rule]))
	}
	return "; fakegraf's findings: " + strings.Join(parts, " ")
}

func fmtReady(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return d.Round(time.Millisecond).String()
}

func fmtDrops(name string, d int) string {
	if d < 0 {
		return "-"
	}
	return strconv.Itoa(d)
}

func makePayload(c benchCase, n int) [][]byte {
	now := time.Now().UnixNano()
	switch c.input {
	case "http":
		return httpBatches(c, n, now)
	case "statsd":
		return statsdPayload(c, n)
	case "idle":
		return nil // sendIdle makes one line per connection
	}
	var out [][]byte
	if c.scheme == "udp" {
		for i := 0; i < n; i++ {
			out = append(out, []byte(c.line(i, now)))
		}
		return out
	}
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		b.WriteString(c.line(i, now))
	}
	if c.input == "parallel" {
		return splitPayload(b.Bytes(), parallelSenders)
	}
	return [][]byte{b.Bytes()}
}

func config(c benchCase, extra string) string {
	switch c.input {
	case "http":
		return httpConfig(extra)
	case "statsd":
		return statsdConfig(c, extra)
	}
	flush := "1s"
	if c.input == "parallel" {
		// No flush after the last metric: watchLastBusy would take its
		// CPU for processing. Telegraf still flushes each full batch.
		flush = "1h"
	}
	opts := ""
	if c.format == "json" {
		opts = "  json_name_key = \"metric_name\"\n  tag_keys = [\"host\"]\n"
	}
	if c.bufferSize != "" {
		opts += fmt.Sprintf("  read_buffer_size = %q\n", c.bufferSize)
	}
	return fmt.Sprintf("[agent]\n  omit_hostname = true\n  flush_interval = %q\n  metric_buffer_limit = 100000\n%s\n[[inputs.socket_listener]]\n  service_address = \"%s://127.0.0.1:0\"\n  data_format = %q\n%s",
		flush, extra, c.scheme, c.format, opts)
}

func writeConfig(text string) string {
	f, err := os.CreateTemp("", "fgbench-*.conf")
	check(err)
	_, err = f.WriteString(text)
	check(err)
	check(f.Close())
	return f.Name()
}

// start runs a program and waits for the line that names its address. api
// gets the URL of fakegraf's HTTP API, if it says it has one ("api on").
func start(cmd *exec.Cmd, pattern string) (addr string, ready time.Duration, stdout *bytes.Buffer, api chan string) {
	stderr, err := cmd.StderrPipe()
	check(err)
	stdout = &bytes.Buffer{}
	cmd.Stdout = stdout
	t0 := time.Now()
	check(cmd.Start())
	found := make(chan string, 1)
	api = make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if i := strings.Index(line, pattern); i >= 0 {
				found <- strings.TrimSpace(line[i+len(pattern):])
			}
			if u, ok := strings.CutPrefix(line, "api on "); ok {
				api <- strings.TrimSpace(u)
			}
		}
	}()
	select {
	case a := <-found:
		return a, time.Since(t0), stdout, api
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		panic("no listening line from " + cmd.Path)
	}
}

// hostPort is the address in a program's listening line.
func hostPort(url string) string {
	addr := url
	if _, a, ok := strings.Cut(url, "://"); ok {
		addr = a
	}
	return strings.Trim(addr, `"`) // Telegraf's statsd quotes its address
}

// drive sends a case's payload to the program running as pid. It returns
// when everything is sent, with tcp-idle's idle RSS and tcp-influx-8's
// start time.
func drive(c benchCase, url string, payload [][]byte, udpRate, pid int) (idleRSS int64, start time.Time) {
	switch c.input {
	case "idle":
		return sendIdle(hostPort(url), idleConns, pid), time.Time{}
	case "parallel":
		start, wait := sendParallel(hostPort(url), payload)
		wait()
		return 0, start
	}
	send(c, url, payload, udpRate)
	return 0, time.Time{}
}

func send(c benchCase, url string, payload [][]byte, udpRate int) {
	addr := hostPort(url)
	switch c.input {
	case "http":
		postBatches(c, addr, payload)
		return
	case "statsd":
		sendStatsd(c, addr, payload)
		return
	}
	conn, err := net.Dial(c.scheme, addr)
	check(err)
	defer conn.Close()
	if c.scheme != "udp" {
		// A program that stopped before the end resets the connection:
		// its metrics column shows how much it took, and the run goes on.
		if _, err = conn.Write(payload[0]); err != nil {
			fmt.Fprintln(os.Stderr, "loopback:", err)
		}
		return
	}
	// Pace the datagrams: a loopback sender can outrun any reader.
	start := time.Now()
	for i, d := range payload {
		_, _ = conn.Write(d)
		if i%1000 == 999 {
			if ahead := time.Duration(i+1)*time.Second/time.Duration(udpRate) - time.Since(start); ahead > 0 {
				time.Sleep(ahead)
			}
		}
	}
}

// variant is a fakegraf run with more flags, another environment or another
// binary.
type variant struct {
	name  string
	env   []string // VAR=value, added to this process's environment
	bin   string   // "" is -fakegraf
	flags []string
	page  bool // +page: a page is open on its API (page.go)
}

type variantFlag []variant

func (v *variantFlag) String() string { return "" }
func (v *variantFlag) Set(s string) error {
	name, flags, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return errors.New("want NAME=FLAGS")
	}
	va := variant{name: name}
	var words []string
	for _, w := range strings.Fields(flags) {
		if w == "+page" {
			va.page = true
		} else {
			words = append(words, w)
		}
	}
	for len(words) > 0 && isEnvWord(words[0]) {
		va.env, words = append(va.env, words[0]), words[1:]
	}
	if len(words) > 0 && !strings.HasPrefix(words[0], "-") {
		va.bin, words = words[0], words[1:]
	}
	va.flags = words
	*v = append(*v, va)
	return nil
}

// isEnvWord tells VAR=value (an upper-case name) from a flag or a path.
func isEnvWord(w string) bool {
	name, _, ok := strings.Cut(w, "=")
	return ok && name != "" && strings.Trim(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == ""
}

func runFakegraf(bin string, c benchCase, payload [][]byte, n, udpRate int, v variant) measurement {
	env, extra := v.env, v.flags
	conf := writeConfig(config(c, ""))
	defer os.Remove(conf)
	// idle= only ends a run whose count never comes (lost datagrams). It
	// is 10 s, not 3: fakegraf measures idle time from the arrival of the
	// last record processed, so on a loaded machine a reader with an 8 MiB
	// buffer of records still to process looked idle for 3 s and fakegraf
	// stopped, resetting the sender (seen with main's binary too).
	until := fmt.Sprintf("count=%d,idle=10s", n)
	if c.input == "idle" {
		// Not idle=: the connections are idle on purpose.
		until = fmt.Sprintf("count=%d,duration=10m", n)
	}
	var out string
	if c.input == "statsd" {
		// A statsd line is no metric: the flushes' are. fakegraf stops 3 s
		// after the last line, so after the flush that stores it.
		until = "idle=3s"
		f, err := os.CreateTemp("", "fgbench-*.out")
		check(err)
		check(f.Close())
		out = f.Name()
		defer os.Remove(out)
		extra = append([]string{"--metrics-out", out}, extra...)
	}
	args := append([]string{"listen", "--config", conf, "-q", "--output", "json", "--until", until, "--fail-on", "never"}, extra...)
	cmd := exec.Command(bin, args...)
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	url, ready, stdout, api := start(cmd, "listening on ")
	if v.page {
		var u string
		select {
		case u = <-api:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			panic("no api line from " + bin)
		}
		stop := openPage(u)
		defer func() {
			req, failed, refused := stop()
			fmt.Fprintf(os.Stderr, "loopback: the page asked %d times, %d failed, %d refused once fakegraf had stopped\n", req, failed, refused)
		}()
	}
	peak := watchPeakRSS(cmd.Process.Pid)
	lastBusy := watchLastBusy(cmd.Process.Pid)
	idleRSS, sent := drive(c, url, payload, udpRate, cmd.Process.Pid)
	_ = cmd.Wait() // it stops itself: count reached, or idle
	m := usage(cmd)
	m.peakRSS = peak()
	m.idleRSS = idleRSS
	if !sent.IsZero() {
		m.wall = lastBusy().Sub(sent)
	}
	m.ready = ready
	m.metrics, m.drops, m.findings = fakegrafSummary(stdout.Bytes())
	if c.input == "statsd" {
		m.metrics, m.drops = statsdCounted(out, n)
	}
	return m
}

func fakegrafSummary(out []byte) (metrics, drops int, findings map[string]int) {
	for _, line := range bytes.Split(out, []byte("\n")) {
		var ev struct {
			Event string `json:"event"`
			report.Summary
		}
		if json.Unmarshal(line, &ev) == nil && ev.Event == "summary" {
			for _, l := range ev.Listeners {
				drops += int(l.KernelDrops)
			}
			return ev.Metrics, drops, ev.ByRule
		}
	}
	return 0, 0, nil
}

func runTelegraf(bin string, c benchCase, payload [][]byte, n, udpRate int) measurement {
	if bin == "none" {
		return measurement{}
	}
	if _, err := os.Stat(bin); err != nil {
		fmt.Fprintf(os.Stderr, "no Telegraf at %s (make telegraf): skipping it\n", bin)
		return measurement{}
	}
	output, pattern := "[[outputs.discard]]\n", "Listening on "
	var out string
	switch c.input {
	case "http":
		pattern = "Started HTTP listener service on "
	case "statsd":
		// Stored metrics are counted for statsd, so they are written; a
		// few hundred a flush cost next to nothing.
		f, err := os.CreateTemp("", "fgbench-*.out")
		check(err)
		check(f.Close())
		out = f.Name()
		defer os.Remove(out)
		output = fmt.Sprintf("[[outputs.file]]\n  files = [%q]\n  data_format = \"influx\"\n", out)
		pattern = " listening on "
	}
	conf := writeConfig(config(c, output))
	defer os.Remove(conf)
	cmd := exec.Command(bin, "--config", conf)
	url, ready, _, _ := start(cmd, pattern)
	peak := watchPeakRSS(cmd.Process.Pid)
	lastBusy := watchLastBusy(cmd.Process.Pid)
	idleRSS, sent := drive(c, url, payload, udpRate, cmd.Process.Pid)
	if c.input == "statsd" {
		// Telegraf gathers every second, so its CPU never goes idle: wait
		// for its file to stop changing past a flush instead.
		waitStable(out, 3*time.Second)
	} else {
		waitIdle(cmd.Process.Pid)
	}
	var wall time.Duration
	if !sent.IsZero() {
		wall = lastBusy().Sub(sent) // before SIGTERM makes it busy again
	}
	drops := -1
	if c.scheme == "udp" {
		drops = procUDPDrops(url) // read before Telegraf closes the socket
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	m := usage(cmd)
	m.peakRSS = peak()
	m.idleRSS = idleRSS
	m.wall = wall
	m.ready = ready
	m.metrics = -1 // Telegraf does not say; its CPU went idle
	m.drops = drops
	if c.input == "statsd" {
		m.metrics, m.drops = statsdCounted(out, n)
	}
	return m
}

// usage is the CPU time (user + system) and peak RSS of an exited process,
// from its rusage.
func usage(cmd *exec.Cmd) measurement {
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return measurement{}
	}
	// Not ru.Maxrss: it counts the memory of the forked bench process
	// before exec, payload included.
	return measurement{cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
}

// watchPeakRSS samples VmHWM (the peak resident set) of a running process
// until it exits; the returned function gives the last value read.
func watchPeakRSS(pid int) func() int64 {
	var mu sync.Mutex
	var peak int64
	go func() {
		for {
			status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
			if err != nil {
				return
			}
			for _, line := range strings.Split(string(status), "\n") {
				if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					if kib, err := strconv.ParseInt(strings.Fields(v)[0], 10, 64); err == nil {
						mu.Lock()
						peak = max(peak, kib)
						mu.Unlock()
					}
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return func() int64 {
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// waitIdle waits until a process has used no CPU for 1.5 s (or exited):
// Telegraf does not say when it has processed everything.
func waitIdle(pid int) {
	last, idleSince := time.Duration(-1), time.Now()
	for {
		cpu, err := procCPU(pid)
		if err != nil {
			return
		}
		if cpu != last {
			last, idleSince = cpu, time.Now()
		} else if time.Since(idleSince) > 1500*time.Millisecond {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func procCPU(pid int) (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("bad stat")
	}
	f := strings.Fields(string(stat[i+2:]))
	if len(f) < 13 || f[0] == "Z" {
		return 0, errors.New("exited")
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100, nil // USER_HZ
}

// procUDPDrops reads the kernel's drop counter of the UDP socket bound to
// the port in url.
func procUDPDrops(url string) int {
	port, err := strconv.Atoi(url[strings.LastIndex(url, ":")+1:])
	if err != nil {
		return -1
	}
	n, ok := listener.UDPDrops(port)
	if !ok {
		return -1
	}
	return int(n)
}

func numCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "model name\t: "); ok {
			return v
		}
	}
	return "unknown CPU"
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "loopback:", err)
		os.Exit(1)
	}
}
