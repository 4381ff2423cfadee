//go:build parity

package parity

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// selfCheck is FAKEGRAF_PARITY_SELF=1: the suites of the inputs beyond
// socket_listener (TestParityHTTP, TestParityStatsd) run Telegraf on both
// sides. Any difference they find then lies in the harness itself (a
// header that changes from run to run, a flush the harness misaligns), not
// in fakegraf: the mode exists to prove the harness before fakegraf is
// judged by it.
var selfCheck = os.Getenv("FAKEGRAF_PARITY_SELF") == "1"

// Telegraf's start-up lines for the inputs beyond socket_listener, each
// with the address in group 1. influxdb_listener and influxdb_v2_listener
// log their configured service_address, not the bound one, so their cases
// get a free port picked beforehand (freePort); http_listener_v2 and statsd
// log the bound address, so port 0 works for them.
var (
	telegrafHTTPListening   = regexp.MustCompile(`I! \[inputs\.(?:influxdb_listener|influxdb_v2_listener|http_listener_v2)[^\]]*\] (?:Started HTTP listener service on|Listening on) (\S+)`)
	telegrafStatsdListening = regexp.MustCompile(`I! \[inputs\.statsd[^\]]*\] (?:UDP|TCP) listening on "([^"]+)"`)
)

// side is one of the two processes of a case of the new suites: fakegraf,
// or Telegraf again in self-check mode.
type side struct {
	name   string
	bin    string
	args   []string
	re     *regexp.Regexp
	out    string // where its metrics go
	config string // the telegraf.conf it was given
}

// sides writes the two configs of a case into dir and says how to start
// each. render gets the service address and the [[outputs.file]] path.
// fakegraf writes its metrics with --metrics-out, so its config's file
// output points at a file nobody reads; in self-check mode the second
// Telegraf writes its own through [[outputs.file]].
func sides(t *testing.T, dir string, addrs [2]string, render func(addr, out string) string) (tg, fg side) {
	t.Helper()
	tg = side{name: "telegraf", bin: telegrafBin, re: nil, out: filepath.Join(dir, "telegraf.out")}
	tg.config = render(addrs[0], tg.out)
	tgConf := filepath.Join(dir, "telegraf.conf")
	writeFile(t, tgConf, tg.config)
	tg.args = []string{"--config", tgConf}

	fgConf := filepath.Join(dir, "fakegraf.conf")
	if selfCheck {
		fg = side{name: "telegraf (self-check)", bin: telegrafBin, out: filepath.Join(dir, "telegraf2.out")}
		fg.config = render(addrs[1], fg.out)
		fg.args = []string{"--config", fgConf}
	} else {
		fg = side{name: "fakegraf", bin: fakegrafBin, re: fakegrafListening, out: filepath.Join(dir, "fakegraf.out")}
		fg.config = render(addrs[1], filepath.Join(dir, "unused.out"))
		fg.args = fakegrafArgs(fgConf, fg.out)
	}
	writeFile(t, fgConf, fg.config)
	return tg, fg
}

// start runs a side and waits until it reports its one listener. A
// fakegraf that exits instead has refused the config: until fakegraf
// serves the input, that is where every case of the input fails, and the
// message says so rather than leaving a bare exit status.
func (s side) start(t *testing.T, dir, input string, telegrafRe *regexp.Regexp) (*process, string) {
	t.Helper()
	re := s.re
	if re == nil {
		re = telegrafRe
	}
	p := startProcess(t, s.name, s.bin, s.args, dir, re)
	p.metrics = s.out
	select {
	case a := <-p.listening:
		return p, a
	case <-p.done:
		if s.bin == fakegrafBin {
			t.Fatalf("fakegraf refused the config (%v) and never listened: it does not serve [[inputs.%s]] yet, or not with this case's options:\n%s\nconfig:\n%s",
				p.waitErr, input, strings.Join(p.stderr.all(), "\n"), s.config)
		}
		t.Fatalf("%s exited before listening (%v):\n%s", s.name, p.waitErr, strings.Join(p.stderr.all(), "\n"))
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not report a listener within 60 s:\n%s", s.name, strings.Join(p.stderr.all(), "\n"))
	}
	return nil, ""
}

// hostPort takes host:port from what a process reported: a bare
// host:port (Telegraf), or a URL of any scheme with an optional path
// (fakegraf: influxdb-v2://127.0.0.1:8086, http://127.0.0.1:8080/telegraf,
// statsd://127.0.0.1:8125).
func hostPort(reported string) (string, error) {
	s := strings.Trim(reported, `"'`)
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return "", fmt.Errorf("listening on %q: %w", reported, err)
		}
		s = u.Host
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("listening on %q: no host:port: %w", reported, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// freePorts returns n loopback addresses that were free a moment ago, for
// the plugins that do not log their bound address; all n are held at once
// so that they differ. Another process may take one in between; the case
// then fails with the bind error in the log, which is rare and loud, never
// a silent pass.
func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		out = append(out, l.Addr().String())
	}
	return out
}
