package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/influxdata/telegraf/plugins/parsers/influx"
)

// batchLines is the batch size of the HTTP cases: what the issue asks for,
// and the default batch size of the official client libraries.
const batchLines = 5000

var statsdN, statsdRate int

// httpBatches cuts n lines of line protocol into bodies of batchLines lines.
func httpBatches(c benchCase, n int, now int64) [][]byte {
	var out [][]byte
	for i := 0; i < n; i += batchLines {
		var b bytes.Buffer
		for j := i; j < min(i+batchLines, n); j++ {
			b.WriteString(c.line(j, now))
		}
		if !c.gzip {
			out = append(out, b.Bytes())
			continue
		}
		var z bytes.Buffer
		w := gzip.NewWriter(&z)
		_, err := w.Write(b.Bytes())
		check(err)
		check(w.Close())
		out = append(out, z.Bytes())
	}
	return out
}

// httpConfig serves the v2 write API on a free port: the InfluxDB
// listeners log the configured address, not the bound one, so it cannot be
// port 0.
func httpConfig(extra string) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	addr := l.Addr().String()
	check(l.Close())
	return fmt.Sprintf("[agent]\n  omit_hostname = true\n  flush_interval = \"1s\"\n  metric_buffer_limit = 100000\n%s\n[[inputs.influxdb_v2_listener]]\n  service_address = %q\n", extra, addr)
}

// postBatches posts the batches one after another on one kept-alive
// connection, as a client library's write API does, and requires 204 No
// Content for each: a refused batch would make the CPU per metric a lie.
func postBatches(c benchCase, addr string, batches [][]byte) {
	client := &http.Client{Timeout: time.Minute}
	url := "http://" + addr + "/api/v2/write?org=bench&bucket=bench&precision=ns"
	for _, body := range batches {
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		check(err)
		req.Header.Set("Content-Type", "text/plain; charset=utf-8")
		if c.gzip {
			req.Header.Set("Content-Encoding", "gzip")
		}
		resp, err := client.Do(req)
		check(err)
		msg, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			check(fmt.Errorf("POST %s: %s: %s", url, resp.Status, msg))
		}
	}
	client.CloseIdleConnections()
}

// statsdLine is a line of a busy service's statsd stream: a third each of
// counters, gauges and timings, over 300 buckets of each.
func statsdLine(i int, _ int64) string {
	b := (i / 3) % 300
	switch i % 3 {
	case 0:
		return fmt.Sprintf("bench.requests.b%d:1|c\n", b)
	case 1:
		return fmt.Sprintf("bench.queue.b%d:%d|g\n", b, i%1000)
	default:
		return fmt.Sprintf("bench.latency.b%d:%d.%d|ms\n", b, i%250, i%10)
	}
}

// statsdPayload is one line per datagram on udp, as most statsd clients
// send them unbuffered, and one write per line on tcp.
func statsdPayload(c benchCase, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(c.line(i, 0))
	}
	return out
}

// statsdConfig flushes every second, aligned, so that the run's flushes are
// the same on both sides; the plugin's defaults otherwise (delete_* true,
// so a flush stores what came since the last one).
func statsdConfig(c benchCase, extra string) string {
	opts := ""
	if c.bufferSize != "" {
		opts = fmt.Sprintf("  read_buffer_size = %d\n", 8<<20)
	}
	return fmt.Sprintf("[agent]\n  interval = \"1s\"\n  round_interval = true\n  flush_interval = \"1s\"\n  omit_hostname = true\n  metric_buffer_limit = 100000\n%s\n[[inputs.statsd]]\n  protocol = %q\n  service_address = \"127.0.0.1:0\"\n  percentiles = [50.0, 90.0, 99.0]\n%s",
		extra, c.scheme, opts)
}

// sendStatsd sends the lines at statsdRate a second.
func sendStatsd(c benchCase, addr string, lines [][]byte) {
	conn, err := net.Dial(c.scheme, addr)
	check(err)
	defer conn.Close()
	start := time.Now()
	for i, l := range lines {
		_, err := conn.Write(l)
		if c.scheme == "tcp" {
			check(err)
		}
		if i%100 == 99 {
			if ahead := time.Duration(i+1)*time.Second/time.Duration(statsdRate) - time.Since(start); ahead > 0 {
				time.Sleep(ahead)
			}
		}
	}
}

// statsdCounted reads a side's stored metrics and counts the lines they
// account for: the value of every counter (each line adds 1) and the count
// of every timing, over all flushes (delete_counters and delete_timings
// make each flush store only what came since the one before). Gauges keep
// their last value and count nothing. It returns that count and how many of
// the counter and timing lines sent are missing.
func statsdCounted(path string, n int) (counted, missing int) {
	data, err := os.ReadFile(path)
	check(err)
	p := influx.Parser{}
	check(p.Init())
	ms, err := p.Parse(data)
	check(err)
	for _, m := range ms {
		typ, _ := m.GetTag("metric_type")
		var v any
		switch typ {
		case "counter":
			v, _ = m.GetField("value")
		case "timing":
			v, _ = m.GetField("count")
		default:
			continue
		}
		switch x := v.(type) {
		case int64:
			counted += int(x)
		case float64:
			counted += int(x)
		}
	}
	return counted, statsdWant(n) - counted
}

// statsdWant is how many of n statsd lines (statsdLine) a side's stored
// metrics count: the counters and timings, not the gauges.
func statsdWant(n int) int {
	want := 0
	for i := range n {
		if i%3 != 1 {
			want++
		}
	}
	return want
}

// waitStable waits until a file has not changed for d, and is not empty.
func waitStable(path string, d time.Duration) {
	var last int64 = -1
	since := time.Now()
	for {
		st, err := os.Stat(path)
		size := int64(0)
		if err == nil {
			size = st.Size()
		}
		if size != last {
			last, since = size, time.Now()
		} else if size > 0 && time.Since(since) > d {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
