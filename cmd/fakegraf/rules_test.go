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

// TestRulesListsEveryRule: `fakegraf rules` lists every rule in the registry
// (the rest of the rules command is testdata/script/rules.txtar).
func TestRulesListsEveryRule(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"rules"}, strings.NewReader(""), &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	var listed []string
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		listed = append(listed, strings.Fields(line)[0])
	}
	var want []string
	for _, r := range parse.Rules() {
		want = append(want, r.ID)
	}
	if diff := cmp.Diff(want, listed); diff != "" {
		t.Errorf("fakegraf rules (-want +got):\n%s", diff)
	}
}
