package parse

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/klauspost/pgzip"

	"github.com/fakegraf/fakegraf/listener"
)

const (
	ruleParseError     = "parse-error"
	ruleMissingNewline = "missing-newline"
	ruleDetected       = "data-format-detected"
)

func init() {
	Register(&Rule{
		ID:       ruleParseError,
		Severity: Error,
		Title:    "Telegraf's parser rejects the record",
		Doc: "socket_listener hands each record (a datagram, or one line of a stream) to the parser in one " +
			"Parse call and, on an error, logs it and drops the whole record " +
			"(plugins/inputs/socket_listener/socket_listener.go onData). The influx and wavefront parsers stop " +
			"at the first bad line (plugins/parsers/influx/parser.go Parse), so one bad line in a datagram loses " +
			"every good line sent with it. The finding carries Telegraf's own message and counts the good " +
			"metrics that went down with the bad line.",
		Bad:   "cpu,host=a usage=1\ncpu host=b usage=2\n   (one datagram)",
		Good:  "cpu,host=a usage=1\ncpu,host=b usage=2\n",
		Check: checkParseError,
		Cases: []Case{
			{Name: "influx field without a value", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu usage=∑\n"}}, Want: []Want{{"parse-error", Error, 1}}},
			{Name: "near miss: valid line protocol", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu usage=1\n"}}},
		},
	})
	Register(&Rule{
		ID:       ruleMissingNewline,
		Severity: Error,
		Title:    "stream records glued together, or the last one left without its terminator",
		Doc: "On tcp and unix sockets Telegraf splits the byte stream with bufio.ScanLines (or the configured " +
			"splitting_strategy, plugins/common/socket/splitters.go). A sender that writes records without a " +
			"terminator glues them into one record, which the parser rejects (JSON: \"invalid character '{' " +
			"after top-level value\"), and every metric in it is lost: an error. A final record without its " +
			"terminator is not lost but is delivered only when the connection closes, so it shows up late or, " +
			"with read_timeout, cut short: a warning. Datagram sockets (udp, unixgram) are never checked: a " +
			"datagram is a whole record.",
		Bad:   `sock.send(json.dumps(data).encode())   # {"a":1}{"a":2} on the wire`,
		Good:  `sock.send((json.dumps(data) + "\n").encode())`,
		Check: checkMissingNewline,
		Cases: []Case{
			{Name: "influx records glued", Config: caseInfluxTCP, Records: []Rec{{Data: "good_metric_name,format=influxline value1=10,value2=5∑good_metric_name,format=influxline value1=10,value2=7"}}, Want: []Want{{"missing-newline", Error, 1}, {"parse-error", Error, AnyPos}}},
			{Name: "wavefront records glued", Config: caseWavefrontTCP, Records: []Rec{{Data: "prefix_metric_name.value1 10 {now_s} source=localhost format=\"wavefront\"∑prefix_metric_name.value2 3 {now_s} source=localhost format=\"wavefront\""}}, Want: []Want{{"missing-newline", Error, 1}, {"parse-error", Error, AnyPos}}},
			{Name: "near miss: pretty json is not glued", Config: caseJSONTCP, Records: []Rec{{Data: `  "a": 1,`}}, Want: []Want{{"parse-error", Error, AnyPos}}},
		},
	})
	Register(&Rule{
		ID:       ruleDetected,
		Severity: Info,
		Title:    "data format detected (--data-format auto): the config a real Telegraf needs",
		Doc: "With --data-format auto fakegraf works out per record whether it is JSON, influx line protocol " +
			"or Wavefront and parses it with that Telegraf parser and its defaults. A real Telegraf parses " +
			"every record on a socket_listener with the one data_format its config names (default influx, " +
			"config/config.go setDefaultParser), so this finding gives the config snippet that accepts what " +
			"the sender sends. It is reported once per listener and format.",
		Bad:  "[[inputs.socket_listener]]\n  service_address = \"udp://:8094\"\n  # data_format missing: influx is assumed",
		Good: "[[inputs.socket_listener]]\n  service_address = \"udp://:8094\"\n  data_format = \"json\"",
		Cases: []Case{
			{Name: "json in auto mode", Config: caseAuto, Records: []Rec{{Data: `{"v": 1}`}}, Want: []Want{{"data-format-detected", Info, 0}}},
			{Name: "near miss: a configured data_format", Config: caseJSONOverride, Records: []Rec{{Data: `{"v": 1}`}}},
		},
		Check: func(ctx *Context) {
			if !ctx.Auto || ctx.Err != nil {
				return
			}
			seen := stateOf(ctx.State, ruleDetected, func() map[string]bool { return map[string]bool{} })
			if seen[ctx.Format] {
				return
			}
			seen[ctx.Format] = true
			snippet := fmt.Sprintf("[[inputs.socket_listener]]\n  service_address = %q\n  data_format = %q", ctx.Pipeline.Listener, ctx.Format)
			if ctx.Format == "json" {
				if key := jsonNameCandidate(ctx.Record.Data); key != "" {
					snippet += fmt.Sprintf("\n  json_name_key = %q", key)
				}
			}
			ctx.Report(fmt.Sprintf("records on this socket are %s; a real Telegraf needs data_format = %q", formatTitle(ctx.Format), ctx.Format),
				Position{}, "use this in telegraf.conf:\n"+snippet)
		},
	})
}

func formatTitle(f string) string {
	switch f {
	case "json":
		return "JSON"
	case "influx":
		return "influx line protocol"
	case "wavefront":
		return "Wavefront"
	}
	return f
}

// jsonNameCandidate finds a string member that looks like it names the
// measurement, for the json_name_key suggestion.
func jsonNameCandidate(data []byte) string {
	var obj map[string]interface{}
	if json.Unmarshal(bytes.TrimSpace(data), &obj) != nil {
		return ""
	}
	for _, k := range []string{"metric_name", "measurement", "metric", "name"} {
		if _, ok := obj[k].(string); ok {
			return k
		}
	}
	return ""
}

// wavefrontErrorPosition finds where Telegraf's wavefront parser stopped.
// Its errors carry no position (plugins/parsers/wavefront/element.go).
// The parser reads the record line by line, each on its own, and stops at
// the first line that fails (parser.go Parse), so fakegraf finds that line
// by parsing line by line, then the token the error names after the metric
// name, where the parser was when it failed.
func wavefrontErrorPosition(ctx *Context) Position {
	data := ctx.Record.Data
	f := wavefrontFailureOf(ctx.Err)
	for start := 0; start < len(data); {
		end := bytes.IndexByte(data[start:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += start
		}
		line := data[start:end]
		if len(bytes.TrimSpace(line)) > 0 {
			if _, err := safeParse(ctx.Stage.Parser, line); err != nil {
				return OffsetPosition(data, start+wavefrontErrorColumn(line, f))
			}
		}
		start = end + 1
	}
	return Position{}
}

// wavefrontErrorColumn is the offset in one line of the token a failure of
// Telegraf's wavefront parser names, or 0 (the start of the line). The
// line's tokens are lexWavefront's (wfTokens), quotes grouping as the
// parser groups them.
func wavefrontErrorColumn(line []byte, f wavefrontFailure) int {
	toks := wfTokens(line, 0)
	nameEnd := len(line)
	if len(toks) > 0 {
		nameEnd = toks[0].Off + len(toks[0].Text)
	}
	switch f.Kind {
	case wfEOF:
		return len(bytes.TrimRight(line, " \t\r")) // the line ended where the parser wanted a value
	case wfDeltaInName:
		return max(bytes.Index(line[:nameEnd], []byte("\u2206")), bytes.Index(line[:nameEnd], []byte("\u0394")), 0)
	case wfQuoteInLiteral:
		return max(bytes.LastIndexByte(line[:nameEnd], '"'), 0)
	case wfBadTimestamp:
		if len(toks) > 2 {
			return toks[2].Off
		}
		return 0
	case wfBadValue, wfFound:
	default:
		return 0
	}
	if strings.TrimSpace(f.Found) != "" {
		if i := bytes.Index(line[nameEnd:], []byte(f.Found)); i >= 0 {
			return nameEnd + i
		}
	}
	if f.Kind == wfBadValue && f.Found == "" {
		// The scanner ended the name at a character it does not take
		// (':' or '|' from statsd habits) and found no value there.
		if i := bytes.IndexAny(line[:nameEnd], ":|"); i >= 0 {
			return i
		}
		return nameEnd
	}
	switch f.Want {
	case "equals":
		// The first token after the value that is neither a timestamp nor
		// key=value: a tag without its '='.
		for _, t := range toks[min(2, len(toks)):] {
			if w := strings.TrimRight(t.Text, "\r"); !strings.Contains(w, "=") && !isDigits(w) {
				return t.Off
			}
		}
	case "quotes":
		if i := bytes.LastIndexByte(line, '"'); i >= 0 {
			return i
		}
	}
	return len(bytes.TrimRight(line, " \t\r\n"))
}

func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(s) > 0
}

// OffsetPosition turns a byte offset into a position with line and column.
func OffsetPosition(data []byte, off int) Position {
	off = min(max(off, 0), len(data))
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - (bytes.LastIndexByte(data[:off], '\n') + 1) + 1
	return Position{Offset: off, Line: line, Column: col}
}

// LinePosition turns a line and column into a position with a byte offset.
func LinePosition(data []byte, line, col int) Position {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			break
		}
		off += i + 1
	}
	return Position{Offset: min(off+max(col-1, 0), len(data)), Line: line, Column: col}
}

func checkParseError(ctx *Context) {
	if ctx.Err == nil {
		return
	}
	pos := ErrorPosition(ctx.Record.Data, ctx.Err)
	if pos == (Position{}) && ctx.Format == "wavefront" {
		pos = wavefrontErrorPosition(ctx)
	}
	msg := ctx.Err.Error()
	good, lines := salvage(ctx)
	var fixes []string
	if good > 0 {
		msg += fmt.Sprintf(" (%d good metric(s) in the same record were lost with it)", good)
		fixes = append(fixes, "fix the bad line: Telegraf drops the whole record when one line in it is bad")
	}
	if lines > 1 && !ctx.Record.Stream {
		fixes = append(fixes, "send one record per datagram, so that a bad one loses only itself")
	}
	if len(fixes) == 0 {
		fixes = append(fixes, fmt.Sprintf("make the record valid %s", formatTitle(ctx.Format)))
	}
	ctx.Report(msg, pos, fixes...)
}

// salvage parses a failed multi-line record line by line and counts the
// metrics the good lines would have given: what the bad line cost.
func salvage(ctx *Context) (good, lines int) {
	data := ctx.Record.Data
	if ctx.Format == "value" || !bytes.Contains(bytes.TrimSpace(data), []byte("\n")) {
		return 0, 1
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		lines++
		ms, err := safeParse(ctx.Stage.Parser, line)
		if err == nil {
			good += len(ms)
		}
	}
	return good, lines
}

func checkMissingNewline(ctx *Context) {
	rec := ctx.Record
	if !rec.Stream {
		return
	}
	if !rec.Terminated && len(bytes.TrimSpace(rec.Data)) > 0 {
		ctx.ReportAs(Warning,
			"the last record on the connection had no terminator: Telegraf got it only when the connection closed",
			OffsetPosition(rec.Data, len(rec.Data)),
			`append "\n" after every record, the last one too`)
	}
	if ctx.Err == nil {
		return
	}
	checkGluedLines(ctx) // rules_transport.go: the same for line protocol and Wavefront
	if ctx.Format == "json" && isJSONSyntaxError(ctx.Err) {
		// Two whole values are what json.Unmarshal rejects with "invalid
		// character ... after top-level value".
		n, second := countJSONValues(rec.Data)
		if n < 2 {
			return // one line of a pretty-printed document: json-multiline
		}
		ctx.Report(fmt.Sprintf("%d JSON documents glued into one record with no newline between them: Telegraf rejects all of them", n),
			OffsetPosition(rec.Data, second),
			`append "\n" after every JSON document (json.dumps(data) + "\n")`)
	}
}

// countJSONValues counts the top-level JSON values in data and returns the
// offset where the second one starts.
func countJSONValues(data []byte) (n, second int) {
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		var v json.RawMessage
		start := dec.InputOffset()
		if err := dec.Decode(&v); err != nil {
			return n, second
		}
		n++
		if n == 2 {
			second = int(start)
			// InputOffset is the end of the previous value; skip blanks.
			for second < len(data) && (data[second] == ' ' || data[second] == '\t' || data[second] == '\r' || data[second] == '\n') {
				second++
			}
		}
	}
}

const (
	ruleSourceNotAllowed = "source-not-allowed"
	ruleLineTooLong      = "line-too-long"
	ruleSocketError      = "socket-error"
	ruleMaxConnection    = "max-connections"
)

func init() {
	Register(&Rule{
		ID:       ruleLineTooLong,
		Severity: Error,
		Title:    "a stream record at or over Telegraf's scanner limit",
		Doc: "Telegraf reads stream sockets with a bufio.Scanner whose buffer is 64 KiB, or read_buffer_size " +
			"when that is larger (plugins/common/socket/stream.go read). A record that does not fit fails with " +
			"\"bufio.Scanner: token too long\"; Telegraf closes the connection with the rest of its data unread, " +
			"so the sender sees \"connection reset by peer\" and every later record on that connection is lost.",
		Bad:  "one JSON document of 100 000 bytes on a line, read_buffer_size unset",
		Good: "read_buffer_size = \"1MiB\"   # in [[inputs.socket_listener]], or send smaller records",
		Check: func(ctx *Context) {
			// The error itself comes from the socket (SocketDiagnostic);
			// here a record within 20 % of the limit gets a warning while
			// it still fits.
			limit := ctx.Stage.ScanLimit
			if !ctx.Record.Stream || limit <= 0 || ctx.Record.Size*5 < limit*4 {
				return
			}
			ctx.ReportAs(Warning, fmt.Sprintf("the record is %d bytes, %d%% of the %d bytes Telegraf's scanner holds: a little longer and Telegraf resets the connection and loses the rest of it",
				ctx.Record.Size, ctx.Record.Size*100/limit, limit),
				OffsetPosition(ctx.Record.Data, len(ctx.Record.Data)),
				fmt.Sprintf("set read_buffer_size above the longest record you will send (e.g. read_buffer_size = \"%dKiB\"), or send shorter records", 2*limit/1024))
		},
		CheckTransport: func(ctx *TransportContext) {
			if errors.Is(ctx.Event.Err, bufio.ErrTooLong) {
				ctx.Report(ctx.Event.Err.Error()+": Telegraf reset the connection and lost the rest of its data",
					"set read_buffer_size larger than the longest record (e.g. read_buffer_size = \"1MiB\"), or send shorter records")
			}
		},
		Cases: []Case{
			{Name: "a record at 92% of the 64 KiB limit", Config: caseInfluxTCP, Records: []Rec{{Data: "cpu s=\"" + strings.Repeat("x", 60000) + "\"∑"}}, Want: []Want{{"line-too-long", Warning, 1}}},
			{Name: "near miss: 61% of the limit", Config: caseInfluxTCP, Records: []Rec{{Data: "cpu s=\"" + strings.Repeat("x", 40000) + "\""}}},
			{Name: "near miss: read_buffer_size raises the limit", Config: caseInfluxTCP + "\n" + `read_buffer_size = "1MiB"`, Records: []Rec{{Data: "cpu s=\"" + strings.Repeat("x", 60000) + "\""}}},
		},
	})
	Register(&Rule{
		ID:       ruleMaxConnection,
		Severity: Error,
		Title:    "a stream connection refused because max_connections were open",
		Doc: "With max_connections set, Telegraf accepts a connection over the limit and closes it at once " +
			"(plugins/common/socket/stream.go setupConnection). The sender's writes may still succeed, so its " +
			"data is lost without an error on its side.",
		Bad:  "100 senders each holding a connection open, max_connections = 50",
		Good: "raise max_connections, or have senders share and reuse connections",
		Cases: []Case{
			{Name: "refused", Config: caseInfluxTCP + "\nmax_connections = 1",
				Transport: fmt.Errorf("unable to accept connection from %q: %w", "127.0.0.1:40000", listener.ErrTooManyConnections), Want: []Want{{"max-connections", Error, 0}}},
			{Name: "near miss: another socket error", Config: caseInfluxTCP, Transport: errors.New("accept: too many open files"), Want: []Want{{"socket-error", Error, 0}}},
		},
		CheckTransport: func(ctx *TransportContext) {
			if errors.Is(ctx.Event.Err, listener.ErrTooManyConnections) {
				ctx.Report(ctx.Event.Err.Error(), "raise max_connections, or reuse one connection per sender")
			}
		},
	})
	Register(&Rule{
		ID:       ruleSourceNotAllowed,
		Severity: Warning,
		Title:    "data from a sender that allowed_sources does not list",
		Doc: "With allowed_sources set, Telegraf closes a stream connection from any other address without " +
			"reading it and drops such datagrams, logging at most a debug line " +
			"(plugins/common/socket/stream.go listenData, datagram.go listenData). The sender sees its writes " +
			"succeed. On unix sockets every connection is refused, because a unix peer has no IP address.",
		Bad:  "allowed_sources = [\"10.0.0.5\"], and the sender runs on 10.0.0.6",
		Good: "allowed_sources = [\"10.0.0.5\", \"10.0.0.6\"]",
		Cases: []Case{
			{Name: "connection refused", Config: caseInfluxTCP + "\nallowed_sources = [\"10.9.9.9\"]",
				Transport: fmt.Errorf("%w: connection from 127.0.0.1:40000 closed unread", listener.ErrSourceNotAllowed), Want: []Want{{"source-not-allowed", Warning, 0}}},
			{Name: "near miss: a refusal by max_connections", Config: caseInfluxTCP,
				Transport: fmt.Errorf("unable to accept connection from %q: %w", "127.0.0.1:40000", listener.ErrTooManyConnections), Want: []Want{{"max-connections", Error, 0}}},
		},
		CheckTransport: func(ctx *TransportContext) {
			if errors.Is(ctx.Event.Err, listener.ErrSourceNotAllowed) {
				ctx.Report(ctx.Event.Err.Error()+": Telegraf drops it without an error (a debug log line at most)",
					"add the sender's address to allowed_sources, or remove allowed_sources to accept every sender")
			}
		},
	})
	Register(&Rule{
		ID:       ruleSocketError,
		Severity: Error,
		Title:    "Telegraf's socket code reported an error",
		Doc: "Errors that Telegraf's socket_listener logs while reading (a decoder that fails on the " +
			"content_encoding, a connection from a source it cannot check, a failed accept). The data of that " +
			"connection or datagram is lost.",
		Bad:            "content_encoding = \"gzip\" with a sender that sends plain text",
		Good:           "match content_encoding to what the sender sends",
		CheckTransport: checkSocketError,
		Cases: []Case{
			{Name: "plain text to a gzip socket", Config: caseInfluxTCP + "\ncontent_encoding = \"gzip\"",
				Transport: fmt.Errorf("creating decoder failed: %w", pgzip.ErrHeader), Want: []Want{{"socket-error", Error, 0}}},
			{Name: "near miss: a line too long has its own rule", Config: caseInfluxTCP,
				Transport: bufio.ErrTooLong, Want: []Want{{"line-too-long", Error, 0}}},
		},
	})
}

// RuleKernelDrops is the ID of the finding for datagrams the kernel dropped.
const RuleKernelDrops = "udp-kernel-drops"

func init() {
	Register(&Rule{
		ID:       RuleKernelDrops,
		Severity: Error,
		Title:    "the kernel dropped datagrams because the socket's receive buffer was full",
		Doc: "A UDP sender faster than the reader fills the socket's receive buffer, and the kernel drops " +
			"what does not fit. Telegraf never sees those datagrams and logs nothing " +
			"(plugins/common/socket/datagram.go reads only what the kernel kept); read_buffer_size sets " +
			"SO_RCVBUF, capped by net.core.rmem_max, and the socket_listener README recommends raising both. " +
			"fakegraf reads the drops column of /proc/net/udp for its own sockets (Linux).",
		Bad:  "100 000 datagrams a second into a socket_listener with the default 208 KiB buffer",
		Good: "read_buffer_size = \"8MiB\"   # and: sysctl -w net.core.rmem_max=8388608",
		Cases: []Case{
			{Name: "dropped", Config: caseInfluxUDP, Transport: listener.ErrKernelDrops, Want: []Want{{"udp-kernel-drops", Error, 0}}},
			{Name: "near miss: refused source", Config: caseInfluxUDP,
				Transport: fmt.Errorf("%w: datagram from 127.0.0.1:40000 dropped", listener.ErrSourceNotAllowed), Want: []Want{{"source-not-allowed", Warning, 0}}},
		},
		CheckTransport: func(ctx *TransportContext) {
			ev := ctx.Event
			if !errors.Is(ev.Err, listener.ErrKernelDrops) {
				return
			}
			ctx.Report(fmt.Sprintf("the kernel dropped %d datagram(s) (%d in all) because the socket's receive buffer was full: Telegraf would never see them", ev.Dropped, ev.Total),
				`set read_buffer_size = "8MiB" on this socket_listener, and raise the kernel's cap: sysctl -w net.core.rmem_max=8388608`,
				"or send fewer, larger datagrams (several lines per datagram), or use a stream socket")
		},
	})
}

// checkSocketError reports the socket errors no other rule claims: each
// sentinel below has a rule of its own.
func checkSocketError(ctx *TransportContext) {
	err := ctx.Event.Err
	for _, claimed := range []error{bufio.ErrTooLong, listener.ErrTooManyConnections, listener.ErrSourceNotAllowed,
		listener.ErrPacketTruncated, listener.ErrKernelDrops} {
		if err == nil || errors.Is(err, claimed) {
			return
		}
	}
	fixes := []string{"make the sender's transport match this socket_listener (address, TLS, content_encoding): Telegraf loses the data that hit this error"}
	// Stream sockets decode with pgzip, datagrams with klauspost's gzip
	// (Telegraf's internal/content_coding.go): each has its own ErrHeader.
	if errors.Is(err, pgzip.ErrHeader) || errors.Is(err, kgzip.ErrHeader) {
		fixes = []string{"the data is not gzip: remove content_encoding, or have the sender compress"}
	}
	ctx.Report(err.Error(), fixes...)
}
