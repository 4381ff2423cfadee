package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// reportEvents is a --output json report, timestamps aside: the metric
// times the agent's clock gives (check's clock is later), the line with
// them, and the wall-clock time of each record, sorted.
func reportEvents(t *testing.T, out []byte) []string {
	t.Helper()
	return jsonEvents(t, out, func(m map[string]any) map[string]any {
		// "capture" is the live run's account of its own capture file,
		// which a check of that file does not write; "captures_checked"
		// is check's account of the files it read, which a live run has
		// none of.
		for _, k := range []string{"time", "time_ns", "time_rfc3339", "line", "capture", "captures_checked"} {
			delete(m, k)
		}
		return m
	})
}

// jsonEvents decodes each event of a --output json report, lets edit take
// out what a comparison must not see (nil leaves the event out), and
// returns the events encoded again, sorted.
func jsonEvents(t *testing.T, out []byte, edit func(map[string]any) map[string]any) []string {
	t.Helper()
	var lines []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		if m = edit(m); m == nil {
			continue
		}
		b, err := json.Marshal(m)
		require.NoError(t, err)
		lines = append(lines, string(b))
	}
	slices.Sort(lines)
	return lines
}

// TestCaptureCheckIsLive runs every tutorial example, good and --broken,
// under fakegraf run --capture, and checks the capture: fakegraf check
// reports the findings, metrics and summary the live run reported.
func TestCaptureCheckIsLive(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatalf("the tutorial's senders need python3: %v", err)
	}
	examples, err := filepath.Abs(filepath.Join("..", "..", "examples", "tutorial"))
	require.NoError(t, err)
	for n, conf := range []string{"telegraf-1-stats-simple-datagram-json.conf", "telegraf-2-stats-json.conf", "telegraf-3-stats-wavefront.conf", "telegraf-4-stats-influx-line.conf"} {
		for _, broken := range []bool{false, true} {
			name := conf
			if broken {
				name += " --broken"
			}
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				// The tutorial's addresses, moved to free ports and a
				// private socket path so that tests do not collide.
				data, err := os.ReadFile(filepath.Join(examples, conf))
				require.NoError(t, err)
				text := strings.NewReplacer(`"udp://:8094"`, `"udp://127.0.0.1:0"`, `"tcp://:8094"`, `"tcp://127.0.0.1:0"`,
					`"unix:///tmp/telegraf.sock"`, `"unix://`+filepath.Join(dir, "t.sock")+`"`).Replace(string(data))
				cfg := filepath.Join(dir, "telegraf.conf")
				require.NoError(t, os.WriteFile(cfg, []byte(text), 0o644))
				capFile := filepath.Join(dir, "run.fgcap")
				sender := []string{"python3", filepath.Join(examples, "stats.py"), string(rune('1' + n)), "--count", "3", "--interval", "0.01"}
				if broken {
					sender = append(sender, "--broken")
				}
				var live, liveErr bytes.Buffer
				liveCode := run(context.Background(), append([]string{"run", "--config", cfg, "--capture", capFile, "--output", "json", "--"}, sender...), nil, &live, &liveErr)
				require.NotEqual(t, exitCannot, liveCode, liveErr.String())
				require.Contains(t, liveErr.String(), "captured ")

				var checked, checkErr bytes.Buffer
				// No --config: the capture carries it.
				checkCode := run(context.Background(), []string{"check", capFile, "--output", "json"}, nil, &checked, &checkErr)
				require.Equal(t, liveCode, checkCode, checkErr.String())
				if diff := cmp.Diff(reportEvents(t, live.Bytes()), reportEvents(t, checked.Bytes())); diff != "" {
					t.Errorf("fakegraf check %s against the live run (-live +checked):\n%s", filepath.Base(capFile), diff)
				}
				if broken && n == 1 {
					require.Contains(t, checked.String(), `"rule":"missing-newline"`, "the glued JSON stream stays glued")
				}
			})
		}
	}
}
