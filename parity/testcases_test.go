//go:build parity

package parity

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/telegraf/config"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
)

// carriedFormats are the data formats fakegraf carries (setup.Formats).
var carriedFormats = []string{"influx", "influx_upstream", "json", "value", "wavefront"}

// sequenceStep is one element of a testcase's sequence.json, as
// plugins/inputs/socket_listener/socket_listener_test.go reads it.
type sequenceStep struct {
	Message string          `json:"message"`
	File    string          `json:"file"`
	Wait    config.Duration `json:"wait"`
}

var (
	dataFormatRE = regexp.MustCompile(`(?m)^\s*data_format\s*=\s*"([^"]*)"`)
	parserTypeRE = regexp.MustCompile(`(?m)^\s*influx_parser_type\s*=\s*"upstream"`)
	addressRE    = regexp.MustCompile(`(?m)^\s*service_address\s*=\s*"([a-z0-9]+)://`)
)

// TestTelegrafTestcases runs Telegraf's own socket_listener testcases
// against fakegraf: Telegraf's expected results, fakegraf's behaviour.
func TestTelegrafTestcases(t *testing.T) {
	root := filepath.Join(telegrafDir, "plugins", "inputs", "socket_listener")
	entries, err := os.ReadDir(filepath.Join(root, "testcases"))
	if err != nil {
		t.Fatalf("reading Telegraf's testcases: %v", err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		dir := filepath.Join(root, "testcases", e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			var reason string
			track(t, "Telegraf's testcases (fakegraf only)", &reason)
			conf, err := os.ReadFile(filepath.Join(dir, "telegraf.conf"))
			if err != nil {
				t.Fatal(err)
			}
			format := "influx"
			if m := dataFormatRE.FindSubmatch(conf); m != nil {
				format = string(m[1])
			}
			if format == "influx" && parserTypeRE.Match(conf) {
				format = "influx_upstream"
			}
			if !slices.Contains(carriedFormats, format) {
				reason = fmt.Sprintf("needs data_format %q, which fakegraf does not carry (it carries %s)", format, strings.Join(carriedFormats, ", "))
				t.Skip(reason)
			}
			t.Parallel()
			runTestcase(t, root, dir, conf)
		})
	}
	if n == 0 {
		t.Fatalf("no testcases under %s", filepath.Join(root, "testcases"))
	}
}

func runTestcase(t *testing.T, pluginDir, dir string, conf []byte) {
	slot(t)
	sequence := readSequence(t, dir)
	var expected []string
	if _, err := os.Stat(filepath.Join(dir, "expected.out")); err == nil {
		expected = readExpected(t, filepath.Join(dir, "expected.out"))
	}
	var expectedErrs []string
	if _, err := os.Stat(filepath.Join(dir, "expected.err")); err == nil {
		expectedErrs = readLines(t, filepath.Join(dir, "expected.err"))
		if len(expectedErrs) == 0 {
			t.Fatal("expected.err lists no error")
		}
	}
	m := addressRE.FindSubmatch(conf)
	if m == nil {
		t.Fatal("cannot read the service_address scheme of the testcase")
	}
	scheme := string(m[1])

	tmp := t.TempDir()
	confPath := filepath.Join(tmp, "telegraf.conf")
	// Telegraf's harness feeds an Accumulator, bypassing RunningInput: no host tag.
	writeFile(t, confPath, "[agent]\n  omit_hostname = true\n\n"+string(conf))
	out := filepath.Join(tmp, "fakegraf.out")
	// The plugin directory, as for `go test` there (relative option paths).
	fg := startProcess(t, "fakegraf", fakegrafBin, fakegrafArgs(confPath, out), pluginDir, fakegrafListening)
	fg.metrics = out
	targets := pickTargets(t, "fakegraf", fg.addresses(t, 1), []string{scheme})

	notes, err := play(targets, sequence)
	if err != nil {
		t.Fatalf("sending: %v", err)
	}
	settle(300*time.Millisecond, 500*time.Millisecond, fg)
	fg.stop(t)

	ms, err := readMetrics(out)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffLists(expected, canonAll(ms, false)); d != "" {
		t.Errorf("stored metrics differ from Telegraf's expected.out (time ignored; -expected +fakegraf):\n%s", d)
	}
	errs, bad := fakegrafErrors(fg.stdout.all())
	if len(bad) > 0 {
		t.Errorf("fakegraf wrote non-JSON lines with --output json:\n  %s", strings.Join(bad, "\n  "))
	}
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, fmt.Sprintf("[%s] %s", e.rule, e.msg))
	}
	if !containsAll(msgs, expectedErrs) {
		t.Errorf("errors differ from Telegraf's expected.err (%d substring(s), the exact count):\n  expected: %q\n  fakegraf: %q", len(expectedErrs), expectedErrs, msgs)
	}
	if t.Failed() && len(notes) > 0 {
		t.Logf("sender notes: %q", notes)
	}
}

// containsAll pairs every actual error with a distinct expected substring,
// all of them, the counts equal (as the testcase harness requires).
func containsAll(actual, expected []string) bool {
	if len(actual) != len(expected) {
		return false
	}
	used := make([]bool, len(actual))
	var try func(i int) bool
	try = func(i int) bool {
		if i == len(expected) {
			return true
		}
		for j, a := range actual {
			if !used[j] && strings.Contains(a, expected[i]) {
				used[j] = true
				if try(i + 1) {
					return true
				}
				used[j] = false
			}
		}
		return false
	}
	return try(0)
}

func readSequence(t *testing.T, dir string) []step {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "sequence.json"))
	if err != nil {
		t.Fatal(err)
	}
	var seq []sequenceStep
	if err := json.Unmarshal(data, &seq); err != nil {
		t.Fatalf("sequence.json: %v", err)
	}
	if len(seq) == 0 {
		t.Fatal("sequence.json is empty")
	}
	// The harness dials before the first step (createClient) and closes
	// after the last.
	steps := []step{{open: true}}
	for i, s := range seq {
		switch {
		case s.Wait > 0:
			steps = append(steps, pause(time.Duration(s.Wait)))
		case s.Message != "" && s.File != "":
			t.Fatalf("step %d: both message and file", i)
		case s.Message != "":
			steps = append(steps, send(s.Message))
		case s.File != "":
			b, err := os.ReadFile(filepath.Join(dir, s.File))
			if err != nil {
				t.Fatal(err)
			}
			steps = append(steps, sendBytes(b))
		default:
			t.Fatalf("step %d: nothing to send", i)
		}
	}
	return steps
}

// readExpected parses expected.out line by line as the testcase harness
// does (testutil.ParseMetricsFromFile) and renders it without time.
func readExpected(t *testing.T, path string) []string {
	t.Helper()
	p := &influx.Parser{}
	if err := p.Init(); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range readLines(t, path) {
		ms, err := p.Parse([]byte(line))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, m := range ms {
			out = append(out, canon(m, false))
		}
	}
	slices.Sort(out)
	return out
}

// readLines returns the non-empty lines not starting with #
// (testutil.ParseLinesFromFile).
func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}
