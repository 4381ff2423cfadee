package findingsout

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"

	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
	"github.com/fakegraf/fakegraf/serve"
)

// Measurement names of what Out sends.
const (
	FindingMeasurement = "fakegraf_finding"
	SummaryMeasurement = "fakegraf_summary"
)

// Defaults of Options.
const (
	DefaultQueue     = 4096
	DefaultCloseWait = 5 * time.Second
	DefaultWriteWait = 5 * time.Second
	maxMessage       = 4096 // bytes of a message or fix field: a finding quotes what a sender sent, without bound
	maxDatagram      = 8192 // a udp:// datagram packs whole lines up to this, under socket_listener's 64 KiB read buffer
	maxBatch         = 1 << 20
	firstBackoff     = 50 * time.Millisecond
	lastBackoff      = 2 * time.Second
)

// Options configure an Out.
type Options struct {
	// Instance is the instance tag of every metric: which fakegraf sent it.
	// Empty means the host name.
	Instance string
	// Token is sent as "Authorization: Token ..." to an http(s) destination
	// (InfluxDB 2, InfluxDB 1.8's token auth, influxdb_v2_listener's token).
	Token string
	// Summary, when set, is where fakegraf_summary metrics come from (the
	// run's report.Collector); Interval is how often they are sent, besides
	// once at Close. Interval 0 sends them only at Close.
	Summary  func() *report.Summary
	Interval time.Duration
	// Queue bounds the lines waiting to be written (DefaultQueue when 0).
	Queue int
	// WriteWait bounds one write or HTTP request (DefaultWriteWait when 0).
	WriteWait time.Duration
	// OnError hears of the first failure of a run of failures, and of a
	// recovery, for a line on stderr. It is called from Out's writer.
	OnError func(error)
}

// Out is a serve.Sink that sends findings to a destination. Create it with
// Open and end it with Close.
type Out struct {
	serve.Ignore
	dest     string // the URL as given, without its query, for messages
	dst      destination
	opt      Options
	instance string

	mu     sync.Mutex // serializer and closed
	ser    *report.MetricsWriter
	buf    bytes.Buffer
	closed bool

	queue chan item
	stop  chan struct{} // closed by Close: drain and end
	done  chan struct{} // closed when the writer has ended
	tick  *time.Ticker

	statsMu sync.Mutex
	stats   Stats
}

type item struct {
	line     []byte
	listener string
	summary  bool
}

// Stats is what Out delivered and what it could not.
type Stats struct {
	Findings  int // fakegraf_finding lines written
	Summaries int // fakegraf_summary lines written
	// Undelivered counts, per listener, the lines that were not: a full
	// queue, a failed write, or the queue left over when Close gave up.
	Undelivered map[string]Undelivered
}

// Undelivered counts one listener's lines that were not delivered.
type Undelivered struct {
	Findings, Summaries int
}

// Total is every undelivered line.
func (s Stats) Total() int {
	n := 0
	for _, u := range s.Undelivered {
		n += u.Findings + u.Summaries
	}
	return n
}

// Open checks the destination URL and starts the writer. It does not
// connect: a destination that is down is not an error, its loss is counted.
func Open(rawURL string, opt Options) (*Out, error) {
	dst, err := parseDestination(rawURL, opt)
	if err != nil {
		return nil, err
	}
	if opt.Queue <= 0 {
		opt.Queue = DefaultQueue
	}
	if opt.WriteWait <= 0 {
		opt.WriteWait = DefaultWriteWait
	}
	if opt.Interval < 0 {
		return nil, fmt.Errorf("a summary interval must be positive, such as 10s, got %s", opt.Interval)
	}
	instance := opt.Instance
	if instance == "" {
		instance, _ = os.Hostname()
	}
	o := &Out{dest: dst.name(), dst: dst, opt: opt, instance: instance,
		queue: make(chan item, opt.Queue), stop: make(chan struct{}), done: make(chan struct{}),
		stats: Stats{Undelivered: map[string]Undelivered{}}}
	if o.ser, err = report.NewMetricsWriter(&o.buf); err != nil {
		return nil, err
	}
	var tick <-chan time.Time
	if opt.Summary != nil && opt.Interval > 0 {
		o.tick = time.NewTicker(opt.Interval)
		tick = o.tick.C
	}
	go o.write(tick)
	return o, nil
}

// Destination is the URL findings go to, without its query (which may name
// a database, never a secret: Open refuses those).
func (o *Out) Destination() string { return o.dest }

// Result sends a record's findings. Repeats of a finding said once
// (Result.Repeated) are not sent again: the summary metric counts them.
func (o *Out) Result(r *parse.Result) {
	for _, d := range r.Diagnostics {
		o.Finding(d)
	}
}

// Finding sends one finding. It never blocks.
func (o *Out) Finding(d parse.Diagnostic) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return // a finding about the run itself, raised after Close: the report has it
	}
	o.send(item{listener: d.Source.Listener}, o.findingMetric(d))
}

func (o *Out) findingMetric(d parse.Diagnostic) telegraf.Metric {
	tags := map[string]string{
		"rule":     d.Rule,
		"severity": d.Severity.String(),
		"listener": d.Source.Listener,
		"instance": o.instance,
	}
	if d.Source.Peer != "" {
		tags["sender"] = peerHost(d.Source.Peer)
	}
	count := d.Count
	if count == 0 {
		count = 1
	}
	fields := map[string]any{
		"message": field(d.Message),
		"count":   int64(count),
		"record":  int64(d.Source.Record),
	}
	if d.Position.Line > 0 {
		fields["line"] = int64(d.Position.Line)
	}
	if d.Position.Column > 0 {
		fields["column"] = int64(d.Position.Column)
	}
	if len(d.Fixes) > 0 {
		fields["fix"] = field(strings.Join(d.Fixes, "; "))
	}
	return newMetric(FindingMeasurement, tags, fields, time.Now())
}

// newMetric adds the fields in key order: metric.New takes them in map
// order, and a line whose fields move about from one finding to the next is
// harder to read and to grep.
func newMetric(name string, tags map[string]string, fields map[string]any, t time.Time) telegraf.Metric {
	m := metric.New(name, tags, nil, t)
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		m.AddField(k, fields[k])
	}
	return m
}

// send serializes m and queues it, or counts it undelivered when the queue
// is full. The caller holds o.mu.
func (o *Out) send(it item, m telegraf.Metric) {
	o.buf.Reset()
	if err := o.ser.Write([]telegraf.Metric{m}); err != nil {
		// The serializer refuses no metric Out makes (every one has
		// fields and a name); if it ever did, the loss is counted.
		o.undelivered(it, 1)
		return
	}
	it.line = slices.Clone(o.buf.Bytes())
	select {
	case o.queue <- it:
	default:
		o.undelivered(it, 1)
	}
}

// sendSummary queues one fakegraf_summary metric per listener.
func (o *Out) sendSummary() {
	if o.opt.Summary == nil {
		return
	}
	sum := o.opt.Summary()
	now := time.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return
	}
	for _, ls := range sum.Listeners {
		fields := map[string]any{
			"records":          int64(ls.Records),
			"rejected_records": int64(ls.Rejected),
			"metrics":          int64(ls.Metrics),
			"bytes":            ls.Bytes,
			"connections":      int64(ls.Connections),
			"kernel_drops":     int64(ls.KernelDrops),
		}
		for _, sev := range []parse.Severity{parse.Info, parse.Warning, parse.Error} {
			fields["findings_"+sev.String()] = int64(0)
		}
		for k, n := range ls.ByRuleSeverity {
			fields["findings_"+k.Severity.String()] = fields["findings_"+k.Severity.String()].(int64) + int64(n)
		}
		tags := map[string]string{"listener": ls.Listener, "instance": o.instance}
		if ls.DataFormat != "" {
			tags["data_format"] = ls.DataFormat
		}
		o.send(item{listener: ls.Listener, summary: true}, newMetric(SummaryMeasurement, tags, fields, now))
	}
}

func (o *Out) undelivered(it item, n int) {
	o.statsMu.Lock()
	defer o.statsMu.Unlock()
	u := o.stats.Undelivered[it.listener]
	if it.summary {
		u.Summaries += n
	} else {
		u.Findings += n
	}
	o.stats.Undelivered[it.listener] = u
}

func (o *Out) delivered(batch []item) {
	o.statsMu.Lock()
	defer o.statsMu.Unlock()
	for _, it := range batch {
		if it.summary {
			o.stats.Summaries++
		} else {
			o.stats.Findings++
		}
	}
}

// Stats returns what has been delivered and what has not, so far.
func (o *Out) Stats() Stats {
	o.statsMu.Lock()
	defer o.statsMu.Unlock()
	s := o.stats
	s.Undelivered = make(map[string]Undelivered, len(o.stats.Undelivered))
	for k, v := range o.stats.Undelivered {
		if v != (Undelivered{}) {
			s.Undelivered[k] = v
		}
	}
	return s
}

// Close sends a last summary, writes out the queue for at most wait
// (DefaultCloseWait when 0), counts what is left as undelivered, and
// returns the totals. Events after Close are ignored.
func (o *Out) Close(wait time.Duration) Stats {
	if wait <= 0 {
		wait = DefaultCloseWait
	}
	o.sendSummary()
	o.mu.Lock()
	if !o.closed {
		o.closed = true
		if o.tick != nil {
			o.tick.Stop()
		}
		close(o.stop)
	}
	o.mu.Unlock()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-o.done:
	case <-t.C:
		// The destination stalls: end the write in progress. Its lines
		// and the queue's are counted by the writer as it ends.
		o.dst.abort()
		<-o.done
	}
	o.dst.close()
	return o.Stats()
}

// write is the writer goroutine: it takes what is queued, in batches, and
// writes it out, until Close has asked it to stop and the queue is empty.
func (o *Out) write(tick <-chan time.Time) {
	defer close(o.done)
	backoff := time.Duration(0)
	var failing error
	for {
		var first item
		select {
		case first = <-o.queue:
		case <-tick:
			o.sendSummary()
			continue
		case <-o.stop:
			select {
			case first = <-o.queue:
			default:
				return
			}
		}
		batch := []item{first}
		size := len(first.line)
	fill:
		for size < o.dst.batchSize() {
			select {
			case it := <-o.queue:
				batch = append(batch, it)
				size += len(it.line)
			default:
				break fill
			}
		}
		if o.dst.aborted() {
			o.fail(batch)
			continue
		}
		n, err := o.dst.write(batch, o.opt.WriteWait)
		o.delivered(batch[:n])
		if err == nil {
			if failing != nil && o.opt.OnError != nil {
				o.opt.OnError(fmt.Errorf("%s accepts findings again", o.dest))
			}
			failing, backoff = nil, 0
			continue
		}
		o.fail(batch[n:])
		if failing == nil && o.opt.OnError != nil {
			o.opt.OnError(err)
		}
		failing = err
		// A destination that is down is not dialled for every finding:
		// the queue absorbs a burst meanwhile, and counts what overflows.
		backoff = min(max(2*backoff, firstBackoff), lastBackoff)
		select {
		case <-time.After(backoff):
		case <-o.stop:
		}
	}
}

func (o *Out) fail(batch []item) {
	for _, it := range batch {
		o.undelivered(it, 1)
	}
}

// peerHost is the sender's host without its port: a client's port changes
// with every connection and would make a series per connection.
func peerHost(peer string) string {
	if h, _, err := net.SplitHostPort(peer); err == nil {
		return h
	}
	return peer
}

// field makes a message a string field every destination carries: at most
// maxMessage bytes, cut on a rune boundary, with control characters written
// as Go escapes (\n, \t, \x00). Line protocol's string fields could carry a
// raw newline, but a socket_listener's stream framing splits lines at it
// (plugins/common/socket/stream.go), and a finding may quote a sender's
// newline.
func field(s string) string {
	if len(s) > maxMessage {
		cut := maxMessage
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "… (cut)"
	}
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if !isControl(r) {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRune(r) // '\n', '\x00'
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// destination is where lines go: a socket or an HTTP write API.
type destination interface {
	name() string
	batchSize() int
	// write writes the batch and returns how many of its lines were
	// written whole, and the error that stopped it.
	write(batch []item, wait time.Duration) (int, error)
	abort()
	aborted() bool
	close()
}

var errAborted = errors.New("gave up at the end of the run")

func parseDestination(raw string, opt Options) (destination, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return nil, fmt.Errorf("%q is not a URL: use udp://HOST:PORT, tcp://HOST:PORT, unix:///PATH or an InfluxDB write URL such as http://HOST:8086/api/v2/write?org=ORG&bucket=BUCKET", raw)
	}
	switch u.Scheme {
	case "udp", "udp4", "udp6", "tcp", "tcp4", "tcp6":
		if u.Host == "" || u.Port() == "" {
			return nil, fmt.Errorf("%q: name a host and port, such as %s://127.0.0.1:8094", raw, u.Scheme)
		}
		return &sock{network: u.Scheme, addr: u.Host, url: u.Scheme + "://" + u.Host}, nil
	case "unix", "unixgram":
		p := u.Path
		if u.Host != "" {
			p = u.Host + u.Path // unix://relative/path
		}
		if p == "" {
			return nil, fmt.Errorf("%q: name the socket's path, such as unix:///tmp/telegraf.sock", raw)
		}
		return &sock{network: u.Scheme, addr: p, url: u.Scheme + "://" + p}, nil
	case "http", "https":
		return newHTTPDest(u, opt)
	case "influxdb", "influxdb-v2":
		// fakegraf's own names for the HTTP inputs, as `fakegraf listen`
		// prints them: another fakegraf, or a Telegraf, on that port.
		if u.Host == "" || (u.Path != "" && u.Path != "/") {
			return nil, fmt.Errorf("%q: name only a host and port, and the query, such as %s://127.0.0.1:8086?db=DB; or give the full http:// write URL", raw, u.Scheme)
		}
		u.Path = "/write"
		if u.Scheme == "influxdb-v2" {
			u.Path = "/api/v2/write"
		}
		u.Scheme = "http"
		return newHTTPDest(u, opt)
	}
	return nil, fmt.Errorf("%q: fakegraf sends findings over udp://, tcp://, unix:// (a socket_listener) or http(s):// (an InfluxDB write URL), not %s://", raw, u.Scheme)
}

// sock is a socket_listener: lines go one datagram per few lines, or down
// one stream connection, dialled again after a failure.
type sock struct {
	network, addr, url string

	mu     sync.Mutex
	conn   net.Conn
	gaveUp bool
}

func (s *sock) name() string { return s.url }

func (s *sock) datagram() bool { return s.network == "unixgram" || strings.HasPrefix(s.network, "udp") }

func (s *sock) batchSize() int {
	if s.datagram() {
		return maxDatagram
	}
	return maxBatch
}

func (s *sock) dial(wait time.Duration) (net.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gaveUp {
		return nil, errAborted
	}
	if s.conn == nil {
		c, err := net.DialTimeout(s.network, s.addr, wait)
		if err != nil {
			return nil, fmt.Errorf("sending findings to %s: %w", s.url, err)
		}
		s.conn = c
	}
	return s.conn, nil
}

func (s *sock) drop(c net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.Close()
	if s.conn == c {
		s.conn = nil
	}
}

func (s *sock) write(batch []item, wait time.Duration) (int, error) {
	c, err := s.dial(wait)
	if err != nil {
		return 0, err
	}
	done := 0
	for done < len(batch) {
		// A datagram carries whole lines, as many as fit: socket_listener
		// splits a datagram at its newlines.
		var buf []byte
		n := done
		for n < len(batch) && (n == done || !s.datagram() || len(buf)+len(batch[n].line) <= maxDatagram) {
			buf = append(buf, batch[n].line...)
			n++
		}
		_ = c.SetWriteDeadline(time.Now().Add(wait))
		w, err := c.Write(buf)
		if err != nil {
			s.drop(c)
			// Lines written whole before the failure are delivered (as far
			// as the socket knows); the rest are not.
			for done < n && w >= len(batch[done].line) {
				w -= len(batch[done].line)
				done++
			}
			return done, fmt.Errorf("sending findings to %s: %w", s.url, err)
		}
		done = n
	}
	return done, nil
}

func (s *sock) abort() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gaveUp = true
	if s.conn != nil {
		_ = s.conn.SetWriteDeadline(time.Now()) // ends a write in progress
	}
}

func (s *sock) aborted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gaveUp
}

func (s *sock) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

// httpDest is an InfluxDB write API (or Telegraf's HTTP inputs, which
// answer the same).
type httpDest struct {
	url, shown string
	token      string
	client     *http.Client
	ctx        context.Context
	cancel     context.CancelFunc
}

func newHTTPDest(u *url.URL, opt Options) (*httpDest, error) {
	q := u.Query()
	switch {
	case u.User != nil:
		return nil, errors.New("--findings-out: a password in the URL shows in ps and in shell history: put the token in FAKEGRAF_FINDINGS_TOKEN and drop it from the URL")
	case q.Has("p") || q.Has("token"):
		return nil, errors.New("--findings-out: a secret in the query shows in ps and in shell history: put the token in FAKEGRAF_FINDINGS_TOKEN and drop p= or token= from the URL")
	case strings.HasSuffix(u.Path, "/api/v2/write") && q.Get("bucket") == "":
		return nil, fmt.Errorf("--findings-out %s: InfluxDB 2's write API needs a bucket: add ?org=ORG&bucket=BUCKET", u.Redacted())
	case u.Path == "" || u.Path == "/":
		return nil, fmt.Errorf("--findings-out %s: name the write API: %s/write?db=DB (InfluxDB 1, influxdb_listener) or %s/api/v2/write?org=ORG&bucket=BUCKET (InfluxDB 2, influxdb_v2_listener)",
			u.Redacted(), strings.TrimSuffix(u.String(), "/"), strings.TrimSuffix(u.String(), "/"))
	}
	ctx, cancel := context.WithCancel(context.Background())
	shown := *u
	shown.RawQuery = ""
	return &httpDest{url: u.String(), shown: shown.String(), token: opt.Token,
		client: &http.Client{}, ctx: ctx, cancel: cancel}, nil
}

func (h *httpDest) name() string   { return h.shown }
func (h *httpDest) batchSize() int { return maxBatch }

func (h *httpDest) write(batch []item, wait time.Duration) (int, error) {
	var body bytes.Buffer
	for _, it := range batch {
		body.Write(it.line)
	}
	ctx, cancel := context.WithTimeout(h.ctx, wait)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, &body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	if h.token != "" {
		req.Header.Set("Authorization", "Token "+h.token)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		if h.ctx.Err() != nil {
			return 0, errAborted
		}
		return 0, fmt.Errorf("sending findings to %s: %w", h.shown, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 == 2 {
		return len(batch), nil
	}
	err = fmt.Errorf("sending findings to %s: %s: %q", h.shown, resp.Status, bytes.TrimSpace(msg))
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		err = fmt.Errorf("%w: set FAKEGRAF_FINDINGS_TOKEN to a token that may write there", err)
	}
	return 0, err
}

func (h *httpDest) abort()        { h.cancel() }
func (h *httpDest) aborted() bool { return h.ctx.Err() != nil }
func (h *httpDest) close()        { h.client.CloseIdleConnections() }
