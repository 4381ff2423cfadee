package parse

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/fakegraf/fakegraf/listener"
)

// Rules about how records travel: connections, datagrams and framing.

const (
	ruleConnectionChurn   = "connection-churn"
	ruleDatagramTruncated = "datagram-truncated"
	ruleDatagramSplit     = "datagram-split-record"
	ruleCRLF              = "crlf-line-ending"
)

func init() {
	Register(&Rule{
		ID:       ruleConnectionChurn,
		Severity: Warning,
		Title:    "a stream sender opens a new connection for (nearly) every record",
		Doc: "Telegraf accepts every connection in its own goroutine and, with read_buffer_size, sets the " +
			"socket buffer on each (plugins/common/socket/stream.go). A sender that connects, writes one record " +
			"and closes pays a TCP handshake per record, leaves sockets in TIME_WAIT on its side, and runs into " +
			"max_connections and ephemeral-port exhaustion under load; the tutorial warns that opening and " +
			"closing connections is CPU-expensive. The finding comes after 5 connections from one peer that " +
			"carried at most 1.2 records each. fakegraf tracks up to 1024 peers (least recently seen forgotten " +
			"first).",
		Bad:   "for v in values:\n    s = socket.create_connection(addr); s.send(line(v)); s.close()",
		Good:  "s = socket.create_connection(addr)\nfor v in values:\n    s.send(line(v))",
		Check: checkConnectionChurn,
		Cases: []Case{
			{Name: "a connection per record", Config: caseInfluxTCP, Records: caseChurnRecs(5, true), Want: []Want{{"connection-churn", Warning, 0}}},
			{Name: "near miss: one connection", Config: caseInfluxTCP, Records: caseChurnRecs(5, false)},
		},
	})
	Register(&Rule{
		ID:       ruleDatagramTruncated,
		Severity: Error,
		Title:    "a datagram cut at the read buffer, or larger than a network path carries whole",
		Doc: "Telegraf reads a datagram into a 64 KiB buffer, or read_buffer_size on unixgram " +
			"(plugins/common/socket/datagram.go); the kernel silently cuts off what does not fit, and the parser " +
			"gets the stump (telegraf#16118): an error. A UDP datagram over 1472 bytes (1452 on IPv6) does not " +
			"fit one 1500-byte Ethernet frame, so IP fragments it, and losing any fragment loses the datagram: a " +
			"warning for peers that are not on loopback.",
		Bad:   "one unixgram datagram of 100 000 bytes, read_buffer_size unset",
		Good:  "read_buffer_size = \"1MiB\"   # or send smaller datagrams",
		Check: checkDatagramTruncated,
		CheckTransport: func(ctx *TransportContext) {
			if errors.Is(ctx.Event.Err, listener.ErrPacketTruncated) {
				ctx.Report(ctx.Event.Err.Error()+": Telegraf reads unixpacket as a stream and loses the cut-off bytes without a word",
					"send messages of at most 4 KiB, or use a unix stream socket (unix://) with newline-terminated records")
			}
		},
		Cases: []Case{
			{Name: "cut at the buffer", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1\ncpu v=2∑", Truncated: true}}, Want: []Want{{"datagram-truncated", Error, 1}}},
			{Name: "over the path MTU", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu s=\"" + strings.Repeat("x", 1465) + "∑" + strings.Repeat("x", 35) + "\"\n", Peer: "192.0.2.10:5000"}}, Want: []Want{{"datagram-truncated", Warning, 1}}},
			{Name: "near miss: large on loopback", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu s=\"" + strings.Repeat("x", 1500) + "\"\n"}}},
			{Name: "near miss: 1472 bytes", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu s=\"" + strings.Repeat("x", 1472-9) + "\"\n", Peer: "192.0.2.10:5000"}}},
		},
	})
	Register(&Rule{
		ID:       ruleDatagramSplit,
		Severity: Error,
		Title:    "a record split across two datagrams",
		Doc: "Telegraf parses every datagram on its own and never joins two (plugins/common/socket/datagram.go), " +
			"unlike a stream, where records are framed by newlines. A sender that writes one record with two " +
			"sendto calls, or cuts a batch at a fixed size, gives two fragments: each fails to parse, or the " +
			"first one parses without its timestamp (so it gets the receive time) and the second fails. " +
			"fakegraf remembers the last datagram of up to 256 peers to find the pair.",
		Bad:   "sock.sendto(b\"cpu value=1 \", addr); sock.sendto(b\"1700000000000000000\\n\", addr)",
		Good:  "sock.sendto(b\"cpu value=1 1700000000000000000\\n\", addr)",
		Check: checkDatagramSplit,
		Cases: []Case{
			{Name: "timestamp in the next datagram", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu value=1 "}, {Data: "∑{now_ns}\n"}}, Want: []Want{{"datagram-split-record", Error, 1}, {"parse-error", Error, AnyPos}}},
			{Name: "json cut in two", Config: caseJSONOverride, Records: []Rec{{Data: `{"value1": 10, `}, {Data: `∑"value2": 3}`}}, Want: []Want{{"datagram-split-record", Error, 1}, {"parse-error", Error, AnyPos}}},
			{Name: "near miss: a whole line, then garbage", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu value=1\n"}, {Data: "1700000000\n"}}, Want: []Want{{"parse-error", Error, AnyPos}}},
			{Name: "near miss: another peer", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu value=1 "}, {Data: "{now_ns}\n", Peer: "127.0.0.1:40001"}}, Want: []Want{{"parse-error", Error, AnyPos}}},
		},
	})
	Register(&Rule{
		ID:       ruleCRLF,
		Severity: Error,
		Title:    "Windows line endings (\\r\\n) that Telegraf's wavefront parser rejects",
		Doc: "On stream sockets bufio.ScanLines drops the \\r of a \\r\\n, and the influx and json parsers " +
			"accept it. In a datagram, or with another splitting_strategy, Telegraf's wavefront parser gets the " +
			"\\r and fails with \"found \\\"\\r\\\", expected equals\" (plugins/parsers/wavefront/parser.go), losing " +
			"the whole record.",
		Bad:   "prefix_metric_name.value1 10 1700000000 source=localhost\\r\\n   (one UDP datagram)",
		Good:  "prefix_metric_name.value1 10 1700000000 source=localhost\\n",
		Check: checkCRLF,
		Cases: []Case{
			{Name: "wavefront datagram", Config: caseWavefrontUDP, Records: []Rec{{Data: "a.b 10 {now_s} source=a∑\r\n"}}, Want: []Want{{"crlf-line-ending", Error, 1}, {"parse-error", Error, AnyPos}}},
			{Name: "near miss: influx datagram", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu v=1\r\n"}}},
		},
	})
}

// --- connection-churn -------------------------------------------------------

type churn struct {
	conns, records int
	lastConn       uint64
	reported       bool
}

// churnPeers bounds the memory of connection-churn; 1024 peers of a few
// words each.
const (
	churnPeers    = 1024
	churnMinConns = 5
)

// churnState is connection-churn's memory: the senders' hosts, and the
// last connection seen, which most records share.
type churnState struct {
	peers    *lru[string, *churn]
	lastConn uint64
	last     *churn
}

// peerHost is the peer without its port: a sender's connections come from
// new ports each time.
func peerHost(peer string) string {
	if h, _, err := net.SplitHostPort(peer); err == nil {
		return h
	}
	return peer
}

func checkConnectionChurn(ctx *Context) {
	rec := ctx.Record
	if !rec.Stream || rec.Conn == 0 {
		return
	}
	st := stateOf(ctx.State, ruleConnectionChurn, func() *churnState { return &churnState{peers: newLRU[string, *churn](churnPeers)} })
	if rec.Conn == st.lastConn && st.last != nil {
		// Another record on the connection just seen: no new connection,
		// and more records only take the peer further from a finding.
		st.last.records++
		return
	}
	host := peerHost(rec.Peer)
	c, ok := st.peers.Get(host)
	if !ok {
		c = &churn{}
		st.peers.Put(host, c)
	}
	st.lastConn, st.last = rec.Conn, c
	c.records++
	if rec.Conn > c.lastConn {
		// Connection numbers grow on a listener: a higher one is a new
		// connection (interleaved old ones are not counted twice).
		c.conns++
		c.lastConn = rec.Conn
	}
	if c.reported || c.conns < churnMinConns || c.records*10 > c.conns*12 {
		return
	}
	c.reported = true
	who := fmt.Sprintf("peer %s", host)
	if strings.HasPrefix(rec.Listener, "unix") {
		who = "the senders on this unix socket"
	}
	ctx.Report(fmt.Sprintf("%s opened %d connections for %d records: a connection per record costs a handshake each time and wears out ports and max_connections under load",
		who, c.conns, c.records),
		Position{},
		"open the connection once, outside the send loop, and reuse it for every record",
		"reconnect only when a send fails")
}

// --- datagram-truncated -----------------------------------------------------

func checkDatagramTruncated(ctx *Context) {
	rec := ctx.Record
	if rec.Stream {
		return
	}
	if rec.Truncated {
		fixes := []string{"send smaller datagrams: split a batch into several sends"}
		if strings.HasPrefix(rec.Listener, "unixgram") {
			fixes = append([]string{fmt.Sprintf("set read_buffer_size larger than the largest datagram in %s (e.g. read_buffer_size = \"1MiB\"; now %d bytes)", section(ctx), rec.Size)}, "or "+fixes[0])
		}
		ctx.Report(fmt.Sprintf("the datagram filled the %d-byte read buffer: the kernel cut off the rest and Telegraf parses only what fit", rec.Size),
			OffsetPosition(rec.Data, len(rec.Data)), fixes...)
		return
	}
	if !strings.HasPrefix(rec.Listener, "udp") {
		return
	}
	ip := net.ParseIP(peerHost(rec.Peer))
	if ip == nil || ip.IsLoopback() {
		return
	}
	limit := 1472
	if ip.To4() == nil {
		limit = 1452
	}
	if rec.Size <= limit {
		return
	}
	ctx.ReportAs(Warning, fmt.Sprintf("the datagram is %d bytes, more than the %d that fit one 1500-byte Ethernet frame: IP fragments it, and losing any fragment loses the whole datagram", rec.Size, limit),
		OffsetPosition(rec.Data, min(limit, len(rec.Data))),
		fmt.Sprintf("send fewer records per datagram, at most %d bytes each", limit),
		"or send large batches over a stream socket (tcp://)")
}

// --- datagram-split-record --------------------------------------------------

type lastDatagram struct {
	seq    uint64
	data   []byte
	failed bool
}

// splitPeers and splitBytes bound the memory of datagram-split-record: the
// last datagram, up to 8 KiB, of up to 256 peers.
const (
	splitPeers = 256
	splitBytes = 8 * 1024
)

func checkDatagramSplit(ctx *Context) {
	rec := ctx.Record
	if rec.Stream || ctx.Format == "value" {
		return
	}
	peers := stateOf(ctx.State, ruleDatagramSplit, func() *lru[string, *lastDatagram] { return newLRU[string, *lastDatagram](splitPeers) })
	key := rec.Peer
	prev, _ := peers.Get(key)
	if prev != nil && splitFrom(ctx, prev) {
		ctx.Report(fmt.Sprintf("this datagram continues the previous one from the same peer (#%d): Telegraf parses every datagram alone, so the record was split and lost", prev.seq),
			Position{Offset: 0, Line: 1, Column: 1},
			"send every record whole in one datagram: build the complete line, then call sendto once",
			"to keep datagrams small, send fewer records per datagram, never part of one")
	}
	switch {
	case len(rec.Data) > splitBytes:
		peers.Put(key, nil)
	case prev != nil: // reuse the peer's entry and buffer: no allocation per datagram
		prev.seq, prev.data, prev.failed = rec.Seq, append(prev.data[:0], rec.Data...), ctx.Err != nil
	default:
		peers.Put(key, &lastDatagram{seq: rec.Seq, data: append([]byte{}, rec.Data...), failed: ctx.Err != nil})
	}
}

// splitFrom reports whether the record parses when joined to the previous
// datagram of its peer, which was cut or failed.
func splitFrom(ctx *Context, prev *lastDatagram) bool {
	if ctx.Err == nil && !prev.failed {
		return false
	}
	trimmed := bytes.TrimRight(prev.data, " \t")
	if !prev.failed && (len(trimmed) == 0 || trimmed[len(trimmed)-1] == '\n') {
		return false // the previous datagram was whole
	}
	joined := append(append([]byte{}, prev.data...), ctx.Record.Data...)
	ms, err := safeParse(ctx.Stage.Parser, joined)
	return err == nil && len(ms) > 0
}

// --- crlf-line-ending -------------------------------------------------------

func checkCRLF(ctx *Context) {
	if ctx.Err == nil || ctx.Format != "wavefront" || !wavefrontFoundCR(ctx.Err) {
		return
	}
	i := bytes.Index(ctx.Record.Data, []byte("\r"))
	if i < 0 {
		return
	}
	ctx.Report("the line ends in \"\\r\\n\": Telegraf's wavefront parser takes the \\r for part of the point and rejects the record",
		OffsetPosition(ctx.Record.Data, i),
		`end every line with "\n" alone (in Python, open files and sockets with newline="\n"; don't write "\r\n")`)
}

// --- missing-newline, for line formats --------------------------------------

// gluedLines finds line-protocol or Wavefront records written without the
// newline between them: split at every later occurrence of the first
// record's name (up to and with its last '.'), every piece parses. It returns the
// number of records and the offset of the second.
func gluedLines(ctx *Context) (int, int) {
	data := bytes.TrimSpace(ctx.Record.Data)
	lead := len(ctx.Record.Data) - len(bytes.TrimLeft(ctx.Record.Data, " \t\r\n"))
	end := bytes.IndexAny(data, " ,\t")
	if end <= 0 {
		return 0, 0
	}
	name := data[:end]
	if i := bytes.LastIndexByte(name, '.'); i > 0 {
		name = name[:i+1] // prefix.value1, prefix.value2: the common part
	}
	if len(name) < 2 {
		return 0, 0
	}
	var cuts []int
	for from := 1; len(cuts) < 64; {
		i := bytes.Index(data[from:], name)
		if i < 0 {
			break
		}
		at := from + i
		if c := data[at-1]; c != ' ' && c != '\t' && c != ',' && c != '=' && c != '\n' {
			cuts = append(cuts, at)
		}
		from = at + 1
	}
	if len(cuts) == 0 {
		return 0, 0
	}
	start := 0
	for _, c := range append(cuts, len(data)) {
		ms, err := safeParse(ctx.Stage.Parser, data[start:c])
		if err != nil || len(ms) == 0 {
			return 0, 0
		}
		start = c
	}
	return len(cuts) + 1, lead + cuts[0]
}

// checkGluedLines is missing-newline's check for line protocol and
// Wavefront on streams (rules_core.go handles JSON).
func checkGluedLines(ctx *Context) {
	if !isInflux(ctx.Format) && ctx.Format != "wavefront" {
		return
	}
	if n, second := gluedLines(ctx); n > 1 {
		ctx.Report(fmt.Sprintf("%d records glued into one line with no newline between them: Telegraf rejects all of them", n),
			OffsetPosition(ctx.Record.Data, second),
			`append "\n" after every record`)
	}
}
