//go:build parity

package parity

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestParityNodeInfluxClient runs examples/node-influxdb/write.mjs, the
// official InfluxDB client for Node.js (@influxdata/influxdb-client,
// vendored), against a real Telegraf's [[inputs.influxdb_v2_listener]]
// and against fakegraf's, and requires both to store the same metrics,
// timestamps included: the client picks its own batching, gzip and
// escaping, which no hand-written request in TestParityHTTP reproduces.
// Each mode of the program is a case: the correct writes at precision=ms,
// and the millisecond timestamps at precision=ns.
//
// Without node the test skips with its reason, or fails when
// FAKEGRAF_REQUIRE_NODE is set, as the CLI's scripts do.
func TestParityNodeInfluxClient(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil && os.Getenv("FAKEGRAF_REQUIRE_NODE") != "" {
		t.Fatal("node is not on PATH and FAKEGRAF_REQUIRE_NODE is set: install it (apt-get install -y nodejs)")
	}
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "examples", "node-influxdb", "write.mjs")
	for _, mode := range []struct{ name, arg string }{{"node-client-ms", ""}, {"node-client-precision-mistake", "--precision-mistake"}} {
		t.Run(mode.name, func(t *testing.T) {
			reason := "node is not on PATH: apt-get install -y nodejs"
			// The cases count in the v2 listener's table, beside
			// TestParityHTTP's.
			track(t, "inputs.influxdb_v2_listener", &reason)
			if node == "" {
				t.Skip(reason)
			}
			t.Parallel()
			runNodeClientCase(t, node, script, mode.arg)
		})
	}
}

func runNodeClientCase(t *testing.T, node, script, arg string) {
	slot(t)
	dir := shortDir(t)
	ps := freePorts(t, 2)
	render := hcase{input: "influxdb_v2_listener"}.config
	tgSide, fgSide := sides(t, dir, [2]string{ps[0], ps[1]}, render)
	tg, tgReported := tgSide.start(t, dir, "influxdb_v2_listener", telegrafHTTPListening)
	fg, fgReported := fgSide.start(t, dir, "influxdb_v2_listener", telegrafHTTPListening)

	for _, s := range []struct {
		p        *process
		reported string
	}{{tg, tgReported}, {fg, fgReported}} {
		addr, err := hostPort(s.reported)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		args := []string{script}
		if arg != "" {
			args = append(args, arg)
		}
		cmd := exec.CommandContext(ctx, node, args...)
		cmd.Env = append(os.Environ(), "INFLUX_URL=http://"+addr)
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("the client against %s failed: %v\n%s", s.p.name, err, out)
		}
		if !strings.HasPrefix(string(out), "wrote 31 points") {
			t.Fatalf("the client against %s said %q, not that it wrote its 31 points", s.p.name, out)
		}
	}

	settle(400*time.Millisecond, 500*time.Millisecond, tg, fg)
	tg.stop(t)
	fg.stop(t)
	tgMs, err := readMetrics(tgSide.out)
	if err != nil {
		t.Fatalf("reading Telegraf's output: %v", err)
	}
	fgMs, err := readMetrics(fgSide.out)
	if err != nil {
		t.Fatalf("reading %s's metrics: %v", fg.name, err)
	}
	if len(tgMs) != 31 {
		t.Errorf("Telegraf stored %d metric(s), want the 31 the client wrote", len(tgMs))
	}
	if d := diffLists(canonAll(tgMs, true), canonAll(fgMs, true)); d != "" {
		t.Errorf("stored metrics differ (-%s +%s):\n%s", tg.name, fg.name, d)
	}
	if t.Failed() || os.Getenv("FAKEGRAF_PARITY_VERBOSE") != "" {
		t.Logf("telegraf stored:\n  %s", strings.Join(canonAll(tgMs, true), "\n  "))
		t.Logf("%s stored:\n  %s", fg.name, strings.Join(canonAll(fgMs, true), "\n  "))
	}
}
