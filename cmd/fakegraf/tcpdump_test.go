package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// TestTcpdumpCheckIsLive is TestCaptureCheckIsLive with a real tcpdump in
// place of --capture: tcpdump writes what the tutorial's senders sent on the
// loopback device, and fakegraf check of its file, given the config,
// reports the findings, metrics and summary the live run reported. Example
// 2 (JSON over a unix socket) is not here: a unix socket's traffic never
// reaches a network device, so tcpdump cannot capture it. tcpdump 4.99
// writes pcap only (no pcapng); the variants are its microsecond and
// nanosecond pcap and the "any" device, whose link layer is Linux's cooked
// header rather than Ethernet's.
//
// It skips without tcpdump or the right to capture (CAP_NET_RAW), unless
// FAKEGRAF_REQUIRE_TCPDUMP is set, as CI sets it (.ci/run).
func TestTcpdumpCheckIsLive(t *testing.T) {
	tcpdump := requireTcpdump(t)
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatalf("the tutorial's senders need python3: %v", err)
	}
	examples, err := filepath.Abs(filepath.Join("..", "..", "examples", "tutorial"))
	require.NoError(t, err)
	variants := []struct {
		name string
		args []string
	}{
		{"lo", []string{"-i", "lo"}},
		{"lo --nano", []string{"-i", "lo", "--nano"}},
		{"any", []string{"-i", "any"}},
	}
	for _, conf := range []struct {
		file, example, scheme string
	}{
		{"telegraf-1-stats-simple-datagram-json.conf", "1", "udp"},
		{"telegraf-3-stats-wavefront.conf", "3", "tcp"},
		{"telegraf-4-stats-influx-line.conf", "4", "udp"},
	} {
		for _, broken := range []bool{false, true} {
			for _, v := range variants {
				name := conf.file + " " + v.name
				if broken {
					name += " --broken"
				}
				t.Run(name, func(t *testing.T) {
					dir := t.TempDir()
					port := freePort(t, conf.scheme)
					data, err := os.ReadFile(filepath.Join(examples, conf.file))
					require.NoError(t, err)
					addr := fmt.Sprintf(`"%s://127.0.0.1:%d"`, conf.scheme, port)
					text := strings.NewReplacer(`"udp://:8094"`, addr, `"tcp://:8094"`, addr).Replace(string(data))
					cfg := filepath.Join(dir, "telegraf.conf")
					require.NoError(t, os.WriteFile(cfg, []byte(text), 0o644))
					pcapFile := filepath.Join(dir, "lo.pcap")

					stop := startTcpdump(t, tcpdump, append(v.args, "-w", pcapFile, "-U", "--immediate-mode", "-n", conf.scheme, "port", fmt.Sprint(port)))
					sender := []string{"python3", filepath.Join(examples, "stats.py"), conf.example, "--count", "3", "--interval", "0.01"}
					if broken {
						sender = append(sender, "--broken")
					}
					var live, liveErr bytes.Buffer
					liveCode := run(context.Background(), append([]string{"run", "--config", cfg, "--output", "json", "--"}, sender...), nil, &live, &liveErr)
					require.NotEqual(t, exitCannot, liveCode, liveErr.String())
					stop()

					var checked, checkErr bytes.Buffer
					checkCode := run(context.Background(), []string{"check", "--config", cfg, pcapFile, "--output", "json"}, nil, &checked, &checkErr)
					require.Equal(t, liveCode, checkCode, checkErr.String())
					if diff := cmp.Diff(reportEvents(t, live.Bytes()), reportEvents(t, checked.Bytes())); diff != "" {
						t.Errorf("fakegraf check of tcpdump's capture against the live run (-live +checked):\n%s\nstderr of check:\n%s", diff, checkErr.String())
					}
					// The capture lost nothing: tcpdump began before the
					// first connection and ended after the last.
					capt := summaryCaptureChecked(t, checked.Bytes())
					require.Equal(t, filepath.ToSlash(pcapFile), capt["file"], "the summary's capture names the file")
					for _, k := range []string{"snaplen_cut_packets", "connections_lost", "missing_bytes", "unchecked_bytes", "file_cut"} {
						require.Nil(t, capt[k], "the summary's capture says %s: %v", k, capt)
					}
					require.Zero(t, capt["other_packets"], "the filter kept only the input's port")
				})
			}
		}
	}
}

// summaryCaptureChecked is the summary's capture object of a --output json report.
func summaryCaptureChecked(t *testing.T, out []byte) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var sum struct {
		Event   string           `json:"event"`
		Capture []map[string]any `json:"captures_checked"`
	}
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &sum))
	require.Equal(t, "summary", sum.Event)
	require.Len(t, sum.Capture, 1, "one capture checked: %s", lines[len(lines)-1])
	return sum.Capture[0]
}

// requireTcpdump is tcpdump's path; without it the test skips, or fails
// when FAKEGRAF_REQUIRE_TCPDUMP is set.
func requireTcpdump(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("tcpdump")
	if err != nil {
		tcpdumpMissing(t, "no tcpdump on PATH")
	}
	return path
}

// tcpdumpMissing skips, or fails when FAKEGRAF_REQUIRE_TCPDUMP is set.
func tcpdumpMissing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("FAKEGRAF_REQUIRE_TCPDUMP") != "" {
		t.Fatalf("FAKEGRAF_REQUIRE_TCPDUMP is set, but %s (apt-get install tcpdump; run as root or give it CAP_NET_RAW)", why)
	}
	t.Skipf("%s (FAKEGRAF_REQUIRE_TCPDUMP=1 makes this a failure)", why)
}

// startTcpdump runs tcpdump and returns once it captures: it says
// "listening on" after the device is open and the filter set. stop ends it
// as a user does, with SIGINT, and waits for its count of packets, which it
// writes after the file is flushed and closed.
func startTcpdump(t *testing.T, path string, args []string) (stop func()) {
	t.Helper()
	cmd := exec.Command(path, args...)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		io.Copy(io.Discard, stderr)
	}()
	var said []string
	waitFor := func(what string) {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			select {
			case line, ok := <-lines:
				if !ok && what == "listening on" {
					cmd.Wait()
					// Not permitted to capture (not root, no
					// CAP_NET_RAW), or no such device.
					tcpdumpMissing(t, fmt.Sprintf("tcpdump %s could not capture: %s", strings.Join(args, " "), strings.Join(said, "\n")))
				}
				if !ok {
					t.Fatalf("tcpdump %s ended before it said %q: %s", strings.Join(args, " "), what, strings.Join(said, "\n"))
				}
				said = append(said, line)
				if strings.Contains(line, what) {
					return
				}
			case <-timeout:
				cmd.Process.Kill()
				t.Fatalf("tcpdump %s did not say %q in 30s: %s", strings.Join(args, " "), what, strings.Join(said, "\n"))
			}
		}
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	waitFor("listening on")
	return func() {
		stopped = true
		require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
		waitFor("packets captured")
		for range lines {
		}
		require.NoError(t, cmd.Wait())
	}
}

// freePort is a port on 127.0.0.1 that nothing binds now, for a filter
// that must name it before the listener binds it.
func freePort(t *testing.T, scheme string) int {
	t.Helper()
	if scheme == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
