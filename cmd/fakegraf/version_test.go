package main

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestVersionText(t *testing.T) {
	deps := []*debug.Module{{Path: "github.com/google/go-cmp", Version: "v0.7.0"}, {Path: telegrafModule, Version: "v1.37.2"}}
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{
			name: "built from a checkout",
			bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261125100000-0123456789ab+dirty"}, Deps: deps,
				Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"}, {Key: "vcs.time", Value: "2026-11-25T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}},
			want: "fakegraf v0.0.0-20261125100000-0123456789ab+dirty\n" +
				"  revision 0123456789abcdef0123456789abcdef01234567 (2026-11-25T10:00:00Z), with uncommitted changes\n" +
				"  built with go1.26.8\n" +
				"Telegraf v1.37.2: its config, input plugin and parser code\n",
		},
		{
			name: "go install of a release",
			bi:   &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"}, Deps: deps},
			want: "fakegraf v1.2.0\n  built with go1.26.8\nTelegraf v1.37.2: its config, input plugin and parser code\n",
		},
		{
			name: "no version control information",
			bi:   &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Deps: deps},
			want: "fakegraf (devel)\n  revision unknown (built without version control information)\n  built with go1.26.8\nTelegraf v1.37.2: its config, input plugin and parser code\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, versionText(tt.bi)); diff != "" {
				t.Errorf("versionText (-want +got):\n%s", diff)
			}
		})
	}
}

// The Go version the README asks for, and the one its GitHub Actions job
// sets up, are go.mod's.
func TestREADMEGoVersionIsGoMod(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	want := string(m[1])
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	found := false
	for _, m := range regexp.MustCompile(`Go (1\.[0-9.]+)( or later)?`).FindAllStringSubmatch(text, -1) {
		found = true
		if m[1] != want {
			t.Errorf("README says %q; go.mod says go %s", m[0], want)
		}
	}
	if !found {
		t.Error("README does not say which Go version it needs")
	}
	for _, m := range regexp.MustCompile(`go-version: '?([0-9.]+)'?`).FindAllStringSubmatch(text, -1) {
		if m[1] != want {
			t.Errorf("README's GitHub Actions job sets up %s; go.mod says go %s", strings.TrimSpace(m[0]), want)
		}
	}
}
