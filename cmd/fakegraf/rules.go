package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/fakegraf/fakegraf/parse"
)

func runRules(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("rules", stderr, "Usage: fakegraf rules [ID ...]\n       fakegraf rules --markdown\n\n"+
		"Lists every rule with its ID, severity and title; with IDs, explains those rules: what Telegraf\n"+
		"does with such input, a bad example and its fix. IDs are what --enable and --disable take.\n")
	markdown := fs.Bool("markdown", false, "print the whole catalogue as Markdown (docs/rules.md; make docs)")
	ids, err := parseInterleaved(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if *markdown {
		if len(ids) > 0 {
			fmt.Fprintln(stderr, "fakegraf: rules --markdown prints every rule: drop the IDs, or drop --markdown")
			return exitCannot
		}
		rulesMarkdown(stdout) // docs/rules.md; `make docs`
		return exitOK
	}
	if len(ids) == 0 {
		for _, r := range parse.Rules() {
			fmt.Fprintf(stdout, "%-28s %-8s %s\n", r.ID, r.Severity, r.Title)
		}
		return exitOK
	}
	code := exitOK
	for _, id := range ids {
		r := parse.Lookup(id)
		if r == nil {
			fmt.Fprintf(stderr, "fakegraf: %v\n", unknownRule("", id))
			code = exitCannot
			continue
		}
		doc := r.Doc
		for _, l := range r.AlsoAt {
			doc += fmt.Sprintf(" Also reported as %s %s.", l.Severity, l.When)
		}
		sev := r.Severity.String()
		if len(r.AlsoAt) > 0 {
			sev += "; also " + alsoAt(r)
		}
		fmt.Fprintf(stdout, "%s (%s)\n  %s\n\n%s\n\nBad:\n%s\n\nFixed:\n%s\n", r.ID, sev, r.Title,
			wrap(doc, 78), indent(r.Bad), indent(r.Good))
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
