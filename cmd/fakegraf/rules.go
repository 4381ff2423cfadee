package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/fakegraf/fakegraf/parse"
)

func runRules(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && args[0] == "--markdown" {
		rulesMarkdown(stdout) // docs/rules.md; `make docs`
		return exitOK
	}
	if len(args) == 0 {
		for _, r := range parse.Rules() {
			fmt.Fprintf(stdout, "%-28s %-8s %s\n", r.ID, r.Severity, r.Title)
		}
		return exitOK
	}
	code := exitOK
	for _, id := range args {
		r := parse.Lookup(id)
		if r == nil {
			fmt.Fprintf(stderr, "fakegraf: unknown rule %q: 'fakegraf rules' lists them\n", id)
			code = exitCannot
			continue
		}
		fmt.Fprintf(stdout, "%s (%s)\n  %s\n\n%s\n\nBad:\n%s\n\nFixed:\n%s\n", r.ID, r.Severity, r.Title,
			wrap(r.Doc, 78), indent(r.Bad), indent(r.Good))
	}
	return code
}

func indent(s string) string { return "    " + strings.ReplaceAll(s, "\n", "\n    ") }

func wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(s) {
		if i > 0 && n+1+len(w) > width {
			b.WriteByte('\n')
			n = 0
		} else if i > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}
