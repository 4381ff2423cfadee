package api

import (
	"bufio"
	"cmp"
	"fmt"
	"net/http"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"

	"github.com/fakegraf/fakegraf/report"
)

// prometheus serves GET /metrics: fakegraf's own counters in Prometheus'
// text format (version 0.0.4). The counters count everything since
// fakegraf started: a reset of the API does not reset them, as Prometheus
// wants of a counter.
func (h *handler) prometheus(w http.ResponseWriter, _ *http.Request) {
	s := h.store
	sum := s.coll.Summary()
	s.mu.Lock()
	win := s.windowLocked()
	waits, subs := len(s.waits), len(s.subs)
	s.mu.Unlock()

	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	perListener := func(name, typ, help string, value func(*report.ListenerSummary) float64) {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
		for _, ls := range sum.Listeners {
			fmt.Fprintf(bw, "%s{listener=%s} %s\n", name, label(ls.Listener), strconv.FormatFloat(value(ls), 'f', -1, 64))
		}
	}
	perListener("fakegraf_records_total", "counter", "Records received (datagrams, or frames of a stream).",
		func(ls *report.ListenerSummary) float64 { return float64(ls.Records) })
	perListener("fakegraf_rejected_records_total", "counter", "Records Telegraf's parser rejected as a whole.",
		func(ls *report.ListenerSummary) float64 { return float64(ls.Rejected) })
	perListener("fakegraf_metrics_total", "counter", "Metrics Telegraf would store.",
		func(ls *report.ListenerSummary) float64 { return float64(ls.Metrics) })
	perListener("fakegraf_bytes_total", "counter", "Bytes received.",
		func(ls *report.ListenerSummary) float64 { return float64(ls.Bytes) })
	perListener("fakegraf_accepted_bytes_total", "counter", "Bytes in records the parser accepted.",
		func(ls *report.ListenerSummary) float64 { return float64(ls.AcceptedBytes) })
	perListener("fakegraf_rejected_bytes_total", "counter", "Bytes in records the parser rejected.",
		func(ls *report.ListenerSummary) float64 { return float64(ls.RejectedBytes) })
	perListener("fakegraf_pending_bytes_total", "counter", "Bytes received on stream connections that ended before they made a record.",
		func(ls *report.ListenerSummary) float64 { return float64(ls.PendingBytes) })
	perListener("fakegraf_connections_total", "counter", "Stream connections accepted.",
		func(ls *report.ListenerSummary) float64 { return float64(ls.Connections) })
	perListener("fakegraf_socket_errors_total", "counter", "Errors from the socket (refused connections and the like).",
		func(ls *report.ListenerSummary) float64 { return float64(ls.SocketErrors) })
	perListener("fakegraf_kernel_drops_total", "counter", "Datagrams the kernel dropped because the socket's receive buffer was full.",
		func(ls *report.ListenerSummary) float64 { return float64(ls.KernelDrops) })
	perListener("fakegraf_findings_undelivered_total", "counter", "Findings and summary metrics --findings-out could not deliver.",
		func(ls *report.ListenerSummary) float64 { return float64(ls.FindingsUndelivered) })
	perListener("fakegraf_forward_lost_bytes_total", "counter", "Bytes received and checked that --forward could not pass on to its upstream.",
		func(ls *report.ListenerSummary) float64 { return float64(ls.ForwardLost) })

	fmt.Fprint(bw, "# HELP fakegraf_findings_total Findings, by listener, rule and severity.\n# TYPE fakegraf_findings_total counter\n")
	for _, ls := range sum.Listeners {
		keys := slices.SortedFunc(func(yield func(report.FindingKey) bool) {
			for k := range ls.ByRuleSeverity {
				if !yield(k) {
					return
				}
			}
		}, func(a, b report.FindingKey) int {
			return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Severity, b.Severity))
		})
		for _, k := range keys {
			fmt.Fprintf(bw, "fakegraf_findings_total{listener=%s,rule=%s,severity=%s} %d\n",
				label(ls.Listener), label(k.Rule), label(k.Severity.String()), ls.ByRuleSeverity[k])
		}
	}
	gauge := func(name, help string, v any) {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s gauge\n%s %v\n", name, help, name, name, v)
	}
	gauge("fakegraf_api_kept_records", "Records the API keeps (--keep).", win.KeptRecords)
	gauge("fakegraf_api_kept_metrics", "Metrics the API keeps (--keep).", win.KeptMetrics)
	gauge("fakegraf_api_waits", "Waits pending on POST /api/v1/wait.", waits)
	gauge("fakegraf_api_event_clients", "Clients reading GET /api/v1/events.", subs)
	// The names and help of Prometheus' own Go collector, so that
	// dashboards and the soak (bench/soak) read them as they read any Go
	// program's: a goroutine left behind per connection or request shows
	// here first, and the heap in use tells a leak from memory the
	// runtime has not yet given back.
	gauge("go_goroutines", "Number of goroutines that currently exist.", runtime.NumGoroutine())
	heap := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}} // what ReadMemStats' HeapAlloc is, without stopping the world
	metrics.Read(heap)
	gauge("go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and still in use.", heap[0].Value.Uint64())
}

// label quotes a label value as the text format wants.
func label(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
