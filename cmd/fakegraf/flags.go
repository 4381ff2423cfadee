package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Every command, and fakegraf itself, reads its arguments one way: a flag
// set from newFlagSet, parsed by parseInterleaved, its error turned into
// an exit code by flagExit. So -h and --help print the command's usage and
// flags to stderr and exit 0, and a flag the command does not have prints
// what was wrong and the usage, and exits 2.

// newFlagSet returns an empty flag set for command ("" for fakegraf
// itself) whose help is usage followed by the flags.
func newFlagSet(command string, stderr io.Writer, usage string) *flag.FlagSet {
	name := "fakegraf"
	if command != "" {
		name += " " + command
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprint(stderr, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// flagExit is the exit code for a flag error: -h is not one. The flag
// package has already said what was wrong and printed the usage.
func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitCannot
}

// parseInterleaved parses flags and positional arguments in any order;
// everything after "--" is positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	all := args
	for {
		if err := fs.Parse(args); err != nil {
			if !errors.Is(err, flag.ErrHelp) {
				suggestFlag(fs, all, fs.Output())
			}
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
