package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/fakegraf/fakegraf/internal/suggest"
	"github.com/fakegraf/fakegraf/parse"
)

// unknownRule is the error for a rule ID fakegraf does not have, with the
// IDs probably meant. what is where the ID came from: "--disable", or ""
// for fakegraf rules ID.
func unknownRule(what, id string) error {
	prefix := ""
	if what != "" {
		prefix = what + ": "
	}
	var ids []string
	for _, r := range parse.Rules() {
		ids = append(ids, r.ID)
	}
	if meant := suggest.Closest(id, ids); len(meant) > 0 {
		return fmt.Errorf("%sunknown rule %q: did you mean %s? ('fakegraf rules' lists them)", prefix, id, suggest.Or(meant))
	}
	return fmt.Errorf("%sunknown rule %q: 'fakegraf rules' lists them", prefix, id)
}

// checkRuleIDs checks --enable and --disable before the rule set is built,
// so that a typo gets a suggestion.
func checkRuleIDs(enable, disable []string) error {
	for _, list := range []struct {
		flag string
		ids  []string
	}{{"--enable", enable}, {"--disable", disable}} {
		for _, id := range list.ids {
			if parse.Lookup(id) == nil {
				return unknownRule(list.flag, id)
			}
		}
	}
	return nil
}

// suggestFlag follows the flag package's "flag provided but not defined"
// (and the usage it prints) with the flags probably meant, on the last
// line, where a person reads first.
func suggestFlag(fs *flag.FlagSet, args []string, w io.Writer) {
	name := undefinedFlag(fs, args)
	if name == "" {
		return
	}
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	meant := suggest.Closest(name, names)
	if len(meant) == 0 {
		return
	}
	for i, m := range meant {
		meant[i] = "--" + m
	}
	fmt.Fprintf(w, "fakegraf: unknown flag --%s: did you mean %s?\n", name, suggest.Or(meant))
}

// undefinedFlag finds the first flag in args that fs does not define, the
// way the flag package reads them: up to "--", a value after a flag that
// is not boolean and has no "=", positional arguments between flags.
func undefinedFlag(fs *flag.FlagSet, args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return ""
		}
		if len(a) < 2 || a[0] != '-' {
			continue
		}
		name, hasValue := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), false
		name, _, hasValue = strings.Cut(name, "=")
		f := fs.Lookup(name)
		if f == nil {
			if name == "h" || name == "help" {
				continue
			}
			return name
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !hasValue && !(ok && b.IsBoolFlag()) {
			i++ // its value
		}
	}
	return ""
}

// unknownCommand is the error for an unknown command, with the command
// probably meant.
func unknownCommand(command string) string {
	msg := fmt.Sprintf("unknown command %q", command)
	if meant := suggest.Closest(command, []string{"listen", "run", "check", "rules", "version", "help"}); len(meant) > 0 {
		msg += ": did you mean " + suggest.Or(meant) + "?"
	}
	return msg
}
