package statsdin

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/inputs/statsd"

	"github.com/fakegraf/fakegraf/accum"
	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/setup"
)

// maxInFlight is how many datagrams may be on their way to the plugin: a
// few, so that even small datagrams, which cost the kernel far more than
// their size, never fill the loopback socket's default buffer.
const maxInFlight = 16

// recentCap is how many recent lines a log message can be matched to.
const recentCap = 4096

// Plugin is one running [[inputs.statsd]]: Telegraf's plugin on loopback,
// fed by fakegraf's listener through Handler.
type Plugin struct {
	sd     *statsd.Statsd
	udp    bool
	addr   string   // the plugin's own socket, on loopback
	out    net.Conn // UDP: the socket that sends datagrams on to the plugin
	report func(listener.Transport)

	mu     sync.Mutex
	url    string
	conns  map[uint64]net.Conn // TCP: the upstream connection of each client connection
	recent []entry             // a ring of the lines sent on, for the log's messages
	next   int

	sent     atomic.Int64 // datagrams (UDP) or non-empty lines (TCP) sent on
	baseRecv int64        // the plugin's counters at Start (selfstat shares them by address)
	baseDrop int64

	barrier     string
	barrierSeen atomic.Int64
}

// entry is a line sent on to the plugin: where it came from, and the text
// the plugin's messages quote.
type entry struct {
	line, key string
	seq, conn uint64
	peer      string
	claimed   uint16 // the message kinds already matched to it
}

// Start starts Telegraf's plugin on a free loopback port. report receives
// the plugin's log messages as transport events (Err a *parse.PluginLog),
// from the plugin's goroutines.
func Start(in *setup.Input, report func(listener.Transport)) (*Plugin, error) {
	sd := in.Statsd.Plugin
	p := &Plugin{
		sd:      sd,
		udp:     strings.HasPrefix(sd.Protocol, "udp"),
		report:  report,
		conns:   map[uint64]net.Conn{},
		recent:  make([]entry, 0, 64),
		barrier: fmt.Sprintf("fakegraf-drain-%p", sd),
	}
	sd.Log = logger{p: p}
	var err error
	for range 5 {
		// selfstat registers the plugin's counters under its
		// service_address: a port of its own keeps them apart from other
		// statsd inputs in this process.
		if sd.ServiceAddress, err = freeLoopback(sd.Protocol, p.udp); err != nil {
			return nil, err
		}
		if err = sd.Start(accum.New()); err == nil || !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("starting Telegraf's statsd plugin on loopback: %w", err)
	}
	p.addr = sd.ServiceAddress
	p.baseRecv, p.baseDrop = p.received(), sd.Stats.UDPPacketsDrop.Get()
	if p.udp {
		if sd.ReadBufferSize == 0 {
			// The plugin sets no buffer of its own then (udpListen); a
			// larger one only makes the hop safer.
			_ = sd.UDPlistener.SetReadBuffer(4 << 20)
		}
		if p.out, err = net.Dial(sd.Protocol, p.addr); err != nil {
			sd.Stop()
			return nil, fmt.Errorf("connecting to Telegraf's statsd plugin on %s: %w", p.addr, err)
		}
	}
	return p, nil
}

// freeLoopback picks a free loopback port for the plugin's network.
func freeLoopback(protocol string, udp bool) (string, error) {
	host := "127.0.0.1"
	if strings.HasSuffix(protocol, "6") {
		host = "::1"
	}
	addr := net.JoinHostPort(host, "0")
	if udp {
		c, err := net.ListenPacket(protocol, addr)
		if err != nil {
			return "", err
		}
		defer c.Close()
		return c.LocalAddr().String(), nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func (p *Plugin) received() int64 {
	if p.udp {
		return p.sd.Stats.UDPPacketsRecv.Get()
	}
	return p.sd.Stats.TCPPacketsRecv.Get()
}

// Handler wraps the listener's handler: each record is handed on first
// (so that a message the plugin logs about it comes after it), then sent
// on to the plugin.
func (p *Plugin) Handler(next listener.Handler) listener.Handler { return handler{p: p, next: next} }

type handler struct {
	p    *Plugin
	next listener.Handler
}

func (h handler) Record(r listener.Record) {
	h.next.Record(r)
	h.p.forward(r)
}

func (h handler) Conn(ev listener.ConnEvent) {
	h.next.Conn(ev)
	if !ev.Open {
		h.p.closeConn(ev.Conn)
	}
}

func (h handler) Transport(ev listener.Transport) { h.next.Transport(ev) }

func (p *Plugin) forward(r listener.Record) {
	p.remember(r)
	if p.udp {
		// Wait for the plugin to read what is in flight (polling its own
		// counter); a plugin that does not catch up within a second is
		// not waited for, and Drain counts what it missed.
		deadline := time.Now().Add(time.Second)
		for p.sent.Load()-(p.received()-p.baseRecv) >= maxInFlight && time.Now().Before(deadline) {
			time.Sleep(20 * time.Microsecond)
		}
		if _, err := p.out.Write(r.Data); err == nil {
			p.sent.Add(1)
		}
		return
	}
	p.mu.Lock()
	c, ok := p.conns[r.Conn]
	if !ok {
		var err error
		if c, err = net.Dial("tcp", p.addr); err != nil {
			p.mu.Unlock()
			p.report(listener.Transport{Listener: r.Listener, Peer: r.Peer, Conn: r.Conn, Record: r.Seq,
				Err: fmt.Errorf("fakegraf could not connect to Telegraf's statsd plugin on loopback: %w", err)})
			return
		}
		p.conns[r.Conn] = c
	}
	p.mu.Unlock()
	// statsd.go handler: bufio.Scanner lines, empty ones skipped and not
	// counted in tcp_packets_received.
	if _, err := c.Write(append(append(make([]byte, 0, len(r.Data)+1), r.Data...), '\n')); err == nil && len(r.Data) > 0 {
		p.sent.Add(1)
	}
}

func (p *Plugin) closeConn(conn uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.conns[conn]; ok {
		c.Close()
		delete(p.conns, conn)
	}
}

// remember keeps the record's lines for matching the plugin's messages.
func (p *Plugin) remember(r listener.Record) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.url = r.Listener
	for _, raw := range strings.Split(string(r.Data), "\n") {
		line := strings.TrimSpace(raw)
		if line == "" {
			continue
		}
		e := entry{line: line, key: p.logged(line), seq: r.Seq, conn: r.Conn, peer: r.Peer}
		if len(p.recent) < recentCap {
			p.recent = append(p.recent, e)
			continue
		}
		p.recent[p.next] = e
		p.next = (p.next + 1) % recentCap
	}
}

// logged is the line as the plugin quotes it in its messages: with
// datadog_extensions, without its "#tags" and "c:container" segments
// (statsd.go parseStatsdLine rebuilds the line without them first).
func (p *Plugin) logged(line string) string {
	if !p.sd.DataDogExtensions {
		return line
	}
	var keep []string
	for _, seg := range strings.Split(line, "|") {
		if strings.HasPrefix(seg, "#") || strings.HasPrefix(seg, "c:") {
			continue
		}
		keep = append(keep, seg)
	}
	return strings.Join(keep, "|")
}

// Gather is one flush: the plugin's Gather into a fresh accumulator.
func (p *Plugin) Gather() listener.PluginOutput {
	acc := accum.New()
	if err := p.sd.Gather(acc); err != nil {
		acc.AddError(err)
	}
	out := acc.Take()
	out.Flush = true
	return out
}

// Accounting says what became of the datagrams or lines sent on to the
// plugin.
type Accounting struct {
	Sent     int64 // sent on by fakegraf
	Received int64 // read by the plugin (udp_packets_received, tcp_packets_received)
	Dropped  int64 // dropped by the plugin, its queue full (udp_packets_dropped)
}

// Missed is how many the plugin never read.
func (a Accounting) Missed() int64 { return max(a.Sent-a.Received, 0) }

// Drain waits, up to timeout, until the plugin has read everything sent
// on and parsed what it queued, and returns the accounting. "Parsed" is
// seen through the plugin's own counters and its log: its queue empty
// (pending_messages) and then one marker line per parser goroutine
// logged back.
func (p *Plugin) Drain(timeout time.Duration) Accounting {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && (p.received()-p.baseRecv < p.sent.Load() || p.sd.Stats.PendingMessages.Get() > 0) {
		time.Sleep(time.Millisecond)
	}
	acc := Accounting{Sent: p.sent.Load(), Received: p.received() - p.baseRecv, Dropped: p.sd.Stats.UDPPacketsDrop.Get() - p.baseDrop}
	workers := max(p.sd.NumberWorkerThreads, 1)
	want := p.barrierSeen.Load() + int64(workers)
	if c, err := net.Dial(map[bool]string{true: p.sd.Protocol, false: "tcp"}[p.udp], p.addr); err == nil {
		for range workers {
			_, _ = c.Write([]byte(p.barrier + "\n"))
		}
		for time.Now().Before(deadline) && p.barrierSeen.Load() < want {
			time.Sleep(time.Millisecond)
		}
		c.Close()
	}
	return acc
}

// Stop stops the plugin as the agent does (statsd.go Stop).
func (p *Plugin) Stop() {
	p.mu.Lock()
	for id, c := range p.conns {
		c.Close()
		delete(p.conns, id)
	}
	p.mu.Unlock()
	if p.out != nil {
		p.out.Close()
	}
	p.sd.Stop()
}

// message kinds, for entry.claimed: one line can draw more than one
// message (a bad sample rate, then a bad value).
const (
	kindQuoted = 1 << iota
	kindType
	kindRate
	kindRateFormat
)

// quotedMessages are the plugin's messages that end with the line
// (statsd.go parseStatsdLine).
var quotedMessages = []string{
	"Splitting ':', unable to parse metric: ",
	"Splitting '|', unable to parse metric: ",
	"+- values are only supported for gauges & counters, unable to parse metric: ",
	"Parsing value to float64, unable to parse metric: ",
	"Parsing value to int64, unable to parse metric: ",
}

const rateFormatMessage = "Sample rate must be in format like: @0.1, @0.5, etc. Ignoring sample rate for line: "

// onLog turns one of the plugin's messages into a transport event about
// the record whose line it quotes.
func (p *Plugin) onLog(level telegraf.LogLevel, msg string) {
	if strings.HasSuffix(msg, p.barrier) {
		p.barrierSeen.Add(1)
		return
	}
	kind, match := 0, func(entry) bool { return false }
	for _, prefix := range quotedMessages {
		if line, ok := strings.CutPrefix(msg, prefix); ok {
			kind, match = kindQuoted, func(e entry) bool { return e.key == line }
		}
	}
	if line, ok := strings.CutPrefix(msg, rateFormatMessage); ok {
		kind, match = kindRateFormat, func(e entry) bool { return e.key == line }
	}
	var typ string
	if n, _ := fmt.Sscanf(msg, "Metric type %q unsupported", &typ); n == 1 {
		kind, match = kindType, func(e entry) bool { return hasType(e.key, typ) }
	}
	if rest, ok := strings.CutPrefix(msg, "Parsing sample rate: "); ok {
		var rate string
		if i := strings.Index(rest, `parsing "`); i >= 0 {
			if _, err := fmt.Sscanf(rest[i+len("parsing "):], "%q", &rate); err == nil {
				kind, match = kindRate, func(e entry) bool { return strings.Contains(e.key, "|@"+rate) }
			}
		}
	}
	p.mu.Lock()
	ev := listener.Transport{Listener: p.url}
	pl := &parse.PluginLog{Level: level, Message: msg}
	if kind != 0 {
		// The oldest line not yet matched to this kind of message: the
		// plugin's parser goroutines may take datagrams out of order, but
		// equal lines draw equal messages.
		n := len(p.recent)
		for i := range n {
			e := &p.recent[(p.next+i)%n]
			if e.claimed&uint16(kind) == 0 && match(*e) {
				e.claimed |= uint16(kind)
				ev.Peer, ev.Conn, ev.Record, pl.Line = e.peer, e.conn, e.seq, e.line
				break
			}
		}
	}
	p.mu.Unlock()
	ev.Err = pl
	p.report(ev)
}

// hasType says whether a statsd line has typ as the type of one of its
// values (name:value|type[:value|type…]).
func hasType(line, typ string) bool {
	_, values, ok := strings.Cut(line, ":")
	if !ok {
		return false
	}
	for _, v := range strings.Split(values, ":") {
		segs := strings.Split(v, "|")
		if len(segs) > 1 && segs[1] == typ {
			return true
		}
	}
	return false
}

// logger is the plugin's Log: errors, warnings and the one debug message
// that reports a sender's mistake go to onLog; the rest (Infof: "UDP
// listening on …") is the plugin talking about itself.
type logger struct{ p *Plugin }

func (logger) Level() telegraf.LogLevel            { return telegraf.Debug }
func (logger) AddAttribute(string, interface{})    {}
func (l logger) Errorf(f string, a ...interface{}) { l.p.onLog(telegraf.Error, fmt.Sprintf(f, a...)) }
func (l logger) Error(a ...interface{})            { l.p.onLog(telegraf.Error, fmt.Sprint(a...)) }
func (l logger) Warnf(f string, a ...interface{})  { l.p.onLog(telegraf.Warn, fmt.Sprintf(f, a...)) }
func (l logger) Warn(a ...interface{})             { l.p.onLog(telegraf.Warn, fmt.Sprint(a...)) }
func (logger) Infof(string, ...interface{})        {}
func (logger) Info(...interface{})                 {}
func (l logger) Debugf(f string, a ...interface{}) {
	if msg := fmt.Sprintf(f, a...); strings.HasPrefix(msg, rateFormatMessage) {
		l.p.onLog(telegraf.Debug, msg)
	}
}
func (logger) Debug(...interface{})          {}
func (logger) Tracef(string, ...interface{}) {}
func (logger) Trace(...interface{})          {}
