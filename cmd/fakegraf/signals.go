package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// repeatWindow is how long after the first stop signal another one is the
// same request rather than a second one. timeout(1) signals its command and
// then the command's whole process group (coreutils timeout.c, cleanup:
// send_sig (monitored_pid, sig) then send_sig (0, sig)); CI runners and
// process managers signal a process and its group alike. One request to
// stop thus arrives as two signals a few microseconds apart, and taking the
// second for "exit now" lost the summary in a third of the runs under
// timeout. A person who presses Ctrl-C again does so later than this.
const repeatWindow = time.Second

// keepSignalHandler is set by main. Once a command has finished, a late copy
// of the stop signal must not kill the process between the summary and
// main's os.Exit: SIGTERM's default action would turn the verdict's exit
// code into 143. main keeps the handler to the end; in-process callers
// (tests, benchmarks) leave it false, so that the handler is removed.
var keepSignalHandler bool

// verdictMu is held while a command prints its verdict (session.finish). A
// forced exit takes it for good, so that nothing is printed once fakegraf
// has said it exits without the summary; if the verdict is already being
// printed, the forced exit gives way to it.
var verdictMu sync.Mutex

// withSignals returns a context cancelled by the first SIGINT or SIGTERM,
// which makes the command stop gracefully and print its summary. Signals
// within repeatWindow of the first are ignored. One after it means "now":
// fakegraf says so, runs force (fakegraf run ends its sender there; nil for
// none) and exits 2 without the summary. If the graceful stop is still
// going when the window closes, fakegraf says that a second interrupt is
// taken now. The returned function releases the handler once the command
// has finished.
func withSignals(ctx context.Context, stderr io.Writer, force func()) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{}) // closed when the command has finished
	go func() {
		var first time.Time
		var window <-chan time.Time
		for {
			select {
			case <-done:
				return
			case <-ch:
				switch {
				case first.IsZero():
					first = time.Now()
					cancel()
					t := time.NewTimer(repeatWindow)
					defer t.Stop()
					window = t.C
				case time.Since(first) < repeatWindow:
					// The same request, delivered twice.
				default:
					if !verdictMu.TryLock() {
						continue // the summary is being printed: let it finish
					}
					fmt.Fprintln(stderr, "fakegraf: second signal, exiting without the summary")
					if force != nil {
						force()
					}
					os.Exit(exitCannot)
				}
			case <-window:
				window = nil
				select {
				case <-done:
					return
				default:
				}
				fmt.Fprintln(stderr, "fakegraf: still stopping; interrupt again to exit at once, without the summary")
			}
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			close(done)
			cancel()
			if !keepSignalHandler {
				signal.Stop(ch)
			}
		})
	}
}
