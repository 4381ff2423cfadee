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
	"syscall"
	"time"

	"github.com/fakegraf/fakegraf/report"
	"github.com/fakegraf/fakegraf/serve"
)

// defaultRunIdle is how long fakegraf run waits for traffic to stop after
// the sender has exited, unless --until idle=D says otherwise.
const defaultRunIdle = 500 * time.Millisecond

func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, o := newFlags("run", stderr, "Usage: fakegraf run [ADDRESS ...] [flags] -- CMD [ARGS...]\n"+
		"       fakegraf run --config telegraf.conf [flags] -- CMD [ARGS...]\n\n"+
		"Binds the sockets, runs CMD with their addresses in its environment (FAKEGRAF_ADDR, FAKEGRAF_ADDR_1..N,\n"+
		"FAKEGRAF_ADDR_<SCHEME>, FAKEGRAF_HOST, FAKEGRAF_PORT, FAKEGRAF_SOCKET), waits for CMD to exit and the\n"+
		"traffic to go idle (--until idle=500ms by default), prints the report and exits 0, 1 or 2 like listen.\n"+
		"CMD's own output goes to stderr. A CMD that fails or sends nothing fails the run.\n"+
		"With --http, CMD finds the HTTP API's URL in FAKEGRAF_API.\n")
	var ao apiOptions
	ao.register(fs)
	addresses, command, err := splitCommand(fs, args)
	if errors.Is(err, errNoCommand) {
		fmt.Fprintf(stderr, "fakegraf: %v\n", err)
		return exitCannot
	}
	if err != nil {
		return flagExit(err)
	}
	sess, err := newSession(o, addresses, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "fakegraf: %v\n", err)
		return exitCannot
	}
	defer sess.closeFiles()
	stopAPI, err := sess.startAPI(ao, false)
	if err != nil {
		fmt.Fprintf(stderr, "fakegraf: %v\n", err)
		return exitCannot
	}
	defer stopAPI() // after the summary
	if sess.stop.idle == 0 {
		sess.stop.idle = defaultRunIdle
	}
	ctx, stop := withSignals(ctx, stderr)
	defer stop()

	done := make(chan struct{})
	var cmd *exec.Cmd
	var waitErr error
	sess.done = done
	sess.onStart = func(srv *serve.Server) error {
		cmd = exec.Command(command[0], command[1:]...)
		cmd.Env = append(append(os.Environ(), senderEnv(srv.Listening())...), sess.apiEnv()...)
		cmd.Stdin = nil
		cmd.Stdout = sess.stderr // stdout carries only the report
		cmd.Stderr = sess.stderr
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("cannot run %s: %w", command[0], err)
		}
		go func() {
			waitErr = cmd.Wait()
			close(done)
		}()
		return nil
	}
	name := strings.Join(command, " ")
	sess.stopped = func() {
		select {
		case <-done:
		default:
			// Stopped by --until count/duration or a signal: end the sender.
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(2 * time.Second):
				_ = cmd.Process.Kill()
				<-done
			}
			if ctx.Err() == nil && !(sess.stop.count > 0 && sess.collector.Metrics() >= sess.stop.count) {
				sess.fail(report.Failure{Check: "sender", Name: name, Message: fmt.Sprintf("still running after %s: stopped it", sess.stop.duration)})
			}
			waitErr = nil
		}
		var exitErr *exec.ExitError
		if errors.As(waitErr, &exitErr) {
			sess.fail(report.Failure{Check: "sender", Name: name, Message: fmt.Sprintf("exited with %s", exitErr.ProcessState)})
		} else if waitErr != nil {
			sess.fail(report.Failure{Check: "sender", Name: name, Message: waitErr.Error()})
		}
		if sum := sess.collector.Summary(); totalRecords(sum) == 0 {
			sess.fail(report.Failure{Check: "sender", Name: name, Message: "sent nothing to any listener: is it using the address in FAKEGRAF_ADDR?"})
		}
	}
	return sess.serve(ctx)
}

func totalRecords(s *report.Summary) int {
	n := 0
	for _, ls := range s.Listeners {
		n += ls.Records + ls.Connections
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
		addr := u.String()
		if i == 0 {
			env = append(env, "FAKEGRAF_ADDR="+addr)
		}
		env = append(env, fmt.Sprintf("FAKEGRAF_ADDR_%d=%s", i+1, addr))
		if key := "FAKEGRAF_ADDR_" + strings.ToUpper(u.Scheme); !seen[key] {
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
