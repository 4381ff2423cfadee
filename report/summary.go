package report

import (
	"maps"
	"slices"
	"sync"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
)

// ListenerSummary is the account of one listener: every byte that arrived is
// in an accepted record, a rejected record, or pending when a connection ended.
type ListenerSummary struct {
	Listener      string         `json:"listener"`
	DataFormat    string         `json:"data_format"`
	Records       int            `json:"records"`
	Rejected      int            `json:"rejected_records"`
	Metrics       int            `json:"metrics"`
	ByMeasurement map[string]int `json:"metrics_by_measurement"`
	Bytes         int64          `json:"bytes"`
	AcceptedBytes int64          `json:"accepted_bytes"`
	RejectedBytes int64          `json:"rejected_bytes"`
	PendingBytes  int64          `json:"pending_bytes"`
	Connections   int            `json:"connections"`
	SocketErrors  int            `json:"socket_errors"`
	KernelDrops   uint64         `json:"kernel_drops"` // datagrams the kernel dropped before anyone read them (UDP, Linux)
	Findings      map[string]int `json:"findings_by_rule"`
}

// Summary is the end-of-run report.
type Summary struct {
	Listeners  []*ListenerSummary `json:"listeners"`
	Metrics    int                `json:"metrics"`
	Findings   map[string]int     `json:"findings_by_severity"`
	ByRule     map[string]int     `json:"findings_by_rule"`
	Worst      parse.Severity     `json:"-"`
	WorstLabel string             `json:"worst,omitempty"`
}

// maxMeasurements bounds the per-measurement counts of one listener; the
// rest are counted together under otherMeasurements.
const (
	maxMeasurements   = 10000
	otherMeasurements = "(other measurements)"
)

// Collector adds up what happens, for the summary and the exit code.
type Collector struct {
	mu        sync.Mutex
	listeners map[string]*ListenerSummary
	order     []string
	metrics   int
}

// NewCollector returns an empty collector.
func NewCollector() *Collector {
	return &Collector{listeners: map[string]*ListenerSummary{}}
}

// AddListener registers a listener so that it shows in the summary even if
// nothing arrives.
func (c *Collector) AddListener(url, dataFormat string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.get(url).DataFormat = dataFormat
}

func (c *Collector) get(url string) *ListenerSummary {
	ls, ok := c.listeners[url]
	if !ok {
		ls = &ListenerSummary{Listener: url, ByMeasurement: map[string]int{}, Findings: map[string]int{}}
		c.listeners[url] = ls
		c.order = append(c.order, url)
	}
	return ls
}

// Result accounts for one processed record.
func (c *Collector) Result(r *parse.Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ls := c.get(r.Record.Listener)
	ls.Records++
	if !r.Record.Stream {
		ls.Bytes += int64(r.Record.Size)
	}
	if r.Err != nil {
		ls.Rejected++
		ls.RejectedBytes += int64(r.Record.Size)
	} else {
		ls.AcceptedBytes += int64(r.Record.Size)
	}
	ls.Metrics += len(r.Metrics)
	c.metrics += len(r.Metrics)
	for _, m := range r.Metrics {
		name := m.Name()
		if _, seen := ls.ByMeasurement[name]; !seen && len(ls.ByMeasurement) >= maxMeasurements {
			name = otherMeasurements // bounded however many names a sender invents
		}
		ls.ByMeasurement[name]++
	}
	for _, d := range r.Diagnostics {
		ls.Findings[d.Rule+"\x00"+d.Severity.String()]++
	}
}

// Finding accounts for a finding that is not about one record: an error
// from Telegraf's socket code, or datagrams the kernel dropped.
func (c *Collector) Finding(d parse.Diagnostic) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ls := c.get(d.Source.Listener)
	ls.Findings[d.Rule+"\x00"+d.Severity.String()]++
	if d.Rule == parse.RuleKernelDrops {
		ls.KernelDrops += d.Count
	} else {
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

// Summary returns the totals so far.
func (c *Collector) Summary() *Summary {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &Summary{Findings: map[string]int{}, ByRule: map[string]int{}, Metrics: c.metrics}
	for _, url := range c.order {
		src := c.listeners[url]
		ls := *src
		ls.ByMeasurement = maps.Clone(src.ByMeasurement)
		ls.Findings = map[string]int{}
		for key, n := range src.Findings {
			rule, sevName := splitKey(key)
			ls.Findings[rule] += n
			s.ByRule[rule] += n
			s.Findings[sevName] += n
			if sev, err := parse.ParseSeverity(sevName); err == nil && sev > s.Worst {
				s.Worst = sev
			}
		}
		s.Listeners = append(s.Listeners, &ls)
	}
	if s.Worst > 0 {
		s.WorstLabel = s.Worst.String()
	}
	return s
}

// CountAtLeast is the number of findings at or above a severity.
func (s *Summary) CountAtLeast(sev parse.Severity) int {
	n := 0
	for name, count := range s.Findings {
		if v, err := parse.ParseSeverity(name); err == nil && v >= sev {
			n += count
		}
	}
	return n
}

func splitKey(k string) (string, string) {
	for i := 0; i < len(k); i++ {
		if k[i] == 0 {
			return k[:i], k[i+1:]
		}
	}
	return k, ""
}

func sortedKeys(m map[string]int) []string { return slices.Sorted(maps.Keys(m)) }
