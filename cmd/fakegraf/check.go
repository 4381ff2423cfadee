package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
)

// runCheck runs the rules over captured payloads instead of a socket: each
// file is read as one stream connection, framed exactly as Telegraf frames a
// connection, or with --datagrams as one datagram per line.
func runCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs, o := newFlags("check", stderr, "Usage: fakegraf check [--config telegraf.conf | --data-format F ...] [flags] [FILE ... | -]\n\n"+
		"Runs fakegraf's rules over captured payloads, for CI steps without sockets. Each FILE (default: stdin)\n"+
		"is read as one stream connection and framed as Telegraf frames one (splitting_strategy, read_buffer_size),\n"+
		"or, with --datagrams, as one datagram per line. A FILE that is a tcpdump capture (tcpdump -w, pcap or\n"+
		"pcapng) is read as it arrived: each input's TCP connections and UDP datagrams, selected by port (--config\n"+
		"or --address); connections to an HTTP input (influxdb://, influxdb-v2://, http://) are read request by\n"+
		"request and served to Telegraf's own plugin. A fakegraf capture (listen --capture) is checked as the live\n"+
		"run was, HTTP requests included (its inputs come from the capture). Exit codes as for listen.\n")
	datagrams := fs.String("datagrams", "", "read one datagram per line instead of a stream: lines (each line with its newline) or quoted (each line a quoted string, like the data field of --output json)")
	inputN := fs.Int("input", 1, "with --config: check against the Nth [[inputs.socket_listener]]")
	var captureAddrs listFlag
	fs.Var(&captureAddrs, "address", "with tcpdump captures and no --config: the inputs whose traffic to check, by port, e.g. udp://:8125 or influxdb-v2://:8086 (repeatable; default tcp://:8094 and udp://:8094)")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	// A capture (fakegraf listen --capture) says how it was framed and,
	// unless the command line says otherwise, which inputs it came from.
	hdr, isCapture, err := sniffCapture(files[0])
	if err != nil {
		fmt.Fprintf(stderr, "fakegraf: %v\n", err)
		return exitCannot
	}
	if isCapture {
		if *datagrams != "" {
			fmt.Fprintf(stderr, "fakegraf: %s is a capture, which keeps its own datagram and connection boundaries: drop --datagrams\n", files[0])
			return exitCannot
		}
		var addresses []string
		if !checkChoseInputs(o) {
			if len(hdr.Config) > 0 {
				o.configData, o.config = hdr.Config, hdr.ConfigName
			} else {
				cfs, co := newFlags("check", io.Discard, "")
				rest, err := parseInterleaved(cfs, hdr.Flags)
				if err != nil {
					fmt.Fprintf(stderr, "fakegraf: %s: the capture's flags %q: %v: give check the flags the capture was made with\n", files[0], hdr.Flags, err)
					return exitCannot
				}
				co.output, co.reports, co.quiet, co.color, co.metricsOut = o.output, o.reports, o.quiet, o.color, o.metricsOut
				co.failOn, co.enable, co.disable = o.failOn, o.enable, o.disable
				co.golden, co.update, co.ignoreTags, co.ignoreFields, co.ignoreTimestamps, co.floatTolerance, co.expect =
					o.golden, o.update, o.ignoreTags, o.ignoreFields, o.ignoreTimestamps, o.floatTolerance, o.expect
				o, addresses = co, rest
			}
		}
		sess, err := newSession(o, addresses, stdout, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "fakegraf: %v\n", err)
			return exitCannot
		}
		defer sess.closeFiles()
		return runCheckCaptures(sess, files, stderr)
	}
	// A tcpdump capture (pcap, pcapng): its packets are the traffic.
	captures, err := captureFiles(files)
	if err != nil {
		fmt.Fprintf(stderr, "fakegraf: %v\n", err)
		return exitCannot
	}
	switch {
	case captures && *datagrams != "":
		fmt.Fprintf(stderr, "fakegraf: --datagrams is for text files: a tcpdump capture has its own datagrams and connections; drop it\n")
		return exitCannot
	case captures:
		return checkCaptures(o, captureAddrs, files, stdout, stderr)
	case len(captureAddrs) > 0:
		fmt.Fprintf(stderr, "fakegraf: --address selects traffic from tcpdump captures (pcap, pcapng), and %s is not one: drop --address, or give --data-format and --set for a text file\n", files[0])
		return exitCannot
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
	if in.Statsd != nil {
		// Telegraf's statsd plugin parses and aggregates in its own
		// goroutines behind a socket (statsdin); check reads files and
		// does not run it, so it would store and report nothing true.
		fmt.Fprintf(stderr, "fakegraf: %s: check does not run Telegraf's statsd plugin: serve it with fakegraf listen (--config, or statsd://127.0.0.1:8125) and send the file to it, e.g. nc -u -w1 127.0.0.1 8125 < FILE\n", in.Name)
		return exitCannot
	}
	if in.HTTP() {
		// Telegraf's HTTP inputs decide with the request, not only its
		// body: the path, precision, db or org and bucket, the token,
		// Content-Encoding, max_body_size. A file has none of them, so
		// check would have to make them up and its answer would not be
		// Telegraf's; serving the input and posting the file is.
		fmt.Fprintf(stderr, "fakegraf: %s: check does not send files to Telegraf's HTTP inputs, whose answer depends on the request (path, query, headers), not only its body: serve it with fakegraf listen (--config, or %s) and post the file to it, e.g. %s\n",
			in.Name, httpFlag(in.Kind), httpExample(in.Kind))
		return exitCannot
	}
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

	// Every input is opened and looked at before anything is reported: an
	// empty file, a folder or a binary is a mistake on the command line, not
	// a capture to report on byte by byte.
	text := *datagrams != "" || in.Listen.Split.SplittingStrategy == "" || in.Listen.Split.SplittingStrategy == "newline"
	inputs := make([]checkInput, 0, len(files))
	defer func() {
		for _, ci := range inputs {
			if ci.closer != nil {
				ci.closer.Close()
			}
		}
	}()
	for _, file := range files {
		ci, err := openInput(file, stdin, text)
		inputs = append(inputs, ci) // closed by the deferred function, also on error
		if err != nil {
			fmt.Fprintf(stderr, "fakegraf: %v\n", err)
			return exitCannot
		}
	}
	for i, ci := range inputs {
		name, r := ci.name, ci.r
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
	}
	return sess.finish()
}

// checkInput is one file (or stdin) for check, opened and looked at.
type checkInput struct {
	name   string
	r      io.Reader
	closer io.Closer // nil for stdin
}

// sniffSize is how much of an input check looks at before reading it.
const sniffSize = 8192

// openInput opens a file for check and refuses what cannot be a capture: a
// folder, an empty input, and, when the framing is text (text), a binary
// file. Checking the fakegraf binary gave 37,657 findings; an empty capture
// passed, although the step that wrote it had surely failed.
func openInput(file string, stdin io.Reader, text bool) (checkInput, error) {
	ci := checkInput{name: "stdin", r: stdin}
	what := "stdin"
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return ci, err
		}
		ci = checkInput{name: "file://" + filepath.ToSlash(file), r: f, closer: f}
		what = file
		if st, err := f.Stat(); err == nil && st.IsDir() {
			return ci, fmt.Errorf("%s is a folder: give the capture files in it (%s)", file, filepath.Join(file, "*"))
		}
	}
	br := bufio.NewReaderSize(ci.r, sniffSize)
	ci.r = br
	head, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return ci, fmt.Errorf("%s: %w", what, err)
	}
	if len(head) == 0 {
		return ci, fmt.Errorf("%s is empty: there is nothing to check (did the step that captures the sender's output write anything?)", what)
	}
	if !text {
		return ci, nil
	}
	if bytes.HasPrefix(head, []byte{0x1f, 0x8b}) {
		return ci, fmt.Errorf("%s is gzip-compressed: fakegraf check reads it decompressed (zcat %s | fakegraf check [flags] -)", what, file)
	}
	if why := binary(head); why != "" {
		return ci, fmt.Errorf("%s is not a text capture (%s): fakegraf check reads what a sender writes to a socket_listener (line protocol, JSON, Wavefront); is it the right file?", what, why)
	}
	return ci, nil
}

// binary says why head looks like a binary file rather than text a sender
// would send, or "" when it does not: more than one byte in ten is a
// control character or not UTF-8. A stray NUL or a
// Latin-1 byte in a capture is a sender's mistake that the rules report, so
// a few of them do not make a file binary.
func binary(head []byte) string {
	odd := 0
	for i := 0; i < len(head); {
		r, size := utf8.DecodeRune(head[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			if len(head)-i < utf8.UTFMax && len(head) == sniffSize {
				i = len(head) // a character cut by the end of the sniff
				continue
			}
			odd++
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0x7f:
			odd++
		}
		i += size
	}
	if odd*10 > len(head) {
		return fmt.Sprintf("%d of its first %d bytes are control characters or not UTF-8", odd, len(head))
	}
	return ""
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

// httpFlag is the flag-mode address of an HTTP input of kind k.
func httpFlag(k string) string {
	switch k {
	case setup.InfluxDBListener:
		return "influxdb://127.0.0.1:8086"
	case setup.InfluxDBV2Listener:
		return "influxdb-v2://127.0.0.1:8086"
	}
	return "http://127.0.0.1:8080/telegraf"
}

// httpExample is a curl command that posts FILE as a client of kind k
// would.
func httpExample(k string) string {
	switch k {
	case setup.InfluxDBListener:
		return "curl -i --data-binary @FILE 'http://127.0.0.1:8086/write?db=telegraf'"
	case setup.InfluxDBV2Listener:
		return "curl -i --data-binary @FILE 'http://127.0.0.1:8086/api/v2/write?org=my-org&bucket=my-bucket'"
	}
	return "curl -i --data-binary @FILE http://127.0.0.1:8080/telegraf (the input's service_address and paths)"
}
