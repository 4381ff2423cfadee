//go:build parity

package parity

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/influxdata/telegraf"

	"github.com/fakegraf/fakegraf/findingsout"
	"github.com/fakegraf/fakegraf/parse"
)

// TestFindingsOut sends findings with --findings-out's writer to a real
// Telegraf's socket_listener, over tcp and over udp, and reads them back from
// its outputs.file: Telegraf stores every finding, with its tags and a
// message full of what line protocol escapes, exactly as sent, and logs no
// error about them.
func TestFindingsOut(t *testing.T) {
	dir := shortDir(t)
	conf := `[agent]
  interval = "1s"
  flush_interval = "100ms"
  omit_hostname = true
[[inputs.socket_listener]]
  service_address = "tcp://127.0.0.1:0"
  data_format = "influx"
[[inputs.socket_listener]]
  service_address = "udp://127.0.0.1:0"
  data_format = "influx"
[[outputs.file]]
  files = ["metrics.lp"]
  data_format = "influx"
`
	if err := os.WriteFile(filepath.Join(dir, "tg.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	tg := startProcess(t, "telegraf", telegrafBin, []string{"--config", "tg.conf"}, dir, telegrafListening)
	tg.metrics = filepath.Join(dir, "metrics.lp")
	addrs := tg.addresses(t, 2)

	message := "field \"v\" = 1,2 \\ ends\there,a=b c=\"d\"\\"
	sent := 0
	for _, addr := range addrs {
		out, err := findingsout.Open(addr, findingsout.Options{Instance: "parity"})
		if err != nil {
			t.Fatal(err)
		}
		out.Finding(parse.Diagnostic{Rule: "parse-error", Severity: parse.Error, Message: message,
			Source:   parse.Source{Listener: "unix:///tmp/a b,c=d.sock", Peer: "[::1]:5000", Record: 2},
			Position: parse.Position{Line: 1, Column: 9}, Fixes: []string{`quote it: "x"`, "or drop it"}})
		out.Finding(parse.Diagnostic{Rule: "udp-kernel-drops", Severity: parse.Error, Message: "the kernel dropped 3 datagram(s)", Count: 3,
			Source: parse.Source{Listener: addr}})
		if st := out.Close(5 * time.Second); st.Total() != 0 || st.Findings != 2 {
			t.Fatalf("to %s: %+v", addr, st)
		}
		sent += 2
	}

	deadline := time.Now().Add(30 * time.Second)
	var ms []telegraf.Metric
	for {
		var err error
		if ms, err = readMetrics(tg.metrics); err != nil {
			t.Fatal(err)
		}
		if len(ms) >= sent || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // polling Telegraf's output file
	}
	tg.stop(t)

	var want []map[string]any
	for _, addr := range addrs {
		want = append(want,
			map[string]any{"name": "fakegraf_finding", "instance": "parity", "listener": "unix:///tmp/a b,c=d.sock", "rule": "parse-error", "sender": "::1", "severity": "error",
				"column": int64(9), "count": int64(1), "fix": `quote it: "x"; or drop it`, "line": int64(1), "record": int64(2),
				"message": strings.ReplaceAll(message, "\t", `\t`)}, // a control character is written as its escape
			map[string]any{"name": "fakegraf_finding", "instance": "parity", "listener": addr, "rule": "udp-kernel-drops", "severity": "error",
				"count": int64(3), "message": "the kernel dropped 3 datagram(s)", "record": int64(0)})
	}
	var got []map[string]any
	for _, m := range ms {
		g := map[string]any{"name": m.Name()}
		for _, tag := range m.TagList() {
			g[tag.Key] = tag.Value
		}
		for _, f := range m.FieldList() {
			g[f.Key] = f.Value
		}
		got = append(got, g)
	}
	key := func(m map[string]any) string { return fmt.Sprint(m["listener"], m["rule"], m["message"]) }
	sort.Slice(want, func(i, j int) bool { return key(want[i]) < key(want[j]) })
	sort.Slice(got, func(i, j int) bool { return key(got[i]) < key(got[j]) })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("what Telegraf stored (-want +got):\n%s", diff)
	}
	for _, line := range tg.stderr.all() {
		if strings.Contains(line, " E! ") {
			t.Errorf("Telegraf logged: %s", line)
		}
	}
}
