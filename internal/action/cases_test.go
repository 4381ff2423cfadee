package action

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// junitFile is what the checks below read of the JUnit file.
type junitFile struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
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

// failureTypes lists the type of every failure in the file.
func (j junitFile) failureTypes() map[string]int {
	n := map[string]int{}
	for _, s := range j.Suites {
		for _, c := range s.Cases {
			for _, f := range c.Failures {
				n[f.Type]++
			}
		}
	}
	return n
}

// workspace is a fresh checkout of what a user's repository would hold: the
// python-ci example in ci/ (its telegraf.conf on a free port, so that the
// test does not compete for 127.0.0.1:8094 with the CLI's tests) and the
// tutorial's senders in tutorial/.
func workspace(t *testing.T) string {
	t.Helper()
	ws := t.TempDir()
	examples := filepath.Join("..", "..", "examples")
	for _, c := range []struct{ from, to string }{{"python-ci", "ci"}, {"tutorial", "tutorial"}} {
		entries, err := os.ReadDir(filepath.Join(examples, c.from))
		require.NoError(t, err)
		require.NoError(t, os.Mkdir(filepath.Join(ws, c.to), 0o755))
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(examples, c.from, e.Name()))
			require.NoError(t, err)
			if e.Name() == "telegraf.conf" {
				require.Contains(t, string(b), "tcp://127.0.0.1:8094")
				b = []byte(strings.ReplaceAll(string(b), "tcp://127.0.0.1:8094", "tcp://127.0.0.1:0"))
			}
			require.NoError(t, os.WriteFile(filepath.Join(ws, c.to, e.Name()), b, 0o644))
		}
	}
	return ws
}

func readJUnit(t *testing.T, path string) junitFile {
	t.Helper()
	require.True(t, filepath.IsAbs(path), "the junit output %q is not an absolute path", path)
	b, err := os.ReadFile(path)
	require.NoError(t, err, "the junit output names a file that is not there")
	var j junitFile
	require.NoError(t, xml.Unmarshal(b, &j), "the junit file is not JUnit XML:\n%s", b)
	return j
}

// The action built fakegraf from this checkout into the runner's temporary
// folder and put it on PATH through GITHUB_PATH.
func requireInstalled(t *testing.T, r result) {
	t.Helper()
	require.Len(t, r.path, 1, "GITHUB_PATH")
	_, err := os.Stat(filepath.Join(r.path[0], "fakegraf"))
	require.NoError(t, err, "the folder the action put on PATH has no fakegraf")
}

func TestPassingSender(t *testing.T) {
	t.Parallel()
	ws := workspace(t)
	r := runAction(t, ws, map[string]string{
		"command":           "python3 sender.py",
		"working-directory": "ci",
		"config":            "telegraf.conf",
		"expect":            "sender.expect",
		"golden":            "sender.golden",
	})
	require.Equal(t, 0, r.code, "exit code; stderr:\n%s", r.stderr)
	requireInstalled(t, r)
	require.Equal(t, "0", r.outputs["exit-code"])
	require.NotContains(t, r.stdout, "::error")
	require.NotContains(t, r.stdout, "::warning")
	require.Regexp(t, `(?m)^fakegraf: 3 metric\(s\), no findings; checks: 3 passed$`, r.stdout)

	j := readJUnit(t, r.outputs["junit"])
	require.Equal(t, 0, j.Failures, "junit failures")
	var suites []string
	for _, s := range j.Suites {
		suites = append(suites, s.Name)
	}
	require.Contains(t, suites, "fakegraf.golden")
	require.Contains(t, suites, "fakegraf.expect")
	require.True(t, strings.HasPrefix(r.outputs["junit"], filepath.Join(filepath.Dir(r.path[0]))), "the junit file %s is not in the runner's temporary folder", r.outputs["junit"])

	require.Contains(t, r.summary, "### fakegraf: passed")
	require.Contains(t, r.summary, "`python3 sender.py` in `ci`")
	require.Regexp(t, `(?m)^  3 metric\(s\), no findings; checks: 3 passed$`, r.summary)
}

// A sender sending JSON to a socket configured for line protocol: every
// record is lost, the expectation and the golden file fail, and each
// annotation says what to do. The files of failed checks are annotated
// from the workspace, where GitHub looks for them.
func TestBrokenSender(t *testing.T) {
	t.Parallel()
	ws := workspace(t)
	r := runAction(t, ws, map[string]string{
		"command":           "python3 sender.py",
		"working-directory": "ci",
		"args":              "tcp://127.0.0.1:0",
		"data-format":       "influx",
		"expect":            "sender.expect",
		"golden":            "sender.golden",
		"junit":             "reports/fakegraf.xml",
	})
	require.Equal(t, 1, r.code, "exit code; stderr:\n%s", r.stderr)
	require.Equal(t, "1", r.outputs["exit-code"])
	require.Regexp(t, `(?m)^::error title=fakegraf wrong-format::tcp://127\.0\.0\.1:\d+ record #1 from 127\.0\.0\.1:\d+: the record is JSON, but this socket's data_format is "influx": Telegraf rejects it%0Afix: pass --data-format json --json-name-key metric_name`, r.stdout)
	require.Regexp(t, `(?m)^::error file=ci/sender\.expect,line=2,title=fakegraf expect sender\.expect%3A2::"exactly 3 order_price`, r.stdout)
	require.Regexp(t, `(?m)^::error file=ci/sender\.golden,line=\d+,title=fakegraf golden sender\.golden::what arrived differs from the golden file`, r.stdout)

	require.Equal(t, filepath.Join(ws, "ci", "reports", "fakegraf.xml"), r.outputs["junit"])
	j := readJUnit(t, r.outputs["junit"])
	types := j.failureTypes()
	require.Positive(t, types["wrong-format"], "wrong-format failures in %v", types)
	require.Equal(t, 1, types["expect"], "expect failures in %v", types)
	require.Equal(t, 1, types["golden"], "golden failures in %v", types)
	require.Positive(t, j.Failures, "junit failures")

	require.Contains(t, r.summary, "### fakegraf: failed")
	require.Contains(t, r.summary, "FAIL expect sender.expect:2")
	// The record's bytes are in the summary as text, not as markup.
	require.NotContains(t, r.summary, `<testsuites`)
}

// Warnings only: the default fail-on fails the step, fail-on error does
// not, and both annotate the warnings with their fixes.
func TestFailOn(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		failOn string
		code   int
	}{{"", 1}, {"error", 0}} {
		t.Run("fail-on="+c.failOn, func(t *testing.T) {
			t.Parallel()
			in := map[string]string{
				"command":           "python3 sender.py",
				"working-directory": "ci",
				"args":              "tcp://127.0.0.1:0",
				"data-format":       "json",
			}
			if c.failOn != "" {
				in["fail-on"] = c.failOn
			}
			r := runAction(t, workspace(t), in)
			require.Equal(t, c.code, r.code, "exit code; stderr:\n%s", r.stderr)
			require.Regexp(t, `(?m)^::warning title=fakegraf default-measurement-name::.*%0Afix: pass --json-name-key metric_name`, r.stdout)
			require.Regexp(t, `(?m)^::warning title=fakegraf json-string-dropped::.*%0Afix: keep it as a tag: pass --tag-keys shop`, r.stdout)
			j := readJUnit(t, r.outputs["junit"])
			if c.code == 0 {
				require.Equal(t, 0, j.Failures, "junit failures with fail-on error")
			} else {
				require.Positive(t, j.Failures, "junit failures with fail-on warning")
			}
		})
	}
}

// The tutorial's broken unix-socket sender (no newline after its JSON):
// errors and a warning, with the socket in the runner's temporary folder.
func TestTutorialBrokenSender(t *testing.T) {
	t.Parallel()
	ws := workspace(t)
	sock := filepath.Join(t.TempDir(), "telegraf.sock")
	r := runAction(t, ws, map[string]string{
		"command":     "python3 tutorial/stats.py 2 --broken --count 3",
		"args":        "unix://" + sock,
		"data-format": "json",
	})
	require.Equal(t, 1, r.code, "exit code; stderr:\n%s", r.stderr)
	require.Regexp(t, `(?m)^::error title=fakegraf missing-newline::unix://.* 3 JSON documents glued into one record with no newline between them: Telegraf rejects all of them%0Afix: append "\\n" after every JSON document`, r.stdout)
	require.Regexp(t, `(?m)^::warning title=fakegraf missing-newline::.*the last record on the connection had no terminator`, r.stdout)
	require.Positive(t, readJUnit(t, r.outputs["junit"]).failureTypes()["missing-newline"])
}

// What the user got wrong in the inputs stops the action with exit 2 and a
// message that says what to do.
func TestBadInputs(t *testing.T) {
	t.Parallel()
	t.Run("no command", func(t *testing.T) {
		t.Parallel()
		r := runAction(t, workspace(t), map[string]string{"command": ""})
		require.Equal(t, 2, r.code)
		require.Equal(t, "2", r.outputs["exit-code"])
		require.Regexp(t, `(?m)^::error title=fakegraf action::the command input is empty: give the sender to run, e\.g\. command: python3 sender\.py$`, r.stdout)
	})
	t.Run("misspelt flag", func(t *testing.T) {
		t.Parallel()
		r := runAction(t, workspace(t), map[string]string{
			"command": "python3 ci/sender.py",
			"args":    "tcp://127.0.0.1:0 --data-fromat json",
		})
		require.Equal(t, 2, r.code)
		require.Equal(t, "2", r.outputs["exit-code"])
		require.Regexp(t, regexp.MustCompile(`--data-format`), r.stderr, "the message names the flag meant")
		require.Contains(t, r.summary, "### fakegraf: could not run (exit 2)")
	})
}
