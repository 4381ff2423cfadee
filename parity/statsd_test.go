//go:build parity

package parity

import (
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
)

// scase is one differential case of [[inputs.statsd]]: what is sent
// between one flush and the next, flush after flush.
type scase struct {
	name     string
	protocol string   // udp (the default) or tcp
	opts     []string // the input's options, one TOML line each
	// workers is number_workers_threads; 0 means 1. With several workers,
	// datagrams are parsed concurrently (plugins/inputs/statsd/statsd.go
	// parser), so the order in which gauges and their deltas, or timings
	// and their running stddev, are applied changes from run to run even
	// in Telegraf alone: only order-free cases (counters, sets) may use
	// more than one.
	workers int
	// flushes holds, per agent interval, the packets sent in it: one
	// datagram each on udp, one write each on a tcp connection opened and
	// closed for the interval. An empty interval sends nothing, which is
	// how delete_* shows across flushes.
	flushes [][]string
}

// config renders a side's telegraf.conf: a one-second interval aligned to
// the wall clock (round_interval, no jitter), so that both sides gather at
// the same instants, and an output flush at the same pace.
func (c scase) config(addr, out string) string {
	var b strings.Builder
	b.WriteString("[agent]\n  interval = \"1s\"\n  round_interval = true\n  collection_jitter = \"0s\"\n  flush_interval = \"1s\"\n  flush_jitter = \"0s\"\n  omit_hostname = true\n  debug = false\n")
	fmt.Fprintf(&b, "\n[[outputs.file]]\n  files = [%q]\n  data_format = \"influx\"\n\n", out)
	protocol := c.protocol
	if protocol == "" {
		protocol = "udp"
	}
	workers := c.workers
	if workers == 0 {
		workers = 1
	}
	fmt.Fprintf(&b, "[[inputs.statsd]]\n  protocol = %q\n  service_address = %q\n  number_workers_threads = %d\n", protocol, addr, workers)
	for _, o := range c.opts {
		fmt.Fprintf(&b, "  %s\n", o)
	}
	return b.String()
}

// nextHalfSecond is the next instant half-way between two whole seconds,
// at least 300 ms away. Both sides gather on whole seconds (a 1 s interval
// with round_interval); sending half-way puts half a second between a send
// and the gathers on either side of it, so every packet of an interval
// lands in the same flush on both sides whatever the scheduling noise.
// This is a wait for the clock, not for a condition that could be polled:
// the flush is the thing under test.
func nextHalfSecond(now time.Time) time.Time {
	t := now.Truncate(time.Second).Add(500 * time.Millisecond)
	for t.Sub(now) < 300*time.Millisecond {
		t = t.Add(time.Second)
	}
	return t
}

// sendStatsd plays one interval's packets at a side.
func sendStatsd(protocol, addr string, packets []string) error {
	if len(packets) == 0 {
		return nil
	}
	if protocol == "tcp" {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		for _, p := range packets {
			c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Write([]byte(p)); err != nil {
				return err
			}
		}
		return nil
	}
	c, err := net.Dial("udp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, p := range packets {
		if _, err := c.Write([]byte(p)); err != nil {
			return err
		}
	}
	return nil
}

// byInterval sorts metrics into the intervals of the run by their
// timestamps: bounds[k] is when interval k's packets were sent, the last
// bound when the run ended. Index 0 holds what came before the first
// send, index len(bounds) what came after the end; both should be empty.
func byInterval(ms []telegraf.Metric, bounds []time.Time) [][]telegraf.Metric {
	out := make([][]telegraf.Metric, len(bounds)+1)
	for _, m := range ms {
		i := 0
		for i < len(bounds) && !m.Time().Before(bounds[i]) {
			i++
		}
		out[i] = append(out[i], m)
	}
	return out
}

func TestParityStatsd(t *testing.T) {
	for _, c := range statsdCases() {
		t.Run(c.name, func(t *testing.T) {
			var reason string
			track(t, "inputs.statsd", &reason)
			t.Parallel()
			runStatsdCase(t, c)
		})
	}
}

func runStatsdCase(t *testing.T, c scase) {
	slot(t)
	dir := shortDir(t)
	protocol := c.protocol
	if protocol == "" {
		protocol = "udp"
	}
	tgSide, fgSide := sides(t, dir, [2]string{"127.0.0.1:0", "127.0.0.1:0"}, c.config)
	tg, tgReported := tgSide.start(t, dir, "statsd", telegrafStatsdListening)
	fg, fgReported := fgSide.start(t, dir, "statsd", telegrafStatsdListening)
	tgAddr, err := hostPort(tgReported)
	if err != nil {
		t.Fatal(err)
	}
	fgAddr, err := hostPort(fgReported)
	if err != nil {
		t.Fatal(err)
	}

	var bounds []time.Time
	for k, packets := range c.flushes {
		time.Sleep(time.Until(nextHalfSecond(time.Now())))
		bounds = append(bounds, time.Now())
		var wg sync.WaitGroup
		var tgErr, fgErr error
		wg.Add(2)
		go func() { defer wg.Done(); tgErr = sendStatsd(protocol, tgAddr, packets) }()
		go func() { defer wg.Done(); fgErr = sendStatsd(protocol, fgAddr, packets) }()
		wg.Wait()
		if tgErr != nil || fgErr != nil {
			t.Fatalf("interval %d: sending failed: %s: %v; %s: %v", k, tg.name, tgErr, fg.name, fgErr)
		}
	}
	// One more whole second passes before the end: the gather that closes
	// the last interval.
	time.Sleep(time.Until(nextHalfSecond(time.Now())))
	bounds = append(bounds, time.Now())

	// Telegraf writes what its outputs still hold when it stops.
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); tg.stop(t) }()
	go func() { defer wg.Done(); fg.stop(t) }()
	wg.Wait()

	tgMs, err := readMetrics(tgSide.out)
	if err != nil {
		t.Fatalf("reading Telegraf's output: %v", err)
	}
	fgMs, err := readMetrics(fgSide.out)
	if err != nil {
		t.Fatalf("reading %s's metrics: %v", fg.name, err)
	}
	tgBy, fgBy := byInterval(tgMs, bounds), byInterval(fgMs, bounds)
	label := func(i int) string {
		switch i {
		case 0:
			return "before the first send"
		case len(bounds):
			return "after the end of the run"
		}
		return fmt.Sprintf("flush after interval %d", i-1)
	}
	for i := range tgBy {
		if d := diffLists(canonAll(tgBy[i], false), canonAll(fgBy[i], false)); d != "" {
			t.Errorf("%s: metrics differ (-%s +%s):\n%s", label(i), tg.name, fg.name, d)
		}
	}
	if len(tgMs) == 0 {
		t.Errorf("Telegraf stored no metric: the case proves nothing")
	}
	if n := len(tgBy[0]) + len(tgBy[len(bounds)]); n > 0 {
		t.Errorf("Telegraf stored %d metric(s) outside the intervals of the run: the harness's alignment with the flushes is broken", n)
	}
	if !selfCheck {
		if _, bad := fakegrafErrors(fg.stdout.all()); len(bad) > 0 {
			t.Errorf("fakegraf wrote non-JSON lines to stdout with --output json:\n  %s", strings.Join(bad, "\n  "))
		}
	}

	if t.Failed() || os.Getenv("FAKEGRAF_PARITY_VERBOSE") != "" {
		for k, packets := range c.flushes {
			t.Logf("interval %d sent at %s: %q", k, bounds[k].Format("15:04:05.000"), packets)
		}
		for i := range tgBy {
			t.Logf("%s:\n  telegraf:\n    %s\n  %s:\n    %s", label(i),
				strings.Join(canonAll(tgBy[i], true), "\n    "), fg.name, strings.Join(canonAll(fgBy[i], true), "\n    "))
		}
		t.Logf("config (%s's copy):\n%s", fg.name, fgSide.config)
		if _, other := telegrafErrors(tg.stderr.all()); len(other) > 0 {
			t.Logf("Telegraf's errors:\n  %s", strings.Join(other, "\n  "))
		}
	}
}

func statsdCases() []scase {
	counters := []string{"c:1|c", "c:2|c|@0.5", "c:1.5|c", "c2:3|c\nc2:4|c\n", "c3:-2|c"}
	gauges := []string{"g:10|g\ng:+5|g", "g:-3|g", "g:-3|g", "g2:1.25|g"}
	timings := []string{"t:10|ms", "t:20|ms", "t:30|ms|@0.5", "t:15:25:35|ms", "t:40|ms\nh:1|h\nh:2|h\nh:3|h|@0.25"}
	sets := []string{"s:a|s", "s:b|s\ns:a|s", "s:1|s", "s2:x|s"}
	return []scase{
		{name: "counters", flushes: [][]string{counters, counters, {}}},
		{name: "counters-kept", opts: []string{"delete_counters = false"}, flushes: [][]string{counters, {}, {"c:5|c"}}},
		{name: "counters-float", opts: []string{"float_counters = true"}, flushes: [][]string{counters}},
		{name: "counters-5-workers", workers: 5, flushes: [][]string{
			{"w:1|c", "w:2|c", "w:3|c", "w:4|c", "w:5|c", "w:6|c", "w:7|c", "w:8|c", "x:1|c|@0.1"},
		}},
		{name: "gauges", flushes: [][]string{gauges, {"g:+1|g"}, {}}},
		{name: "gauges-kept", opts: []string{"delete_gauges = false"}, flushes: [][]string{gauges, {"g:+1|g"}, {}}},
		{name: "timings", opts: []string{"percentiles = [50.0, 90.0, 99.9]"}, flushes: [][]string{timings, {"t:5|ms"}, {}}},
		{name: "timings-kept", opts: []string{"percentiles = [50.0, 95.0]", "delete_timings = false", "float_timings = true"}, flushes: [][]string{timings, {}, {"t:5|ms"}}},
		{name: "sets", flushes: [][]string{sets, {"s:c|s"}, {}}},
		{name: "sets-kept", opts: []string{"delete_sets = false", "float_sets = true"}, flushes: [][]string{sets, {"s:c|s"}, {}}},
		{name: "datadog-tags", opts: []string{"datadog_extensions = true"}, flushes: [][]string{{
			"dd:1|c|#env:prod,region:eu", "dd:2|c|@0.5|#env:prod,region:eu", "dd:3|c|#env:dev",
			"dd.gauge:5|g|#k:v", "dd.timer:7|ms|#k:v", "dd.set:a|s|#k:v", "dd.bare:1|c|#flag",
		}}},
		{name: "datadog-tags-off", flushes: [][]string{{
			"dd:1|c|#env:prod,region:eu", "dd:2|c|@0.5|#env:prod,region:eu", "dd.gauge:5|g|#k:v",
		}}},
		{name: "datadog-distributions", opts: []string{"datadog_extensions = true", "datadog_distributions = true"}, flushes: [][]string{{
			"dist:1.5|d|#k:v", "dist:2|d|#k:v", "dist:3|d",
		}}},
		{name: "influx-tags", flushes: [][]string{{
			"cpu,host=a,region=eu:1|c", "cpu,host=a,region=eu:2|c", "cpu,host=b:5|g", "cpu.load,host=a:7|ms",
		}}},
		{name: "influx-and-datadog-tags", opts: []string{"datadog_extensions = true"}, flushes: [][]string{{
			"both,host=a:1|c|#env:prod", "both,env=x:1|c|#env:prod",
		}}},
		{name: "templates", opts: []string{`templates = ["cpu.* measurement.measurement.region", "measurement.field"]`}, flushes: [][]string{{
			"cpu.load.eu:1|c", "cpu.load.us:2|g", "mem.free:3|g", "disk.used.extra:4|c",
		}}},
		{name: "metric_separator", opts: []string{`metric_separator = "."`}, flushes: [][]string{{
			"a.b.c:1|c", "a-b c:2|c", "x.y:3|g", "x/y:4|g",
		}}},
		{name: "convert_names", opts: []string{"convert_names = true"}, flushes: [][]string{{
			"a.b-c:1|c", "x-y.z:2|g",
		}}},
		{name: "bad-lines", flushes: [][]string{{
			"nocolon", "x:1", "x:abc|c", "x:1|zz", "x:1|c|@abc", "x:+1|ms", "good:1|c", "good:2|c\nbad\ngood:3|c",
		}}},
		{name: "tcp", protocol: "tcp", opts: []string{"delete_gauges = false"}, flushes: [][]string{
			{"c:1|c\n", "g:10|g\ng:+5|g\n", "t:10|ms\nt:20|ms\n", "s:a|s\ns:b|s\n"},
			{"c:2|c\ng:-1|g\n", "no newline:1|c"},
			{},
		}},
	}
}
