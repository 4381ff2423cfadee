package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Every command parses its flags the same way: -h, --help and fakegraf help
// COMMAND print its usage and flags to stderr and exit 0; a flag it does not
// have prints the error and the usage and exits 2.
func TestEveryCommandParsesFlagsTheSameWay(t *testing.T) {
	commands := []struct {
		command string // "" is fakegraf itself
		usage   string // how its help starts
		flags   bool   // whether the help lists flags
	}{
		{"", "fakegraf stands in for Telegraf's inputs that programs push to: [[inputs.socket_listener]],\n", true},
		{"listen", "Usage: fakegraf listen [ADDRESS ...] [flags]\n", true},
		{"run", "Usage: fakegraf run [ADDRESS ...] [flags] -- CMD [ARGS...]\n", true},
		{"check", "Usage: fakegraf check ", true},
		{"rules", "Usage: fakegraf rules [ID ...]\n", true},
		{"version", "Usage: fakegraf version\n", false},
	}
	type outcome struct {
		Code   int
		Stdout string
		Usage  bool // stderr shows the usage
		Flags  bool // stderr lists the flags
	}
	for _, c := range commands {
		invocations := []struct {
			name    string
			args    []string
			want    outcome
			message string // stderr starts with it
		}{
			{name: "-h", args: []string{"-h"}, want: outcome{Code: exitOK, Usage: true, Flags: c.flags}},
			{name: "--help", args: []string{"--help"}, want: outcome{Code: exitOK, Usage: true, Flags: c.flags}},
			{name: "help", want: outcome{Code: exitOK, Usage: true, Flags: c.flags}},
			{name: "unknown flag", args: []string{"--no-such-flag"}, want: outcome{Code: exitCannot, Usage: true, Flags: c.flags},
				message: "flag provided but not defined: -no-such-flag\n"},
		}
		for _, inv := range invocations {
			name := c.command
			if name == "" {
				name = "fakegraf"
			}
			t.Run(name+"/"+inv.name, func(t *testing.T) {
				var args []string
				switch {
				case inv.name == "help":
					args = []string{"help"}
					if c.command != "" {
						args = append(args, c.command)
					}
				case c.command == "":
					args = inv.args
				default:
					args = append([]string{c.command}, inv.args...)
				}
				var stdout, stderr bytes.Buffer
				code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
				help, ok := strings.CutPrefix(stderr.String(), inv.message)
				got := outcome{
					Code:   code,
					Stdout: stdout.String(),
					Usage:  ok && strings.HasPrefix(help, c.usage),
					Flags:  strings.Contains(help, "\nFlags:\n  -"),
				}
				if diff := cmp.Diff(inv.want, got); diff != "" {
					t.Errorf("fakegraf %s (-want +got):\n%s\nstderr:\n%s", strings.Join(args, " "), diff, stderr.String())
				}
			})
		}
	}
}

func TestHelpAndVersionErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string // stderr starts with it
	}{
		{"no command", nil, exitCannot, "fakegraf stands in for"},
		{"unknown command", []string{"lisen"}, exitCannot, "fakegraf: unknown command \"lisen\": did you mean listen?\n\nfakegraf stands in for"},
		{"help for an unknown command", []string{"help", "lisen"}, exitCannot, "fakegraf: unknown command \"lisen\""},
		{"help for two commands", []string{"help", "listen", "run"}, exitCannot, "fakegraf: help takes one command"},
		{"version with an argument", []string{"version", "now"}, exitCannot, "fakegraf: version takes no arguments, got [\"now\"]\n\nUsage: fakegraf version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, strings.NewReader(""), &stdout, &stderr)
			if diff := cmp.Diff(tt.code, code); diff != "" {
				t.Errorf("exit code (-want +got):\n%s\nstderr:\n%s", diff, stderr.String())
			}
			if !strings.HasPrefix(stderr.String(), tt.stderr) {
				t.Errorf("stderr should start with %q:\n%s", tt.stderr, stderr.String())
			}
		})
	}
}
