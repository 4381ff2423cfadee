// Command fakegraf stands in for Telegraf's [[inputs.socket_listener]] while
// you build and test the programs that send it metrics: it binds the same
// sockets, parses with Telegraf's own parsers, shows the metrics Telegraf would
// store and flags every sender mistake with its fix.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
)

// Exit codes, the same in every output format.
const (
	exitOK       = 0 // nothing at or above --fail-on
	exitFindings = 1 // findings at or above --fail-on, or a golden mismatch
	exitCannot   = 2 // could not run: bad flag, bad config, cannot bind
)

func main() {
	// FAKEGRAF_CPUPROFILE=file writes a CPU profile, for performance work.
	if path := os.Getenv("FAKEGRAF_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				code := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
				pprof.StopCPUProfile()
				f.Close()
				os.Exit(code)
			}
		}
	}
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `fakegraf stands in for Telegraf's [[inputs.socket_listener]].

Usage:
  fakegraf listen [ADDRESS ...] [flags]     listen and show what arrives (no address: the tutorial's sockets)
  fakegraf listen --config telegraf.conf    serve every [[inputs.socket_listener]] of a real config
  fakegraf run [ADDRESS ...] [flags] -- CMD [ARGS...]
                                           bind, run a sender with the addresses in its environment, report
  fakegraf check [--config telegraf.conf | --data-format F] [FILE ... | -]
                                           the same rules over captured payloads, without sockets
  fakegraf rules [ID]                       list the rule catalogue, or explain one rule
  fakegraf version

Run 'fakegraf listen -h' for the flags.
`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitCannot
	}
	switch args[0] {
	case "listen":
		return runListen(ctx, args[1:], stdout, stderr, true)
	case "run":
		return runRun(ctx, args[1:], stdout, stderr)
	case "check":
		return runCheck(args[1:], stdin, stdout, stderr)
	case "rules":
		return runRules(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "fakegraf (Telegraf parsers v1.37.2)")
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "fakegraf: unknown command %q\n\n%s", args[0], usage)
	return exitCannot
}
