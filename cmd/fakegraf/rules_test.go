package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/parse"
)

// docs/rules.md is generated from the registry; it must not drift.
func TestRulesMarkdownIsFresh(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "rules.md")
	have, err := os.ReadFile(path)
	require.NoError(t, err, "docs/rules.md is missing: run `make docs`")
	var want bytes.Buffer
	rulesMarkdown(&want)
	if diff := cmp.Diff(want.String(), string(have)); diff != "" {
		t.Errorf("docs/rules.md is stale: run `make docs` and commit it (-want +got):\n%s", diff)
	}
}

func TestRulesCommand(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		contains []string
	}{
		{name: "markdown", args: []string{"rules", "--markdown"}, wantCode: exitOK, contains: []string{"# fakegraf rules", "## timestamp-unit", "```text"}},
		{name: "list", args: []string{"rules"}, wantCode: exitOK, contains: ruleIDs()},
		{name: "one rule", args: []string{"rules", "forbidden-char"}, wantCode: exitOK, contains: []string{"forbidden-char (warning)", "Bad:", "Fixed:"}},
		{name: "two rules", args: []string{"rules", "forbidden-char", "timestamp-unit"}, wantCode: exitOK, contains: []string{"forbidden-char (warning)", "timestamp-unit ("}},
		{name: "unknown rule", args: []string{"rules", "no-such-rule"}, wantCode: exitCannot},
		{name: "markdown with IDs", args: []string{"rules", "--markdown", "forbidden-char"}, wantCode: exitCannot},
		{name: "help", args: []string{"rules", "-h"}, wantCode: exitOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr)
			if diff := cmp.Diff(tc.wantCode, code); diff != "" {
				t.Errorf("exit code (-want +got):\n%s\nstderr: %s", diff, stderr.String())
			}
			for _, s := range tc.contains {
				require.Contains(t, stdout.String(), s)
			}
		})
	}
}

func ruleIDs() []string {
	var ids []string
	for _, r := range parse.Rules() {
		ids = append(ids, r.ID)
	}
	return ids
}
