package main

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// sender is a tutorial-style Python sender that reads fakegraf run's
// environment and sends each argument as one datagram, or over one stream
// connection when FAKEGRAF_ADDR is tcp or unix.
const sender = `
import os, socket, sys
from urllib.parse import urlparse
u = urlparse(os.environ["FAKEGRAF_ADDR"])
if u.scheme.startswith("udp"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for m in sys.argv[1:]:
        s.sendto(m.encode().decode("unicode_escape").encode("latin-1"), (u.hostname, u.port))
elif u.scheme.startswith("unix"):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(u.path)
    for m in sys.argv[1:]:
        s.sendall(m.encode().decode("unicode_escape").encode("latin-1"))
else:
    s = socket.create_connection((u.hostname, u.port))
    for m in sys.argv[1:]:
        s.sendall(m.encode().decode("unicode_escape").encode("latin-1"))
s.close()
`

func python(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	require.NoError(t, err, "python3 is on CI machines")
	return py
}

type result struct {
	code           int
	stdout, stderr string
}

func fakegraf(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return result{exitCode(err), stdout.String(), stderr.String()}
}

func TestRunTutorialSenders(t *testing.T) {
	py := python(t)
	examples, err := filepath.Abs("../../examples/tutorial")
	require.NoError(t, err)
	sock := filepath.Join(t.TempDir(), "telegraf.sock")
	tests := []struct {
		name    string
		args    []string
		example string
		want    []string // substrings of the report
	}{
		{
			name:    "example 1 JSON over UDP",
			args:    []string{"udp://127.0.0.1:0", "--data-format", "json", "--json-name-key", "metric_name"},
			example: "1",
			want:    []string{"good_metric_name                     3 metric(s)", "no findings"},
		},
		{
			name:    "example 2 JSON lines over a unix socket",
			args:    []string{"unix://" + sock, "--data-format", "json", "--name-override", "good_metric_name", "--tag-keys", "format"},
			example: "2",
			want:    []string{"good_metric_name,format=json,host=", "no findings"},
		},
		{
			name:    "example 3 Wavefront over TCP",
			args:    []string{"tcp://127.0.0.1:0", "--data-format", "wavefront"},
			example: "3",
			want:    []string{"prefix_metric_name.value1,format=wavefront,host=", "no findings"},
		},
		{
			name:    "example 4 influx over UDP",
			args:    []string{"udp://127.0.0.1:0", "--data-format", "influx"},
			example: "4",
			want:    []string{"good_metric_name,format=influxline,host=", "no findings"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"run"}, tt.args...)
			args = append(args, "--color", "never", "--", py, filepath.Join(examples, "stats.py"), tt.example, "--count", "3", "--interval", "0.05")
			r := fakegraf(t, args...)
			require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			for _, w := range tt.want {
				require.Contains(t, r.stdout, w)
			}
		})
	}
}

func TestRunFailsWhenTheSenderFailsOrSendsNothing(t *testing.T) {
	py := python(t)
	r := fakegraf(t, "run", "udp://127.0.0.1:0", "--", py, "-c", "import sys; sys.exit(3)")
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stdout, "FAIL sender")
	require.Contains(t, r.stdout, "exited with exit status 3")
	require.Contains(t, r.stdout, "sent nothing to any listener")

	r = fakegraf(t, "run", "udp://127.0.0.1:0", "--", "/nonexistent/sender")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "cannot run /nonexistent/sender")

	r = fakegraf(t, "run", "udp://127.0.0.1:0")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "no command to run: put it after --")
}

func TestRunEnvironment(t *testing.T) {
	py := python(t)
	sock := filepath.Join(t.TempDir(), "t.sock")
	script := `import os; print(" ".join(os.environ[k] for k in ["FAKEGRAF_ADDR","FAKEGRAF_ADDR_2","FAKEGRAF_ADDR_UNIX","FAKEGRAF_SOCKET","FAKEGRAF_HOST"]))`
	r := fakegraf(t, "run", "udp://127.0.0.1:0", "unix://"+sock, "--fail-on", "never", "--", py, "-c", script)
	require.Equal(t, 1, r.code, "the sender sent nothing")
	fields := strings.Fields(strings.Split(r.stderr, "\n")[2])
	require.Len(t, fields, 5, r.stderr)
	require.Regexp(t, `^udp://127\.0\.0\.1:\d+$`, fields[0])
	require.Equal(t, []string{"unix://" + sock, "unix://" + sock, sock, "127.0.0.1"}, fields[1:])
}

func TestGoldenFiles(t *testing.T) {
	py := python(t)
	golden := filepath.Join(t.TempDir(), "client.golden")
	send := []string{"--", py, "-c", sender, `cpu,host=a,dc=eu usage=1.5 1700000000000000000\n`, `mem used=3i\n`}
	// Fixed timestamps keep the golden file stable; they are years old, so
	// timestamp-skew is off.
	base := []string{"run", "udp://127.0.0.1:0", "--data-format", "influx", "-q", "--golden", golden, "--disable", "timestamp-skew"}

	r := fakegraf(t, append(append(base, "--update"), send...)...)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	content, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Contains(t, string(content), "\n# metrics\ncpu,dc=eu usage=1.5 1700000000000000000\nmem used=3i\n", "sorted, host tag left out, no arrival timestamp")

	r = fakegraf(t, append(base, send...)...)
	require.Equal(t, 0, r.code, "the same bytes match:\n%s", r.stdout)

	changed := []string{"--", py, "-c", sender, `cpu,host=a,dc=eu usage=1.25 1700000000000000000\n`, `mem used=3i\n`}
	r = fakegraf(t, append(base, changed...)...)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stdout, "FAIL golden "+golden)
	require.Contains(t, r.stdout, "\n-cpu,dc=eu usage=1.5 1700000000000000000\n+cpu,dc=eu usage=1.25 1700000000000000000\n")

	r = fakegraf(t, append(append(base, "--float-tolerance", "0.5"), changed...)...)
	require.Equal(t, 0, r.code, "within tolerance:\n%s", r.stdout)

	r = fakegraf(t, append([]string{"run", "udp://127.0.0.1:0", "--golden", filepath.Join(t.TempDir(), "missing.golden")}, send...)...)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stdout, "run once with --update to create it")
}

// Every golden failure the CLI prints names --update, the switch its reader
// has, and never fakegraftest's FAKEGRAF_UPDATE=1.
func TestGoldenMessagesNameUpdate(t *testing.T) {
	before := writeFile(t, "before.lp", "cpu usage=1.5\nmem used=3i\n")
	after := writeFile(t, "after.lp", "cpu usage=1.25\nmem used=3i\n")
	golden := filepath.Join(t.TempDir(), "client.golden")
	r := fakegraf(t, "check", "--data-format", "influx", "--golden", golden, "--update", before)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)

	tests := []struct {
		name, golden, want string
	}{
		{"missing file", filepath.Join(t.TempDir(), "missing.golden"), "run once with --update to create it"},
		{"difference", golden, "rerun with --update to accept it"},
	}
	for _, tt := range tests {
		for _, output := range []string{"text", "json", "github", "junit"} {
			t.Run(tt.name+"/"+output, func(t *testing.T) {
				r := fakegraf(t, "check", "--data-format", "influx", "--output", output, "--golden", tt.golden, after)
				require.Equal(t, 1, r.code, r.stdout+r.stderr)
				out := r.stdout + r.stderr
				if !strings.Contains(out, tt.want) || strings.Contains(out, "FAKEGRAF_UPDATE") {
					t.Errorf("the report should say %q and not name FAKEGRAF_UPDATE:\n%s", tt.want, out)
				}
			})
		}
	}
}

func TestExpectations(t *testing.T) {
	py := python(t)
	expect := writeFile(t, "client.expect", `
# the tutorial's Example 4 metric, with its timestamp near now
at-least 1 good_metric_name,format=influxline value1=10 value2:float time:recent
never socket_listener
`)
	r := fakegraf(t, "run", "udp://127.0.0.1:0", "--data-format", "influx", "-q", "--expect", expect,
		"--", py, "-c", sender, `good_metric_name,format=influxline value1=10,value2=5\n`)
	require.Equal(t, 0, r.code, r.stdout)

	r = fakegraf(t, "run", "udp://127.0.0.1:0", "--data-format", "influx", "-q", "--expect", expect, "--fail-on", "never",
		"--", py, "-c", sender, `good_metric_name,format=influxline value1=10,value2=5i 1700000000000\n`)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stdout, "FAIL expect "+expect+":3")
	require.Contains(t, r.stdout, "nearest metric received: good_metric_name,format=influxline,host=")
	require.Contains(t, r.stdout, "field value2: want type float, got int (5)")
	require.Contains(t, r.stdout, "time: want within a day of now, got 1970-01-01T00:28:20Z")
}

func TestCIReports(t *testing.T) {
	py := python(t)
	send := []string{"--", py, "-c", sender, `ok v=1\n`, `wild boyz\n`}
	t.Run("junit", func(t *testing.T) {
		r := fakegraf(t, append([]string{"run", "tcp://127.0.0.1:0", "--data-format", "influx", "--output", "junit"}, send...)...)
		require.Equal(t, 1, r.code)
		var doc struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Suites   []struct {
				Name  string `xml:"name,attr"`
				Cases []struct {
					Name     string `xml:"name,attr"`
					Failures []struct {
						Type    string `xml:"type,attr"`
						Message string `xml:"message,attr"`
					} `xml:"failure"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		require.NoError(t, xml.Unmarshal([]byte(r.stdout), &doc), r.stdout)
		require.Equal(t, 1, doc.Failures)
		require.Len(t, doc.Suites, 1)
		var failed []string
		for _, c := range doc.Suites[0].Cases {
			for _, f := range c.Failures {
				failed = append(failed, c.Name+": "+f.Type+": "+f.Message)
			}
		}
		require.Len(t, failed, 1, r.stdout)
		require.Regexp(t, `^conn 1 from 127\.0\.0\.1:\d+: parse-error: error\[parse-error\] metric parse error: expected field at 1:10: "wild boyz"$`, failed[0])
	})
	t.Run("github", func(t *testing.T) {
		r := fakegraf(t, append([]string{"run", "tcp://127.0.0.1:0", "--data-format", "influx", "--output", "github"}, send...)...)
		require.Equal(t, 1, r.code)
		require.Regexp(t, `(?m)^::error title=fakegraf parse-error::tcp://127.0.0.1:\d+ record #2 from 127.0.0.1:\d+: metric parse error: expected field at 1:10: "wild boyz"%0Afix: `, r.stdout)
	})
	t.Run("json ends with the summary", func(t *testing.T) {
		r := fakegraf(t, append([]string{"run", "tcp://127.0.0.1:0", "--data-format", "influx", "--output", "json"}, send...)...)
		require.Equal(t, 1, r.code)
		evs := events(t, []byte(r.stdout))
		require.Equal(t, "summary", evs[len(evs)-1]["event"])
		findings := ofKind(evs, "finding")
		require.Len(t, findings, 1)
		require.Equal(t, "parse-error", findings[0]["rule"])
		require.Equal(t, "error", findings[0]["severity"])
	})
}

// TestPythonCIExample runs the one-line CI check that examples/python-ci
// documents, exactly as written there.
func TestPythonCIExample(t *testing.T) {
	py := python(t)
	dir, err := filepath.Abs("../../examples/python-ci")
	require.NoError(t, err)
	cmd := exec.Command(binary, "run", "--config", "telegraf.conf", "--expect", "sender.expect", "--golden", "sender.golden", "--", py, "sender.py")
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.Equal(t, 0, exitCode(cmd.Run()), "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	require.Contains(t, stdout.String(), "3 metric(s), no findings")
}

// TestRunTutorialBrokenVariants runs the tutorial's senders with its known
// mistakes against the tutorial's own configs (which bind :8094 on every
// interface), and checks each is flagged with the right rule.
func TestRunTutorialBrokenVariants(t *testing.T) {
	py := python(t)
	examples, err := filepath.Abs("../../examples/tutorial")
	require.NoError(t, err)
	tests := []struct {
		example, config string
		want            []string
	}{
		{"1", "telegraf-1-stats-simple-datagram-json.conf", []string{`"rule":"forbidden-char"`}},
		{"2", "telegraf-2-stats-json.conf", []string{`"rule":"missing-newline","severity":"error"`, `"rule":"missing-newline","severity":"warning"`, `"rule":"parse-error"`}},
		{"3", "telegraf-3-stats-wavefront.conf", []string{`"rule":"wavefront-missing-source"`}},
		{"4", "telegraf-4-stats-influx-line.conf", []string{`"rule":"timestamp-unit"`, `"rule":"forbidden-char"`}},
	}
	for _, tt := range tests {
		t.Run("example "+tt.example, func(t *testing.T) {
			r := fakegraf(t, "run", "--config", filepath.Join(examples, tt.config), "--output", "json", "-q",
				"--", py, filepath.Join(examples, "stats.py"), tt.example, "--broken", "--count", "2", "--interval", "0.05")
			require.Equal(t, 1, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			for _, w := range tt.want {
				require.Contains(t, r.stdout, w)
			}
			require.NotContains(t, r.stdout, `"event":"failure"`, "the sender ran and sent")
		})
	}
}

// TestSecondSignalExitsAtOnce: the first SIGINT starts a graceful stop,
// which here waits for a sender that ignores SIGTERM; the second ends
// fakegraf at once.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	py := python(t)
	p := start(t, 1, "run", "udp://127.0.0.1:0", "--", py, "-c",
		"import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('ready', flush=True)\ntime.sleep(30)")
	require.Eventually(t, func() bool { return strings.Contains(p.Stderr(), "ready") }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGINT))
	// Two signals sent back to back can merge into one in the kernel (a
	// pending signal is not queued twice); a person's second Ctrl-C comes
	// later. fakegraf waits up to 2 s for the sender, so 300 ms is inside
	// the graceful stop.
	time.Sleep(300 * time.Millisecond)
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGINT))
	require.Equal(t, 2, p.wait())
	require.Contains(t, p.Stderr(), "fakegraf: second signal, exiting without the summary")
	require.NotContains(t, p.stdout.String(), "summary")
}
