package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/serve"
)

// runCheck runs the rules over captured payloads instead of a socket: each
// file is read as one stream connection, framed exactly as Telegraf frames a
// connection, or with --datagrams as one datagram per line.
func runCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs, o := newFlags("check", stderr, "Usage: fakegraf check [--config telegraf.conf | --data-format F ...] [flags] [FILE ... | -]\n\n"+
		"Runs fakegraf's rules over captured payloads, for CI steps without sockets. Each FILE (default: stdin)\n"+
		"is read as one stream connection and framed as Telegraf frames one (splitting_strategy, read_buffer_size),\n"+
		"or, with --datagrams, as one datagram per line. Exit codes as for listen.\n")
	datagrams := fs.String("datagrams", "", "read one datagram per line instead of a stream: lines (each line with its newline) or quoted (each line a quoted string, like the data field of --output json)")
	inputN := fs.Int("input", 1, "with --config: check against the Nth [[inputs.socket_listener]]")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	switch *datagrams {
	case "", "lines", "quoted":
	default:
		fmt.Fprintf(stderr, "fakegraf: --datagrams %q: use lines or quoted\n", *datagrams)
		return exitCannot
	}
	// The inputs are built as for a socket, but nothing is bound.
	var addresses []string
	if o.config == "" {
		addresses = []string{"tcp://127.0.0.1:0"}
		if *datagrams != "" {
			addresses = []string{"udp://127.0.0.1:0"}
		}
	}
	sess, err := newSession(o, addresses, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "fakegraf: %v\n", err)
		return exitCannot
	}
	defer sess.closeFiles()
	if *inputN < 1 || *inputN > len(sess.inputs.Inputs) {
		fmt.Fprintf(stderr, "fakegraf: --input %d: the config has %d [[inputs.socket_listener]]\n", *inputN, len(sess.inputs.Inputs))
		return exitCannot
	}
	in := sess.inputs.Inputs[*inputN-1]
	if len(sess.inputs.Inputs) > 1 && o.config != "" {
		fmt.Fprintf(stderr, "fakegraf: checking against %s (input %d of %d; --input chooses)\n", in.Listen.Address, *inputN, len(sess.inputs.Inputs))
	}
	split, err := in.Listen.Split.NewSplitter()
	if err != nil {
		fmt.Fprintf(stderr, "fakegraf: %v\n", err)
		return exitCannot
	}
	// Files go through the engine a socket's events go through; they share
	// one pipeline, as one socket's connections share their rule state.
	// Fixes name the input by its Origin (the flags, or the config's file,
	// line and service_address), never by the address nothing binds here.
	pipeline := parse.NewPipeline(in.Listen.Address, sess.rules, serve.Stages(in)...)
	engine := serve.NewEngine(sess.sink())

	for i, file := range files {
		name, r, err := openInput(file, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "fakegraf: %v\n", err)
			return exitCannot
		}
		engine.Add(name, in.DataFormat, pipeline)
		if *datagrams == "" {
			conn := uint64(i + 1)
			engine.Conn(listener.ConnEvent{Listener: name, Conn: conn, Open: true, Time: time.Now()})
			ev := listener.ReadStream(r, listener.StreamOptions{
				Listener: name, Conn: conn, Splitter: split, ReadBufferSize: int(in.Listen.Socket.ReadBufferSize),
			}, engine.Record)
			if ev.Err != nil {
				// A scanner error: what the socket reports as a transport event.
				engine.Transport(listener.Transport{Listener: name, Conn: conn, Err: ev.Err})
			}
			engine.Conn(ev)
		} else if err := readDatagrams(r, name, *datagrams, engine.Record); err != nil {
			fmt.Fprintf(stderr, "fakegraf: %s: %v\n", name, err)
			return exitCannot
		}
		if c, ok := r.(io.Closer); ok && file != "-" {
			c.Close()
		}
	}
	return sess.finish()
}

func openInput(file string, stdin io.Reader) (string, io.Reader, error) {
	if file == "-" {
		return "stdin", stdin, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return "", nil, err
	}
	return "file://" + filepath.ToSlash(file), f, nil
}

// readDatagrams reads one datagram per line: the line with its newline
// (lines), or a quoted string (quoted).
func readDatagrams(r io.Reader, name, format string, emit func(listener.Record)) error {
	br := bufio.NewReader(r)
	var seq uint64
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			data := line
			if format == "quoted" {
				q := string(bytes.TrimSpace(line))
				if q == "" {
					continue
				}
				s, uerr := strconv.Unquote(q)
				if uerr != nil {
					return fmt.Errorf("line %d: not a quoted string (%v): %.60q", lineNo, uerr, q)
				}
				data = []byte(s)
			}
			seq++
			emit(listener.Record{Listener: name, Seq: seq, Data: data, Size: len(data), Terminated: true, Received: time.Now()})
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
