package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The CLI tests run the real binary end to end.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fakegraf-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "fakegraf")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer is a bytes.Buffer that the test may read while the process
// writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Bytes() []byte { return []byte(s.String()) }

// proc is a running fakegraf.
type proc struct {
	t         *testing.T
	cmd       *exec.Cmd
	stdout    *syncBuffer
	mu        sync.Mutex
	stderr    bytes.Buffer
	listening []string
	done      chan struct{}
	code      int
}

func (p *proc) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// start runs fakegraf and waits for its `listening on` lines.
func start(t *testing.T, sockets int, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, cmd: exec.Command(binary, args...), stdout: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout = p.stdout
	errPipe, err := p.cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start())
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.stderr.WriteString(line + "\n")
			if url, ok := strings.CutPrefix(line, "listening on "); ok {
				p.listening = append(p.listening, url)
				if len(p.listening) == sockets {
					close(ready)
				}
			}
			p.mu.Unlock()
		}
	}()
	go func() {
		err := p.cmd.Wait()
		p.code = exitCode(err)
		close(p.done)
	}()
	t.Cleanup(func() { _ = p.cmd.Process.Kill() })
	select {
	case <-ready:
	case <-p.done:
		t.Fatalf("fakegraf exited %d before listening:\n%s", p.code, p.Stderr())
	case <-time.After(10 * time.Second):
		t.Fatalf("fakegraf did not listen:\n%s", p.Stderr())
	}
	return p
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// stop sends SIGINT and waits for the exit code.
func (p *proc) stop() int {
	p.t.Helper()
	require.NoError(p.t, p.cmd.Process.Signal(syscall.SIGINT))
	return p.wait()
}

func (p *proc) wait() int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Fatalf("fakegraf did not exit:\n%s", p.Stderr())
	}
	return p.code
}

func send(t *testing.T, url string, payloads ...string) {
	t.Helper()
	network, addr, _ := strings.Cut(url, "://")
	c, err := net.Dial(network, addr)
	require.NoError(t, err)
	defer c.Close()
	for _, pl := range payloads {
		_, err := c.Write([]byte(pl))
		require.NoError(t, err)
	}
}

// events decodes --output json.
func events(t *testing.T, out []byte) []map[string]interface{} {
	t.Helper()
	var evs []map[string]interface{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var ev map[string]interface{}
		require.NoError(t, dec.Decode(&ev), "stdout is not NDJSON:\n%s", out)
		evs = append(evs, ev)
	}
	return evs
}

func ofKind(evs []map[string]interface{}, kind string) []map[string]interface{} {
	var out []map[string]interface{}
	for _, ev := range evs {
		if ev["event"] == kind {
			out = append(out, ev)
		}
	}
	return out
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestListenFlagModeJSONOverUDP(t *testing.T) {
	out := filepath.Join(t.TempDir(), "metrics.lp")
	p := start(t, 1, "listen", "udp://127.0.0.1:0", "--data-format", "json", "--json-name-key", "metric_name",
		"--omit-hostname", "--output", "json", "--metrics-out", out)
	url := p.listening[0]
	require.Regexp(t, `^udp://127\.0\.0\.1:\d+$`, url)
	require.NotEqual(t, "udp://127.0.0.1:0", url, "the real port")
	send(t, url, `{"metric_name": "good_metric_name", "value1": 10, "value2": 7}`)
	require.Eventually(t, func() bool { b, _ := os.ReadFile(out); return len(b) > 0 }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, 0, p.stop())

	lp, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Regexp(t, `^good_metric_name value(1=10,value2=7|2=7,value1=10) \d{19}\n$`, string(lp))

	evs := events(t, p.stdout.Bytes())
	require.Len(t, ofKind(evs, "listening"), 1)
	recs := ofKind(evs, "record")
	require.Len(t, recs, 1)
	require.Equal(t, `{"metric_name": "good_metric_name", "value1": 10, "value2": 7}`, recs[0]["data"])
	metrics := ofKind(evs, "metric")
	require.Len(t, metrics, 1)
	require.Equal(t, "good_metric_name", metrics[0]["name"])
	require.Equal(t, map[string]interface{}{"value1": 10.0, "value2": 7.0}, metrics[0]["fields"])
	sum := ofKind(evs, "summary")
	require.Len(t, sum, 1)
	require.Equal(t, 1.0, sum[0]["metrics"])
}

func TestListenConfigModeAppliesTelegrafsConfig(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "t.sock")
	conf := writeFile(t, "telegraf.conf", fmt.Sprintf(`
[global_tags]
  dc = "eu-1"
[agent]
  hostname = "testhost"
[[outputs.influxdb]]
  urls = ["http://127.0.0.1:8086"]
[[processors.rename]]
[[inputs.socket_listener]]
  service_address = "unix://%s"
  data_format = "json"
  name_override = "good_metric_name"
  tag_keys = ["format"]
`, sock))
	out := filepath.Join(t.TempDir(), "metrics.lp")
	p := start(t, 1, "listen", "--config", conf, "--metrics-out", out)
	require.Equal(t, "unix://"+sock, p.listening[0])
	require.Contains(t, p.Stderr(), "fakegraf: ignoring outputs.influxdb, processors.rename")
	send(t, p.listening[0], `{"value1": 10, "value2": 3, "format": "json"}`+"\n")
	require.Eventually(t, func() bool { b, _ := os.ReadFile(out); return len(b) > 0 }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, 0, p.stop())
	lp, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Regexp(t, `^good_metric_name,dc=eu-1,format=json,host=testhost value(1=10,value2=3|2=3,value1=10) \d{19}\n$`, string(lp))
	text := p.stdout.String()
	require.Contains(t, text, `< "{\"value1\": 10, \"value2\": 3, \"format\": \"json\"}"`)
	require.Contains(t, text, "no findings")
}

func TestExitCodes(t *testing.T) {
	t.Run("findings at or above --fail-on give 1", func(t *testing.T) {
		p := start(t, 1, "listen", "udp://127.0.0.1:0", "--data-format", "influx", "-q", "--until", "idle=300ms")
		send(t, p.listening[0], "wild boyz\n")
		require.Equal(t, 1, p.wait())
		require.Contains(t, p.stdout.String(), "error[parse-error] metric parse error: expected field at 1:10")
	})
	t.Run("--fail-on never gives 0", func(t *testing.T) {
		p := start(t, 1, "listen", "udp://127.0.0.1:0", "--data-format", "influx", "--fail-on", "never", "--until", "idle=300ms")
		send(t, p.listening[0], "wild boyz\n")
		require.Equal(t, 0, p.wait())
		require.Contains(t, p.stdout.String(), "1 error(s)")
	})
	cannot := []struct {
		name string
		args []string
		want string
	}{
		{"bad flag", []string{"listen", "--no-such-flag"}, "flag provided but not defined: -no-such-flag"},
		{"bad output", []string{"listen", "--output", "xml"}, `--output "xml": use text, json, github or junit`},
		{"missing config", []string{"listen", "--config", "/nonexistent.conf"}, "loading /nonexistent.conf: open /nonexistent.conf: no such file or directory"},
		{"unknown data format", []string{"listen", "udp://127.0.0.1:0", "--data-format", "graphite"}, `fakegraf does not support data_format "graphite"`},
		{"bad scheme", []string{"listen", "http://127.0.0.1:0"}, `unknown protocol "http" in "http://127.0.0.1:0"`},
		{"unknown rule", []string{"listen", "--disable", "no-such-rule"}, `unknown rule "no-such-rule"`},
		{"unknown command", []string{"lisen"}, `unknown command "lisen"`},
	}
	for _, tt := range cannot {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(binary, tt.args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			require.Equal(t, 2, exitCode(err), stderr.String())
			require.Contains(t, stderr.String(), tt.want)
		})
	}
	t.Run("port in use gives 2 and says what to do", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer l.Close()
		cmd := exec.Command(binary, "listen", "tcp://"+l.Addr().String())
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		require.Equal(t, 2, exitCode(cmd.Run()))
		require.Contains(t, stderr.String(), "address already in use (another program, perhaps a real Telegraf, has it")
	})
	t.Run("typo in the config gives Telegraf's message", func(t *testing.T) {
		conf := writeFile(t, "telegraf.conf", "[[inputs.socket_listener]]\n  service_address = \"udp://127.0.0.1:0\"\n  data_format = \"json\"\n  json_name_kye = \"metric_name\"\n")
		cmd := exec.Command(binary, "listen", "--config", conf)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		require.Equal(t, 2, exitCode(cmd.Run()))
		require.Contains(t, stderr.String(), `configuration specified the fields ["json_name_kye"], but they were not used`)
	})
}

func TestStopConditions(t *testing.T) {
	t.Run("count", func(t *testing.T) {
		p := start(t, 1, "listen", "tcp://127.0.0.1:0", "--data-format", "influx", "--count", "2", "-q")
		send(t, p.listening[0], "a v=1\nb v=2\nc v=3\n")
		require.Equal(t, 0, p.wait())
		require.Contains(t, p.stdout.String(), "summary")
	})
	t.Run("duration", func(t *testing.T) {
		p := start(t, 1, "listen", "udp://127.0.0.1:0", "--duration", "200ms", "-q")
		require.Equal(t, 0, p.wait())
		require.Contains(t, p.stdout.String(), "0 metric(s), no findings")
	})
}

func TestDefaultListensWhereTheTutorialSends(t *testing.T) {
	if _, err := net.Dial("tcp", "127.0.0.1:8094"); err == nil {
		t.Skip("something already listens on 127.0.0.1:8094")
	}
	p := start(t, 3, "listen", "--output", "json", "-q")
	require.Equal(t, []string{"udp://127.0.0.1:8094", "tcp://127.0.0.1:8094", "unix:///tmp/telegraf.sock"}, p.listening)
	send(t, "udp://127.0.0.1:8094", `{"metric_name": "good_metric_name", "value1": 10}`)
	send(t, "unix:///tmp/telegraf.sock", "good_metric_name,format=influxline value1=10\n")
	send(t, "tcp://127.0.0.1:8094", fmt.Sprintf("prefix_metric_name.value1 10 %d source=localhost\n", time.Now().Unix()))
	require.Eventually(t, func() bool {
		return strings.Count(p.stdout.String(), `"rule":"data-format-detected"`) == 3
	}, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, 0, p.stop())
	out := p.stdout.String()
	require.Contains(t, out, `data_format = \"json\"\n  json_name_key = \"metric_name\"`)
	require.Contains(t, out, `a real Telegraf needs data_format = \"wavefront\"`)
	require.Contains(t, out, `a real Telegraf needs data_format = \"influx\"`)
}

func TestSummaryAccountsForEveryByte(t *testing.T) {
	p := start(t, 1, "listen", "tcp://127.0.0.1:0", "--data-format", "influx", "--output", "json", "-q", "--fail-on", "never", "--until", "idle=300ms")
	send(t, p.listening[0], "good v=1\n", "bad line\n", "unterminated v=2")
	require.Equal(t, 0, p.wait())
	sum := ofKind(events(t, p.stdout.Bytes()), "summary")[0]
	ls := sum["listeners"].([]interface{})[0].(map[string]interface{})
	require.Equal(t, 34.0, ls["bytes"])
	require.Equal(t, ls["bytes"], ls["accepted_bytes"].(float64)+ls["rejected_bytes"].(float64)+ls["pending_bytes"].(float64))
	require.Equal(t, 9.0, ls["rejected_bytes"])
	require.Equal(t, 2.0, ls["metrics"])
}
