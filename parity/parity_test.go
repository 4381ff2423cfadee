//go:build parity

package parity

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// pcase is one differential case.
type pcase struct {
	name   string
	scheme string
	// second, when set, is the scheme of a second [[inputs.socket_listener]]
	// in conf, whose service_address is {{ADDR2}}; steps with to: 1 go there.
	second string
	// conf is everything after [agent] and [[outputs.file]]: optional
	// [global_tags] and one [[inputs.socket_listener]] whose
	// service_address is {{ADDR}}.
	conf string
	// agent holds extra [agent] lines (hostname = "...").
	agent        string
	omitHostname bool
	steps        []step
	time         timeMode
	// rejected marks a config Telegraf refuses to start with: fakegraf must
	// refuse it too (exit 2, never listening) and name Telegraf's reason.
	rejected bool
	// silent marks a case where Telegraf is expected to store nothing and
	// log nothing; any other case where Telegraf does neither fails as
	// vacuous, since it would prove nothing.
	silent bool
	// deliberate marks a difference the README lists under "Deliberate
	// differences": Telegraf starts and loses the data, fakegraf refuses the
	// config (exit 2) with a message containing this text. The case checks
	// exactly that, and the summary counts it apart.
	deliberate string
}

// config renders the complete telegraf.conf of one side.
func (c pcase) config(addr, addr2, out string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[agent]\n  flush_interval = \"100ms\"\n  omit_hostname = %t\n  debug = false\n", c.omitHostname)
	b.WriteString(c.agent)
	fmt.Fprintf(&b, "\n[[outputs.file]]\n  files = [%q]\n  data_format = \"influx\"\n\n", out)
	b.WriteString(strings.NewReplacer("{{ADDR}}", addr, "{{ADDR2}}", addr2).Replace(c.conf))
	return b.String()
}

// listener renders an [[inputs.socket_listener]] table.
func listener(format string, options ...string) string {
	var b strings.Builder
	b.WriteString("[[inputs.socket_listener]]\n  service_address = \"{{ADDR}}\"\n")
	if format != "" {
		fmt.Fprintf(&b, "  data_format = %q\n", format)
	}
	for _, o := range options {
		fmt.Fprintf(&b, "  %s\n", o)
	}
	return b.String()
}

func TestParity(t *testing.T) {
	for _, c := range allCases() {
		t.Run(c.name, func(t *testing.T) {
			var reason string
			track(t, "differential (Telegraf vs fakegraf)", &reason)
			if (c.scheme == "udp6" || c.scheme == "tcp6") && !haveIPv6 {
				reason = "this host cannot bind [::1]"
				t.Skip(reason)
			}
			t.Parallel()
			runCase(t, c)
		})
	}
}

func runCase(t *testing.T, c pcase) {
	slot(t)
	dir := shortDir(t)
	var tgSock, fgSock string
	if strings.HasPrefix(c.scheme, "unix") {
		tgSock, fgSock = filepath.Join(dir, "tg.sock"), filepath.Join(dir, "fg.sock")
	}
	schemes := []string{c.scheme}
	tgAddr2, fgAddr2 := "", ""
	var tgSock2, fgSock2 string
	if c.second != "" {
		schemes = append(schemes, c.second)
		if strings.HasPrefix(c.second, "unix") {
			tgSock2, fgSock2 = filepath.Join(dir, "tg2.sock"), filepath.Join(dir, "fg2.sock")
		}
		tgAddr2, fgAddr2 = serviceAddress(c.second, tgSock2), serviceAddress(c.second, fgSock2)
	}
	tgOut, fgOut := filepath.Join(dir, "telegraf.out"), filepath.Join(dir, "fakegraf.out")
	tgConf, fgConf := filepath.Join(dir, "telegraf.conf"), filepath.Join(dir, "fakegraf.conf")
	writeFile(t, tgConf, c.config(serviceAddress(c.scheme, tgSock), tgAddr2, tgOut))
	fgText := c.config(serviceAddress(c.scheme, fgSock), fgAddr2, filepath.Join(dir, "unused.out"))
	writeFile(t, fgConf, fgText)

	from := time.Now()
	tg := startProcess(t, "telegraf", telegrafBin, []string{"--config", tgConf}, dir, telegrafListening)
	tg.metrics = tgOut
	fg := startProcess(t, "fakegraf", fakegrafBin, fakegrafArgs(fgConf, fgOut), dir, fakegrafListening)
	fg.metrics = fgOut
	if c.rejected {
		compareRejection(t, tg, fg, fgText)
		return
	}
	if c.deliberate != "" {
		checkDeliberate(t, tg, fg, c.deliberate)
		return
	}
	tgTargets := pickTargets(t, "telegraf", tg.addresses(t, len(schemes)), schemes)
	fgTargets := pickTargets(t, "fakegraf", fg.addresses(t, len(schemes)), schemes)

	var wg sync.WaitGroup
	var tgNotes, fgNotes []string
	var tgErr, fgErr error
	wg.Add(2)
	go func() { defer wg.Done(); tgNotes, tgErr = play(tgTargets, c.steps) }()
	go func() { defer wg.Done(); fgNotes, fgErr = play(fgTargets, c.steps) }()
	wg.Wait()
	if tgErr != nil || fgErr != nil {
		t.Fatalf("sending failed: telegraf: %v; fakegraf: %v", tgErr, fgErr)
	}
	settle(400*time.Millisecond, 500*time.Millisecond, tg, fg)
	wg.Add(2)
	go func() { defer wg.Done(); tg.stop(t) }()
	go func() { defer wg.Done(); fg.stop(t) }()
	wg.Wait()
	to := time.Now()

	tgMs, err := readMetrics(tgOut)
	if err != nil {
		t.Fatalf("reading Telegraf's output: %v", err)
	}
	fgMs, err := readMetrics(fgOut)
	if err != nil {
		t.Fatalf("reading fakegraf's --metrics-out: %v", err)
	}
	tgErrs, tgOther := telegrafErrors(tg.stderr.all())
	for i := range tgErrs {
		tgErrs[i].msg = normalize(tgErrs[i].msg, tgSock, tgSock2)
	}
	fgErrs, badJSON := fakegrafErrors(fg.stdout.all())
	for i := range fgErrs {
		fgErrs[i].msg = normalize(fgErrs[i].msg, fgSock, fgSock2)
	}

	if d := diffLists(canonAll(tgMs, c.time == timeSender), canonAll(fgMs, c.time == timeSender)); d != "" {
		t.Errorf("stored metrics differ (timestamps %s; -telegraf +fakegraf):\n%s", c.time, d)
	}
	if c.time == timeNow {
		// Precision rounding may move a stamp by up to a second.
		lo, hi := from.Add(-2*time.Second), to.Add(2*time.Second)
		if bad := outsideWindow(tgMs, lo, hi); len(bad) > 0 {
			t.Errorf("Telegraf stamped metrics outside the run:\n  %s", strings.Join(bad, "\n  "))
		}
		if bad := outsideWindow(fgMs, lo, hi); len(bad) > 0 {
			t.Errorf("fakegraf stored timestamps outside the run, where Telegraf stamps the time it received them:\n  %s", strings.Join(bad, "\n  "))
		}
	}
	if onlyTg, onlyFg := matchErrors(tgErrs, fgErrs); len(onlyTg)+len(onlyFg) > 0 {
		t.Errorf("errors differ:\n  only Telegraf logged:\n    %s\n  only fakegraf reported:\n    %s",
			strings.Join(onlyTg, "\n    "), strings.Join(onlyFg, "\n    "))
	}
	if len(badJSON) > 0 {
		t.Errorf("fakegraf wrote non-JSON lines to stdout with --output json:\n  %s", strings.Join(badJSON, "\n  "))
	}
	vacuous := len(tgMs) == 0 && len(tgErrs) == 0
	if vacuous && !c.silent {
		t.Errorf("Telegraf stored no metric and logged no error: the case proves nothing (mark it silent if that is the point)")
	}
	if !vacuous && c.silent {
		t.Errorf("case marked silent, but Telegraf stored %d metric(s) and logged %d error(s)", len(tgMs), len(tgErrs))
	}

	if t.Failed() || os.Getenv("FAKEGRAF_PARITY_VERBOSE") != "" {
		t.Logf("telegraf stored:\n  %s", strings.Join(canonAll(tgMs, true), "\n  "))
		t.Logf("fakegraf stored:\n  %s", strings.Join(canonAll(fgMs, true), "\n  "))
		t.Logf("config (fakegraf's copy):\n%s", fgText)
		t.Logf("steps on %s:\n%s", c.scheme, quoteSteps(c.steps))
		t.Logf("telegraf: %d metric(s), %d error(s); fakegraf: %d metric(s), %d error(s)", len(tgMs), len(tgErrs), len(fgMs), len(fgErrs))
		for _, e := range tgErrs {
			t.Logf("telegraf error: %s", e.msg)
		}
		for _, e := range fgErrs {
			t.Logf("fakegraf [%s]: %s", e.rule, e.msg)
		}
		if len(tgOther) > 0 {
			t.Logf("Telegraf's other errors:\n  %s", strings.Join(tgOther, "\n  "))
		}
		if len(tgNotes)+len(fgNotes) > 0 {
			t.Logf("sender notes: telegraf %q; fakegraf %q", tgNotes, fgNotes)
		}
	}
}

var telegrafFatalPrefixes = []*regexp.Regexp{
	regexp.MustCompile(`^\[telegraf\] Error running agent: `),
	regexp.MustCompile(`^could not initialize input \S+: `),
	regexp.MustCompile(`^loading config file \S+ failed: `),
}

// compareRejection requires both sides to refuse the config: Telegraf exits
// non-zero before listening, fakegraf exits 2 ("could not run") before
// listening and names Telegraf's reason (the message after Telegraf's own
// "Error running agent: could not initialize input X: " or "loading config
// file F failed: ").
// checkDeliberate checks a documented difference: Telegraf starts, fakegraf
// refuses the config with exit 2 and says why.
func checkDeliberate(t *testing.T, tg, fg *process, want string) {
	markDeliberate(t)
	select {
	case <-tg.listening:
		tg.stop(t)
	case <-tg.done:
		t.Fatalf("Telegraf refused the config: the difference is gone, drop the deliberate mark:\n%s", strings.Join(tg.stderr.all(), "\n"))
	case <-time.After(30 * time.Second):
		t.Fatalf("Telegraf neither listened nor exited within 30 s")
	}
	select {
	case a := <-fg.listening:
		fg.stop(t)
		t.Fatalf("fakegraf listens on %s, where the README says it refuses this config", a)
	case <-fg.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("fakegraf neither listened nor exited within 30 s")
	}
	if code := fg.cmd.ProcessState.ExitCode(); code != 2 {
		t.Errorf("fakegraf exited %d, want 2", code)
	}
	if stderr := strings.Join(fg.stderr.all(), "\n"); !strings.Contains(stderr, want) {
		t.Errorf("fakegraf's reason does not say %q:\n%s", want, stderr)
	}
}

func compareRejection(t *testing.T, tg, fg *process, conf string) {
	for _, p := range []*process{tg, fg} {
		select {
		case <-p.done:
		case a := <-p.listening:
			t.Errorf("%s accepted the config and listens on %s, where Telegraf refuses it", p.name, a)
			p.stop(t)
		case <-time.After(30 * time.Second):
			t.Fatalf("%s neither listened nor exited within 30 s", p.name)
		}
	}
	if t.Failed() {
		t.Logf("config (fakegraf's copy):\n%s", conf)
		t.Logf("telegraf's log:\n%s", strings.Join(tg.stderr.all(), "\n"))
		return
	}
	if tg.cmd.ProcessState.Success() {
		t.Fatalf("Telegraf exited 0 without listening:\n%s", strings.Join(tg.stderr.all(), "\n"))
	}
	var reason string
	for _, line := range tg.stderr.all() {
		if m := telegrafLogLine.FindStringSubmatch(line); m != nil && m[1] == "E" {
			reason = m[2]
		}
	}
	if reason == "" {
		t.Fatalf("Telegraf refused the config without an E! line:\n%s", strings.Join(tg.stderr.all(), "\n"))
	}
	for _, re := range telegrafFatalPrefixes {
		reason = re.ReplaceAllString(reason, "")
	}
	if code := fg.cmd.ProcessState.ExitCode(); code != 2 {
		t.Errorf("fakegraf exited %d, want 2 (could not run)", code)
	}
	if fgLog := strings.Join(fg.stderr.all(), "\n"); !strings.Contains(fgLog, reason) {
		t.Errorf("fakegraf refused the config without Telegraf's reason %q:\n%s", reason, fgLog)
	}
	if t.Failed() {
		t.Logf("config (fakegraf's copy):\n%s", conf)
	}
}
