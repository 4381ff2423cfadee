package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fakegraf/fakegraf/capture"
)

// toFlag is --to, repeatable: URL for every listener, or CAPTURED=URL.
type toFlag map[string]string

func (t toFlag) String() string { return "" }
func (t toFlag) Set(v string) error {
	// A captured URL has "://" before any "=", a target URL may have "="
	// in its query: split on the first "=" that follows a "://".
	if i := strings.Index(v, "://"); i >= 0 {
		if j := strings.Index(v[i:], "="); j >= 0 && strings.Contains(v[i+j+1:], "://") {
			t[v[:i+j]] = v[i+j+1:]
			return nil
		}
	}
	t[""] = v
	return nil
}

func runReplay(ctx context.Context, args []string, stderr io.Writer) int {
	ctx, stop := withSignals(ctx, stderr, nil)
	defer stop()
	fs := newFlagSet("replay", stderr, "Usage: fakegraf replay FILE --to URL [--speed X | --max]\n"+
		"       fakegraf replay FILE --to CAPTURED_URL=URL ... (a capture of several listeners)\n\n"+
		"Sends a capture written by fakegraf listen/run --capture to fakegraf or a real Telegraf with its original framing:\n"+
		"datagrams one for one, each stream connection on a connection of its own, HTTP requests as they were\n"+
		"(the Authorization header is never captured), at the captured pace scaled by --speed.\n")
	to := toFlag{}
	fs.Var(to, "to", "where to send: tcp://, udp://, unix://, unixgram:// or http://HOST:PORT; CAPTURED_URL=URL per listener (repeatable)")
	speed := fs.Float64("speed", 1, "replay this many times faster than captured")
	maxSpeed := fs.Bool("max", false, "replay as fast as possible, ignoring the captured timing")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return flagExit(err)
	}
	switch {
	case len(files) != 1:
		fmt.Fprintf(stderr, "fakegraf: replay takes one capture file, got %d: fakegraf replay FILE --to URL\n", len(files))
		return exitCannot
	case len(to) == 0:
		fmt.Fprintf(stderr, "fakegraf: replay needs --to URL, such as --to tcp://127.0.0.1:8094 (the receiver's socket)\n")
		return exitCannot
	case *speed <= 0:
		fmt.Fprintf(stderr, "fakegraf: --speed %g: want a factor above 0, such as 2 (or --max)\n", *speed)
		return exitCannot
	}
	if *maxSpeed {
		*speed = 0
	}
	f, err := os.Open(files[0])
	if err != nil {
		fmt.Fprintf(stderr, "fakegraf: %v\n", err)
		return exitCannot
	}
	defer f.Close()
	r, err := capture.NewReader(f)
	if err != nil {
		if errors.Is(err, capture.ErrNotCapture) {
			fmt.Fprintf(stderr, "fakegraf: %s is not a fakegraf capture (write one with fakegraf listen --capture FILE)\n", files[0])
		} else {
			fmt.Fprintf(stderr, "fakegraf: %s: %v\n", files[0], err)
		}
		return exitCannot
	}
	st, err := capture.Replay(ctx, r, capture.ReplayOptions{To: to, Speed: *speed})
	fmt.Fprintf(stderr, "fakegraf: replayed %d connection(s), %d datagram(s), %d request(s), %d bytes\n", st.Connections, st.Datagrams, st.Requests, st.Bytes)
	if st.Skipped > 0 {
		fmt.Fprintf(stderr, "fakegraf: %d socket loss(es) in the capture (refused connections, kernel drops) carry no bytes and were not replayed\n", st.Skipped)
	}
	if r.Cut() {
		fmt.Fprintf(stderr, "fakegraf: the capture was cut when it was written: what arrived after the cut was not replayed\n")
	}
	if err != nil {
		fmt.Fprintf(stderr, "fakegraf: %v\n", err)
		return exitCannot
	}
	return exitOK
}
