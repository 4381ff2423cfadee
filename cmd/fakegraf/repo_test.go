package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// relativePath and machinePath match paths a file may point at: a relative
// one is resolved from the folder of the file it is in; an absolute one
// under /work/ is on the machine the project is developed on, in no clone.
var (
	relativePath = regexp.MustCompile(`(?:\.\./)+[\w.-]+`)
	machinePath  = regexp.MustCompile(`/work/[\w.-]+`)
)

// No file in the repository points at a file outside it, or at one that
// is not there: a user's clone has only the repository. (The tutorial's
// sender once pointed at the tutorial in a shared folder beside the
// repository.)
func TestNoPathLeavesTheRepository(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		switch d.Name() {
		case ".git", ".cache", "bin", "node_modules": // .git is a file in a worktree
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() || rel == "go.sum" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.IndexByte(data, 0) >= 0 {
			return nil // binary
		}
		for i, line := range strings.Split(string(data), "\n") {
			for _, m := range machinePath.FindAllString(line, -1) {
				t.Errorf("%s:%d: %s is outside the repository", rel, i+1, m)
			}
			for _, m := range relativePath.FindAllString(line, -1) {
				target := filepath.Join(filepath.Dir(path), m)
				if r, err := filepath.Rel(root, target); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
					t.Errorf("%s:%d: %s leaves the repository", rel, i+1, m)
				} else if _, err := os.Stat(target); err != nil {
					t.Errorf("%s:%d: %s points at nothing in the repository", rel, i+1, m)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
