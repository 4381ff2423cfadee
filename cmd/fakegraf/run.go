package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fakegraf/fakegraf/report"
	"github.com/fakegraf/fakegraf/serve"
)

func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// The handler goes in first, as for listen. A deliberate second signal
	// ends the sender too: it got SIGTERM at the first, and fakegraf does not
	// leave it running behind it.
	snd := &sender{done: make(chan struct{})}
	ctx, stop := withSignals(ctx, stderr, func() { snd.kill(time.Second) })
	defer stop()
	fs, o := newFlags("run", stderr, "Usage: fakegraf run [ADDRESS ...] [flags] -- CMD [ARGS...]\n"+
		"       fakegraf run --config telegraf.conf [flags] -- CMD [ARGS...]\n\n"+
		"Binds the sockets, runs CMD with their addresses in its environment (FAKEGRAF_ADDR, FAKEGRAF_ADDR_1..N,\n"+
		"FAKEGRAF_ADDR_<SCHEME> (FAKEGRAF_ADDR_INFLUXDB, FAKEGRAF_ADDR_INFLUXDB_V2, FAKEGRAF_ADDR_HTTP for the HTTP inputs),\n"+
		"FAKEGRAF_URL (the first HTTP input's base URL, http://HOST:PORT), FAKEGRAF_ADDR_STATSD (the first statsd input,\n"+
		"such as udp://127.0.0.1:8125, which FAKEGRAF_ADDR_UDP/_TCP never name), FAKEGRAF_HOST, FAKEGRAF_PORT, FAKEGRAF_SOCKET),\n"+
		"waits for CMD to exit and for\n"+
		"fakegraf to have processed all it sent (or, with --until idle=D, for D without traffic after CMD's exit,\n"+
		"for a CMD that leaves children behind), prints the report and exits 0, 1 or 2 like listen.\n"+
		"CMD's own output goes to stderr. A CMD that fails or sends nothing fails the run.\n"+
		"With --http, CMD finds the HTTP API's URL in FAKEGRAF_API.\n")
	var so sessionOptions
	so.register(fs)
	addresses, command, err := splitCommand(fs, args)
	if errors.Is(err, errNoCommand) {
		fmt.Fprintf(stderr, "fakegraf: %v\n", err)
		return exitCannot
	}
	if err != nil {
		return flagExit(err)
	}
	sess, closeAll, err := so.open(o, addresses, false, stdout, stderr)
	defer closeAll()
	if err != nil {
		fmt.Fprintf(stderr, "fakegraf: %v\n", err)
		return exitCannot
	}

	sess.done = snd.done
	sess.onStart = func(srv *serve.Server) error {
		cmd := exec.Command(command[0], command[1:]...)
		cmd.Env = append(append(os.Environ(), senderEnv(srv.Listening())...), sess.apiEnv()...)
		cmd.Stdin = nil
		cmd.Stdout = sess.stderr // stdout carries only the report; sess.stderr lets the status line step aside
		cmd.Stderr = sess.stderr
		return snd.start(cmd)
	}
	name := strings.Join(command, " ")
	sess.stopped = func() {
		var waitErr error
		select {
		case <-snd.done:
			waitErr = snd.err
		default:
			// Stopped by --until count/duration or a signal: end the sender.
			snd.stop(2 * time.Second)
			if ctx.Err() == nil && !(sess.stop.count > 0 && sess.collector.Metrics() >= sess.stop.count) {
				sess.fail(report.Failure{Check: "sender", Name: name, Message: fmt.Sprintf("still running after %s: stopped it", sess.stop.duration)})
			}
			waitErr = nil
		}
		var exitErr *exec.ExitError
		if errors.As(waitErr, &exitErr) && ctx.Err() != nil && stopSignal(exitErr) {
			// timeout(1), a CI runner or Ctrl-C signalled the whole process
			// group: the sender was stopped with the run, as it is when
			// fakegraf stops it, which is not its failure.
		} else if errors.As(waitErr, &exitErr) {
			sess.fail(report.Failure{Check: "sender", Name: name, Message: fmt.Sprintf("exited with %s", exitErr.ProcessState)})
		} else if waitErr != nil {
			sess.fail(report.Failure{Check: "sender", Name: name, Message: waitErr.Error()})
		}
		if sum := sess.collector.Summary(); arrived(sum) == 0 {
			sess.fail(report.Failure{Check: "sender", Name: name, Message: "sent nothing to any listener: is it using the address in FAKEGRAF_ADDR?"})
		}
	}
	return sess.serve(ctx)
}

// sender is the command fakegraf run runs. done is closed when it has
// exited; err is then cmd.Wait's error.
type sender struct {
	mu   sync.Mutex
	cmd  *exec.Cmd // nil until started
	done chan struct{}
	err  error
}

func (s *sender) start(cmd *exec.Cmd) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cannot run %s: %w", cmd.Args[0], err)
	}
	s.cmd = cmd
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	return nil
}

// stop asks the sender to end with SIGTERM and kills it if it has not
// after grace.
func (s *sender) stop(grace time.Duration) {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(grace):
		s.kill(grace)
	}
}

// kill kills the sender and waits up to wait for it to be gone.
func (s *sender) kill(wait time.Duration) {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	select {
	case <-s.done:
	case <-time.After(wait):
	}
}

// stopSignal reports whether the sender was ended by SIGINT or SIGTERM.
func stopSignal(e *exec.ExitError) bool {
	ws, ok := e.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && (ws.Signal() == syscall.SIGINT || ws.Signal() == syscall.SIGTERM)
}

// arrived counts what reached the sockets: records, connections, and what
// the socket refused or lost on the way (a connection refused by
// allowed_sources or max_connections, datagrams the kernel dropped). A
// sender whose data was refused did send; its finding says why it was lost.
func arrived(s *report.Summary) int {
	n := 0
	for _, ls := range s.Listeners {
		n += ls.Records + ls.Connections + ls.SocketErrors + int(ls.KernelDrops)
	}
	return n
}

var errNoCommand = errors.New("no command to run: put it after --, e.g. fakegraf run udp://127.0.0.1:0 -- python3 sender.py")

// splitCommand parses flags and addresses up to "--" and returns the command after it.
func splitCommand(fs *flag.FlagSet, args []string) (addresses, command []string, err error) {
	i := len(args)
	for k, a := range args {
		if a == "--" {
			i = k
			break
		}
	}
	if i == len(args) || i == len(args)-1 {
		if _, err := parseInterleaved(fs, args[:i]); err != nil {
			return nil, nil, err
		}
		return nil, nil, errNoCommand
	}
	addresses, err = parseInterleaved(fs, args[:i])
	return addresses, args[i+1:], err
}

// senderEnv tells the sender where fakegraf listens.
func senderEnv(ls []serve.Listening) []string {
	var env []string
	seen := map[string]bool{}
	for i, l := range ls {
		u, err := url.Parse(l.URL)
		if err != nil {
			continue
		}
		// A socket bound to every interface is reached on loopback.
		if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsUnspecified() {
			host := "127.0.0.1"
			if strings.HasSuffix(u.Scheme, "6") {
				host = "::1"
			}
			u.Host = net.JoinHostPort(host, u.Port())
		}
		if l.HTTP && !seen["url"] {
			// The first HTTP input's base URL, for a client library.
			seen["url"] = true
			base := *u
			base.Scheme = "http"
			env = append(env, "FAKEGRAF_URL="+base.String())
		}
		addr := u.String()
		if i == 0 {
			env = append(env, "FAKEGRAF_ADDR="+addr)
		}
		env = append(env, fmt.Sprintf("FAKEGRAF_ADDR_%d=%s", i+1, addr))
		key := "FAKEGRAF_ADDR_" + strings.NewReplacer("-", "_", "+", "_").Replace(strings.ToUpper(u.Scheme))
		if l.DataFormat == "statsd" {
			// A statsd client is pointed at the statsd input, never at
			// a socket_listener that happens to share its scheme.
			key = "FAKEGRAF_ADDR_STATSD"
		}
		if !seen[key] {
			seen[key] = true
			env = append(env, key+"="+addr)
		}
		if strings.HasPrefix(u.Scheme, "unix") {
			if !seen["socket"] {
				seen["socket"] = true
				env = append(env, "FAKEGRAF_SOCKET="+u.Path)
			}
		} else if !seen["hostport"] {
			seen["hostport"] = true
			env = append(env, "FAKEGRAF_HOST="+u.Hostname(), "FAKEGRAF_PORT="+u.Port())
		}
	}
	return env
}
