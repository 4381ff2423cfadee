package report

import "fmt"

// Results of a check of the whole run.
const (
	Pass    = "pass"
	Fail    = "fail"
	Updated = "updated" // a golden file rewritten with --update
)

// CheckResult is the outcome of one check of the whole run, passed or not:
// a golden file, an expectation, the sender. The summary lists every one,
// so that a passing run says what it checked.
type CheckResult struct {
	Check   string `json:"check"`   // golden, expect, sender
	Name    string `json:"name"`    // the file, file:line, or the command
	Result  string `json:"result"`  // pass, fail or updated
	Message string `json:"message"` // one line: what was found
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"` // in File, when the check has one
	// Detail says more about a failure (the -want +got diff, the nearest
	// metric); the failure event carries it, the summary does not.
	Detail string `json:"-"`
}

// Failed reports whether the check failed.
func (c CheckResult) Failed() bool { return c.Result == Fail }

// Failure is the failure event of a failed check.
func (c CheckResult) Failure() Failure {
	return Failure{Check: c.Check, Name: c.Name, Message: c.Message, Detail: c.Detail, File: c.File, Line: c.Line}
}

// FailedCheck is the check result of a failure.
func FailedCheck(f Failure) CheckResult {
	return CheckResult{Check: f.Check, Name: f.Name, Result: Fail, Message: f.Message, Detail: f.Detail, File: f.File, Line: f.Line}
}

// checkCounts is "3 passed", "1 failed, 2 passed" or "1 updated".
func checkCounts(checks []CheckResult) string {
	n := map[string]int{}
	for _, c := range checks {
		n[c.Result]++
	}
	out := ""
	for _, r := range []string{Fail, Pass, Updated} {
		if n[r] == 0 {
			continue
		}
		if out != "" {
			out += ", "
		}
		out += fmt.Sprintf("%d %s", n[r], map[string]string{Fail: "failed", Pass: "passed", Updated: "updated"}[r])
	}
	return out
}
