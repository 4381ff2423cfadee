// Command fakegraf stands in for Telegraf's push inputs (socket_listener, the InfluxDB and HTTP listeners, statsd) while
// you build and test the programs that send it metrics: it binds the same
// sockets, parses with Telegraf's own parsers, shows the metrics Telegraf would
// store and flags every sender mistake with its fix.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
)

// Exit codes, the same in every output format.
const (
	exitOK       = 0 // nothing at or above --fail-on
	exitFindings = 1 // findings at or above --fail-on, or a golden mismatch
	exitCannot   = 2 // could not run: bad flag, bad config, cannot bind
)

func main() {
	keepSignalHandler = true // see withSignals
	keepHeapFloor()
	// FAKEGRAF_CPUPROFILE=file writes a CPU profile, for performance work;
	// FAKEGRAF_MUTEXPROFILE=file and FAKEGRAF_BLOCKPROFILE=file the
	// contention profiles, for the scaling work (docs/benchmarks.md).
	stopCPU := startCPUProfile(os.Getenv("FAKEGRAF_CPUPROFILE"))
	writeMutex := writeProfileAtExit("mutex", "FAKEGRAF_MUTEXPROFILE", func() { runtime.SetMutexProfileFraction(1) })
	writeBlock := writeProfileAtExit("block", "FAKEGRAF_BLOCKPROFILE", func() { runtime.SetBlockProfileRate(1) })
	code := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stopCPU()
	writeMutex()
	writeBlock()
	os.Exit(code)
}

// startCPUProfile starts a CPU profile written to path, and returns what
// stops it; a no-op without a path.
func startCPUProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		return func() {}
	}
	if pprof.StartCPUProfile(f) != nil {
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// writeProfileAtExit turns a runtime profile on when env names a file, and
// returns what writes it there; a no-op without env.
func writeProfileAtExit(name, env string, enable func()) func() {
	path := os.Getenv(env)
	if path == "" {
		return func() {}
	}
	enable()
	return func() {
		if f, err := os.Create(path); err == nil {
			_ = pprof.Lookup(name).WriteTo(f, 0)
			f.Close()
		}
	}
}

const usage = `fakegraf stands in for Telegraf's inputs that programs push to: [[inputs.socket_listener]],
[[inputs.influxdb_listener]], [[inputs.influxdb_v2_listener]], [[inputs.http_listener_v2]] and [[inputs.statsd]].

Usage:
  fakegraf listen [ADDRESS ...] [flags]     listen and show what arrives (no address: the tutorial's sockets,
                                           statsd on udp 8125 and the InfluxDB write APIs on 8086)
  fakegraf listen --config telegraf.conf    serve every one of those inputs of a real config
  fakegraf run [ADDRESS ...] [flags] -- CMD [ARGS...]
                                           bind, run a sender with the addresses in its environment, report
  fakegraf check [--config telegraf.conf | --data-format F] [FILE ... | -]
                                           the same rules over captured payloads, without sockets
  fakegraf replay FILE --to URL [--speed X | --max]
                                           send a capture (listen --capture) again, framing and timing kept
  fakegraf rules [ID ...]                   list the rule catalogue, or explain rules
  fakegraf version

Run 'fakegraf COMMAND -h' (or 'fakegraf help COMMAND') for a command's flags.
`

const versionUsage = "Usage: fakegraf version\n       fakegraf --version\n\nPrints fakegraf's version and the VCS revision it was built from, and the Telegraf version whose\nconfig, socket and parser code it uses.\n"

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("", stderr, usage)
	version := fs.Bool("version", false, "print the version, as fakegraf version does")
	if err := fs.Parse(args); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			suggestFlag(fs, args, stderr)
		}
		return flagExit(err)
	}
	if *version {
		return runVersion(fs.Args(), stdout, stderr)
	}
	args = fs.Args()
	if len(args) == 0 {
		fs.Usage()
		return exitCannot
	}
	command, args := args[0], args[1:]
	if command == "help" {
		// fakegraf help COMMAND is fakegraf COMMAND -h.
		switch len(args) {
		case 0:
			fs.Usage()
			return exitOK
		case 1:
			command, args = args[0], []string{"-h"}
		default:
			fmt.Fprintf(stderr, "fakegraf: help takes one command, got %q\n", args)
			return exitCannot
		}
	}
	switch command {
	case "listen":
		return runListen(ctx, args, stdout, stderr)
	case "run":
		return runRun(ctx, args, stdout, stderr)
	case "check":
		return runCheck(args, stdin, stdout, stderr)
	case "replay":
		return runReplay(ctx, args, stderr)
	case "rules":
		return runRules(args, stdout, stderr)
	case "version":
		return runVersion(args, stdout, stderr)
	}
	fmt.Fprintf(stderr, "fakegraf: %s\n\n", unknownCommand(command))
	fs.Usage()
	return exitCannot
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("version", stderr, versionUsage)
	extra, err := parseInterleaved(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(extra) > 0 {
		fmt.Fprintf(stderr, "fakegraf: version takes no arguments, got %q\n\n", extra)
		fs.Usage()
		return exitCannot
	}
	bi, _ := debug.ReadBuildInfo()
	fmt.Fprint(stdout, versionText(bi))
	return exitOK
}

// telegrafModule is the module whose config, socket and parser code fakegraf
// runs; its version is read from the build, so it cannot go stale.
const telegrafModule = "github.com/influxdata/telegraf"

// versionText is what fakegraf --version prints: fakegraf's own version and
// the VCS revision it was built from (stamped by go build from a checkout;
// absent under go test or go run of a single file), the Go release, and the
// Telegraf version. bi may be nil.
func versionText(bi *debug.BuildInfo) string {
	var b strings.Builder
	version, telegraf := "(devel)", "(unknown version)"
	var settings map[string]string
	goVersion := runtime.Version()
	if bi != nil {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		settings = map[string]string{}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
		for _, d := range bi.Deps {
			if d.Path == telegrafModule {
				telegraf = d.Version
				if d.Replace != nil {
					telegraf += " (replaced by " + d.Replace.Path + " " + d.Replace.Version + ")"
				}
			}
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
	}
	fmt.Fprintf(&b, "fakegraf %s\n", version)
	if rev := settings["vcs.revision"]; rev != "" {
		fmt.Fprintf(&b, "  revision %s", rev)
		if t := settings["vcs.time"]; t != "" {
			fmt.Fprintf(&b, " (%s)", t)
		}
		if settings["vcs.modified"] == "true" {
			b.WriteString(", with uncommitted changes")
		}
		b.WriteByte('\n')
	} else if version == "(devel)" {
		// go build stamps the revision only from a checkout whose .git is
		// a folder, with -buildvcs on (the default); a module version
		// (go install ...@v1.2.3) names the source without it.
		b.WriteString("  revision unknown (built without version control information)\n")
	}
	fmt.Fprintf(&b, "  built with %s\n", goVersion)
	fmt.Fprintf(&b, "Telegraf %s: its config, input plugin and parser code\n", telegraf)
	return b.String()
}
