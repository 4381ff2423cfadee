package action

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// actionFile is the part of action.yml's schema that fakegraf's action uses.
type actionFile struct {
	Inputs map[string]struct {
		Required bool   `yaml:"required"`
		Default  string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Value string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []step `yaml:"steps"`
	} `yaml:"runs"`
}

type step struct {
	ID               string            `yaml:"id"`
	Name             string            `yaml:"name"`
	If               string            `yaml:"if"`
	Shell            string            `yaml:"shell"`
	Run              string            `yaml:"run"`
	Uses             string            `yaml:"uses"`
	With             map[string]string `yaml:"with"`
	Env              map[string]string `yaml:"env"`
	WorkingDirectory string            `yaml:"working-directory"`
}

// usesSteps are the only `uses:` steps action.yml may have, each with the
// condition under which it runs: setup-go only where there is no Go.
var usesSteps = map[string]string{
	"actions/setup-go@v5": "steps.go.outputs.missing == 'true'",
}

// result is what a run of the action left behind.
type result struct {
	code    int               // the exit code of the step that failed, or 0
	stdout  string            // every step's stdout, as the job log has it
	stderr  string            // every step's stderr
	outputs map[string]string // the action's outputs
	summary string            // GITHUB_STEP_SUMMARY
	path    []string          // what the steps added to PATH
}

var expression = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// runAction runs action.yml's steps with inputs in workspace, as a runner
// would, and returns what they left. The test fails on anything in
// action.yml the harness does not know.
func runAction(t *testing.T, workspace string, inputs map[string]string) result {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(root, "action.yml"))
	require.NoError(t, err)
	var a actionFile
	require.NoError(t, yaml.Unmarshal(b, &a), "action.yml")
	require.Equal(t, "composite", a.Runs.Using, "action.yml: runs.using")

	for name := range inputs {
		if _, ok := a.Inputs[name]; !ok {
			t.Fatalf("the test gives input %q, which action.yml does not declare", name)
		}
	}
	input := func(name string) (string, error) {
		in, ok := a.Inputs[name]
		if !ok {
			return "", fmt.Errorf("inputs.%s is not declared in action.yml's inputs", name)
		}
		if v, ok := inputs[name]; ok {
			return v, nil
		}
		if in.Required {
			return "", fmt.Errorf("the test does not give required input %q", name)
		}
		return in.Default, nil
	}

	temp := t.TempDir()
	files := map[string]string{}
	for _, name := range []string{"GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY"} {
		files[name] = filepath.Join(temp, strings.ToLower(name))
	}
	runnerTemp := filepath.Join(temp, "runner-temp")
	require.NoError(t, os.Mkdir(runnerTemp, 0o755))
	base := baseEnv(t)
	jobEnv := map[string]string{} // what GITHUB_ENV has set
	var pathAdded []string        // what GITHUB_PATH has added, newest first
	stepOutputs := map[string]map[string]string{}

	subst := func(s string) (string, error) {
		var firstErr error
		out := expression.ReplaceAllStringFunc(s, func(m string) string {
			e := expression.FindStringSubmatch(m)[1]
			v, err := evaluate(e, input, root, runnerTemp, stepOutputs, jobEnv)
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("%s: %w", m, err)
			}
			return v
		})
		return out, firstErr
	}

	var res result
	var stdout, stderr bytes.Buffer
	for i, st := range a.Runs.Steps {
		label := fmt.Sprintf("step %d (id %q)", i+1, st.ID)
		if st.Uses != "" {
			cond, ok := usesSteps[st.Uses]
			if !ok {
				t.Fatalf("action.yml: %s uses %s, which this test does not expect: add it to usesSteps if it is meant", label, st.Uses)
			}
			require.Equal(t, cond, st.If, "action.yml: the condition of %s (%s)", label, st.Uses)
			for k, v := range st.With {
				_, err := subst(v)
				require.NoError(t, err, "action.yml: %s with.%s", label, k)
			}
			t.Logf("%s: skipped: uses %s if %s", label, st.Uses, st.If)
			continue
		}
		require.Empty(t, st.If, "action.yml: %s has an if:, which this test does not evaluate", label)
		require.Equal(t, "bash", st.Shell, "action.yml: %s: shell", label)
		script, err := subst(st.Run)
		require.NoError(t, err, "action.yml: %s: run", label)
		dir := workspace
		if st.WorkingDirectory != "" {
			wd, err := subst(st.WorkingDirectory)
			require.NoError(t, err, "action.yml: %s: working-directory", label)
			if !filepath.IsAbs(wd) {
				wd = filepath.Join(workspace, wd)
			}
			dir = wd
		}
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for k, v := range jobEnv {
			env[k] = v
		}
		for k, v := range st.Env {
			ev, err := subst(v)
			require.NoError(t, err, "action.yml: %s: env.%s", label, k)
			env[k] = ev
		}
		for name, f := range files {
			env[name] = f
			if name != "GITHUB_STEP_SUMMARY" && name != "GITHUB_PATH" {
				// The runner gives each step fresh output and env files;
				// the summary and PATH files are read after each step.
				require.NoError(t, os.WriteFile(f, nil, 0o644))
			}
		}
		env["GITHUB_WORKSPACE"] = workspace
		env["GITHUB_ACTION_PATH"] = root
		env["RUNNER_TEMP"] = runnerTemp
		env["GITHUB_ACTIONS"] = "true"
		env["PATH"] = strings.Join(append(append([]string(nil), pathAdded...), base["PATH"]), string(os.PathListSeparator))

		scriptFile := filepath.Join(temp, fmt.Sprintf("step%d.sh", i+1))
		require.NoError(t, os.WriteFile(scriptFile, []byte(script), 0o644))
		// What a runner runs for shell: bash.
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", scriptFile)
		cmd.Dir = dir
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err = cmd.Run()
		stdout.Write(out.Bytes())
		stderr.Write(errOut.Bytes())
		t.Logf("%s in %s:\n--- stdout\n%s--- stderr\n%s", label, dir, out.String(), errOut.String())

		outs := readKeyValues(t, files["GITHUB_OUTPUT"])
		if st.ID != "" {
			stepOutputs[st.ID] = outs
		}
		for k, v := range readKeyValues(t, files["GITHUB_ENV"]) {
			jobEnv[k] = v
		}
		pathAdded = nonEmpty(readLines(t, files["GITHUB_PATH"]))
		for l, r := 0, len(pathAdded)-1; l < r; l, r = l+1, r-1 {
			pathAdded[l], pathAdded[r] = pathAdded[r], pathAdded[l]
		}
		if err != nil {
			ee, ok := err.(*exec.ExitError)
			require.True(t, ok, "%s: %v", label, err)
			res.code = ee.ExitCode()
			break // a failed step ends the action, as on a runner
		}
	}
	res.stdout, res.stderr = stdout.String(), stderr.String()
	res.outputs = map[string]string{}
	for name, o := range a.Outputs {
		v, err := subst(o.Value)
		require.NoError(t, err, "action.yml: outputs.%s", name)
		res.outputs[name] = v
	}
	s, err := os.ReadFile(files["GITHUB_STEP_SUMMARY"])
	if !os.IsNotExist(err) {
		require.NoError(t, err)
	}
	res.summary = string(s)
	res.path = nonEmpty(readLines(t, files["GITHUB_PATH"]))
	return res
}

// evaluate is the value of an expression action.yml uses, or an error for
// one this harness does not know.
func evaluate(e string, input func(string) (string, error), actionPath, runnerTemp string, steps map[string]map[string]string, env map[string]string) (string, error) {
	parts := strings.Split(e, ".")
	switch {
	case len(parts) == 2 && parts[0] == "inputs":
		return input(parts[1])
	case e == "github.action_path":
		return actionPath, nil
	case e == "runner.temp":
		return runnerTemp, nil
	case len(parts) == 4 && parts[0] == "steps" && parts[2] == "outputs":
		outs, ok := steps[parts[1]]
		if !ok {
			return "", fmt.Errorf("no step with id %q has run before", parts[1])
		}
		return outs[parts[3]], nil // a missing output is "", as on a runner
	case len(parts) == 2 && parts[0] == "env":
		return env[parts[1]], nil
	}
	return "", fmt.Errorf("the action test does not know this expression: teach internal/action/action_test.go's evaluate what a runner makes of it")
}

// baseEnv is this process's environment without what a runner sets per
// job, and without any fakegraf on PATH: the action must find the one it
// built through GITHUB_PATH.
func baseEnv(t *testing.T) map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GITHUB_") || strings.HasPrefix(k, "RUNNER_") || k == "GOBIN" {
			continue
		}
		env[k] = v
	}
	var keep []string
	for _, dir := range filepath.SplitList(env["PATH"]) {
		if _, err := os.Stat(filepath.Join(dir, "fakegraf")); err == nil {
			t.Logf("leaving %s out of PATH: it has a fakegraf", dir)
			continue
		}
		keep = append(keep, dir)
	}
	env["PATH"] = strings.Join(keep, string(os.PathListSeparator))
	return env
}

// readKeyValues reads a GITHUB_OUTPUT or GITHUB_ENV file: name=value lines
// and name<<DELIMITER blocks.
func readKeyValues(t *testing.T, file string) map[string]string {
	t.Helper()
	kv := map[string]string{}
	lines := readLines(t, file)
	for i := 0; i < len(lines); i++ {
		if name, delim, ok := strings.Cut(lines[i], "<<"); ok && !strings.Contains(name, "=") {
			var value []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				value = append(value, lines[i])
			}
			require.Less(t, i, len(lines), "%s: %s<<%s has no closing %s", file, name, delim, delim)
			kv[name] = strings.Join(value, "\n")
			continue
		}
		if lines[i] == "" {
			continue
		}
		name, value, ok := strings.Cut(lines[i], "=")
		require.True(t, ok, "%s: line %q is neither name=value nor name<<DELIMITER", file, lines[i])
		kv[name] = value
	}
	return kv
}

func readLines(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	require.NoError(t, sc.Err())
	return lines
}

func nonEmpty(lines []string) []string {
	var out []string
	for _, l := range lines {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}
