package report

import (
	"time"

	"maps"
	"slices"
	"sync"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
)

// ListenerSummary is the account of one listener: every byte that arrived is
// in an accepted record, a rejected record, or pending when a connection ended.
type ListenerSummary struct {
	Listener   string `json:"listener"`
	DataFormat string `json:"data_format"`
	Records    int    `json:"records"` // what senders sent; flushes are not records
	Rejected   int    `json:"rejected_records"`
	// Flushes counts the statsd plugin's flushes (its Gather on the
	// agent's interval) that stored metrics; their metrics are in Metrics.
	Flushes       int            `json:"flushes,omitempty"`
	Metrics       int            `json:"metrics"`
	ByMeasurement map[string]int `json:"metrics_by_measurement"`
	Bytes         int64          `json:"bytes"`
	AcceptedBytes int64          `json:"accepted_bytes"`
	RejectedBytes int64          `json:"rejected_bytes"`
	PendingBytes  int64          `json:"pending_bytes"`
	Connections   int            `json:"connections"`
	SocketErrors  int            `json:"socket_errors"`
	KernelDrops   uint64         `json:"kernel_drops"` // datagrams the kernel dropped before anyone read them (UDP, Linux)
	// FindingsUndelivered counts this listener's findings and summary
	// metrics that --findings-out could not deliver.
	FindingsUndelivered uint64 `json:"findings_undelivered,omitempty"`
	// ForwardLost is the bytes that arrived and were checked but that
	// --forward could not pass on to its upstream (forward-loss); they are
	// in the other counts as well.
	ForwardLost uint64         `json:"forward_lost_bytes,omitempty"`
	Findings    map[string]int `json:"findings_by_rule"`
	// ByRuleSeverity counts findings by rule and severity (a rule may
	// report at more than one), for fakegraf's own Prometheus counters.
	ByRuleSeverity map[FindingKey]int `json:"-"`
}

// Summary is the end-of-run report.
type Summary struct {
	Listeners  []*ListenerSummary `json:"listeners"`
	Metrics    int                `json:"metrics"`
	Findings   map[string]int     `json:"findings_by_severity"` // by severity name, for the wire
	ByRule     map[string]int     `json:"findings_by_rule"`
	Worst      parse.Severity     `json:"-"`
	WorstLabel string             `json:"worst,omitempty"`
	// BySeverity counts findings by severity, for the exit code.
	BySeverity map[parse.Severity]int `json:"-"`
	// Checks are the checks of the whole run (golden file, expectations,
	// sender), passed or not, in the order they ran.
	Checks []CheckResult `json:"checks,omitempty"`
	// Capture is what --capture wrote, nil without it.
	Capture *CaptureSummary `json:"capture,omitempty"`
	// Checked are the captures fakegraf check read (tcpdump's and its
	// own), with what each lost.
	Checked []CheckedCapture `json:"captures_checked,omitempty"`
}

// CheckedCapture is what one capture that check read held and lost: a
// fakegraf capture cut when it was written (Cut), or a tcpdump capture's
// packets, their traffic on no input's port, and what it did not keep.
// Records that lost bytes are not checked; their bytes are here.
type CheckedCapture struct {
	File   string `json:"file"`
	Format string `json:"format"` // fakegraf, pcap, pcapng
	Cut    string `json:"cut,omitempty"`
	// A tcpdump capture's (pcap.Stats).
	Packets            int   `json:"packets,omitempty"`
	Connections        int   `json:"connections,omitempty"`
	Datagrams          int   `json:"datagrams,omitempty"`
	OtherPackets       int   `json:"other_packets,omitempty"`
	OtherBytes         int64 `json:"other_bytes,omitempty"`
	SnaplenCutPackets  int   `json:"snaplen_cut_packets,omitempty"`
	SnaplenCutBytes    int64 `json:"snaplen_cut_bytes,omitempty"`
	FragmentsLost      int   `json:"fragments_lost,omitempty"`
	ConnectionsDropped int   `json:"connections_dropped,omitempty"`
	ConnectionsLost    int   `json:"connections_lost,omitempty"` // connections that lost bytes, by any cause below
	MissingBytes       int64 `json:"missing_bytes,omitempty"`
	Holes              int   `json:"holes,omitempty"`
	UncheckedBytes     int64 `json:"unchecked_bytes,omitempty"`
	BeganBefore        int   `json:"began_before,omitempty"`
	OpenAtEnd          int   `json:"open_at_end,omitempty"`
	FileCut            bool  `json:"file_cut,omitempty"` // the file ends inside a packet
}

// CaptureSummary says what a run's --capture file holds and, when the
// capture was cut before the run ended (its size bound, a disk that fell
// behind, a write error), why and when: what arrived after the cut was
// checked but is not in the file.
type CaptureSummary struct {
	File   string     `json:"file"`
	Events int64      `json:"events"`
	Bytes  int64      `json:"bytes"`
	Cut    string     `json:"cut,omitempty"`
	CutAt  *time.Time `json:"cut_at,omitempty"` // when Cut is set
}

// FindingKey counts findings by rule and severity: a rule may report at
// more than one severity.
type FindingKey struct {
	Rule     string
	Severity parse.Severity
}

// maxMeasurements bounds the per-measurement counts of one listener; the
// rest are counted together under otherMeasurements.
const (
	maxMeasurements   = 10000
	otherMeasurements = "(other measurements)"
)

// Collector adds up what happens, for the summary and the exit code. It is
// a serve.Sink.
type Collector struct {
	mu        sync.Mutex
	listeners map[string]*ListenerSummary
	findings  map[string]map[FindingKey]int // per listener
	order     []string
	// last is the listener of the last call: records come in runs from one
	// listener, and its summary is then found without hashing its URL.
	last    *ListenerSummary
	metrics int
	// run is a run of metrics of one measurement name on one listener, not
	// yet added to its ByMeasurement (endRun): a sender repeats a name,
	// and a map update for each metric was a sixtieth of fakegraf's CPU on
	// tcp/influx.
	run struct {
		ls   *ListenerSummary
		name string
		n    int
	}
	// running totals for Progress
	records     int
	bySeverity  map[parse.Severity]int
	kernelDrops uint64
}

// NewCollector returns an empty collector.
func NewCollector() *Collector {
	return &Collector{listeners: map[string]*ListenerSummary{}, findings: map[string]map[FindingKey]int{}, bySeverity: map[parse.Severity]int{}}
}

// Listening registers a listener so that it shows in the summary even if
// nothing arrives.
func (c *Collector) Listening(url, dataFormat string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.get(url).DataFormat = dataFormat
}

func (c *Collector) get(url string) *ListenerSummary {
	if c.last != nil && c.last.Listener == url {
		return c.last
	}
	ls, ok := c.listeners[url]
	if !ok {
		ls = &ListenerSummary{Listener: url, ByMeasurement: map[string]int{}}
		c.listeners[url] = ls
		c.findings[url] = map[FindingKey]int{}
		c.order = append(c.order, url)
	}
	c.last = ls
	return ls
}

// endRun adds the run of metrics of one name to its listener's counts.
func (c *Collector) endRun() {
	run := &c.run
	if run.n > 0 {
		ls, name := run.ls, run.name
		if len(ls.ByMeasurement) >= maxMeasurements {
			if _, seen := ls.ByMeasurement[name]; !seen {
				name = otherMeasurements // bounded however many names a sender invents
			}
		}
		ls.ByMeasurement[name] += run.n
	}
	run.ls, run.name, run.n = nil, "", 0
}

func (c *Collector) count(d parse.Diagnostic) {
	c.findings[d.Source.Listener][FindingKey{Rule: d.Rule, Severity: d.Severity}]++
	c.bySeverity[d.Severity]++
}

// Result accounts for one processed record.
func (c *Collector) Result(r *parse.Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ls := c.get(r.Record.Listener)
	switch {
	case IsFlush(r):
		ls.Flushes++
	default:
		ls.Records++
		c.records++
	}
	// A stream's bytes, and an HTTP request's, are counted when its
	// connection closes (Conn): a datagram's here.
	if !r.Record.Stream && r.Record.HTTP == nil {
		ls.Bytes += int64(r.Record.Size)
	}
	// Rejected: Telegraf stored nothing of it, because of a parse error or,
	// for an HTTP request with a body, because the plugin refused it (401,
	// 413, 400). A partial write (an influxdb_listener batch with a bad
	// line) stored the other lines: its lost lines are in its findings.
	refused := r.Record.HTTP != nil && r.Record.HTTP.Status >= 400 && r.Record.Size > 0
	if len(r.Metrics) == 0 && (r.Err != nil || refused) {
		ls.Rejected++
		ls.RejectedBytes += int64(r.Record.Size)
	} else {
		ls.AcceptedBytes += int64(r.Record.Size)
	}
	ls.Metrics += len(r.Metrics)
	c.metrics += len(r.Metrics)
	for _, m := range r.Metrics {
		if name := m.Name(); c.run.ls != ls || c.run.name != name {
			c.endRun()
			c.run.ls, c.run.name = ls, name
		}
		c.run.n++
	}
	for _, d := range r.Diagnostics {
		c.count(d)
	}
	for _, d := range r.Repeated {
		c.count(d) // said once, counted every time
	}
}

// Finding accounts for a finding that is not about one record: an error
// from Telegraf's socket code, or datagrams the kernel dropped.
func (c *Collector) Finding(d parse.Diagnostic) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ls := c.get(d.Source.Listener)
	c.count(d)
	switch {
	case d.Rule == parse.RuleKernelDrops:
		ls.KernelDrops += d.Count
		c.kernelDrops += d.Count
	case d.Rule == parse.RuleFindingsNotDelivered:
		ls.FindingsUndelivered += d.Count // about fakegraf's output, not the socket
	case d.Rule == parse.RuleCaptureLoss:
		// about the capture being checked, not the socket: counted in
		// the summary's captures_checked
	case d.Rule == parse.RuleForwardLoss:
		// a loss on the way to the upstream, not of fakegraf's socket
		ls.ForwardLost += d.Count
	case d.Source.Record > 0:
		// about a record (a statsd plugin's message on one of its
		// lines), counted with the findings, not as a socket error
	default:
		ls.SocketErrors++
	}
}

// Conn accounts for a stream connection.
func (c *Collector) Conn(ev listener.ConnEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ls := c.get(ev.Listener)
	if ev.Open {
		ls.Connections++
		return
	}
	ls.Bytes += ev.Bytes
	ls.PendingBytes += ev.PendingBytes
}

// Metrics is the number of metrics accepted so far.
func (c *Collector) Metrics() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.metrics
}

// Progress returns the running totals, cheaply, for a status line.
func (c *Collector) Progress() Progress {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Progress{Records: c.records, Metrics: c.metrics, Findings: maps.Clone(c.bySeverity), KernelDrops: c.kernelDrops}
}

// Summary returns the totals so far.
func (c *Collector) Summary() *Summary {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.endRun()
	s := &Summary{Metrics: c.metrics}
	for _, url := range c.order {
		src := c.listeners[url]
		ls := *src
		ls.ByMeasurement = maps.Clone(src.ByMeasurement)
		ls.ByRuleSeverity = maps.Clone(c.findings[url])
		s.Listeners = append(s.Listeners, &ls)
	}
	s.tally()
	return s
}

// tally adds up the findings of the listeners into the run's totals.
func (s *Summary) tally() {
	s.Findings, s.ByRule, s.BySeverity, s.Worst, s.WorstLabel = map[string]int{}, map[string]int{}, map[parse.Severity]int{}, 0, ""
	for _, ls := range s.Listeners {
		ls.Findings = map[string]int{}
		for key, n := range ls.ByRuleSeverity {
			ls.Findings[key.Rule] += n
			s.ByRule[key.Rule] += n
			s.Findings[key.Severity.String()] += n
			s.BySeverity[key.Severity] += n
			s.Worst = max(s.Worst, key.Severity)
		}
	}
	if s.Worst > 0 {
		s.WorstLabel = s.Worst.String()
	}
}

// Since is what happened after base, an earlier Summary of the same
// Collector: every count less base's (the HTTP API's counters after a
// reset). Checks are left out.
func (s *Summary) Since(base *Summary) *Summary {
	if base == nil {
		return s
	}
	old := map[string]*ListenerSummary{}
	for _, ls := range base.Listeners {
		old[ls.Listener] = ls
	}
	out := &Summary{Metrics: s.Metrics - base.Metrics}
	for _, src := range s.Listeners {
		ls := *src
		ls.ByMeasurement = maps.Clone(src.ByMeasurement)
		ls.ByRuleSeverity = maps.Clone(src.ByRuleSeverity)
		if b := old[ls.Listener]; b != nil {
			ls.Records -= b.Records
			ls.Flushes -= b.Flushes
			ls.Rejected -= b.Rejected
			ls.Metrics -= b.Metrics
			ls.Bytes -= b.Bytes
			ls.AcceptedBytes -= b.AcceptedBytes
			ls.RejectedBytes -= b.RejectedBytes
			ls.PendingBytes -= b.PendingBytes
			ls.Connections -= b.Connections
			ls.SocketErrors -= b.SocketErrors
			ls.KernelDrops -= b.KernelDrops
			ls.FindingsUndelivered -= b.FindingsUndelivered
			ls.ForwardLost -= b.ForwardLost
			subtract(ls.ByMeasurement, b.ByMeasurement)
			subtract(ls.ByRuleSeverity, b.ByRuleSeverity)
		}
		out.Listeners = append(out.Listeners, &ls)
	}
	out.tally()
	return out
}

// subtract takes base's counts from m, leaving out what becomes zero.
func subtract[K comparable](m, base map[K]int) {
	for k, n := range base {
		if m[k] -= n; m[k] <= 0 {
			delete(m, k)
		}
	}
}

// CountAtLeast is the number of findings at or above a severity.
func (s *Summary) CountAtLeast(sev parse.Severity) int {
	n := 0
	for v, count := range s.BySeverity {
		if v >= sev {
			n += count
		}
	}
	return n
}

func sortedKeys(m map[string]int) []string { return slices.Sorted(maps.Keys(m)) }
