package api_test

import (
	"net/http/httptest"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/fakegraf/fakegraf/api"
	"github.com/fakegraf/fakegraf/internal/benchrec"
	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
	"github.com/fakegraf/fakegraf/serve"
)

// BenchmarkIngest is the whole record path into the CLI's sink without the
// API (the collector) and with it (the store, which feeds the same
// collector and keeps the newest DefaultKeep records): the API's cost per
// metric, garbage collection of what it keeps included. Run it with
// -benchtime=1000000x so that the store is full and dropping.
func BenchmarkIngest(b *testing.B) {
	for _, tc := range []struct {
		name string
		sink func() serve.Sink
	}{
		{"collector", func() serve.Sink { return report.NewCollector() }},
		{"store", func() serve.Sink { return api.NewStore(api.Options{Collector: report.NewCollector()}) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e := benchrec.Engine(b, tc.sink())
			now := time.Now().UnixNano()
			b.ReportAllocs()
			i := 0
			cpu0 := cpuTime()
			for b.Loop() {
				e.Record(benchrec.Record(i, now))
				i++
			}
			// The process's CPU time, garbage collection on the other
			// core included: what the API costs shows there.
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkKeptBytes measures the heap a full store holds per kept metric
// (a record of one metric each, as the loopback benchmark sends).
func BenchmarkKeptBytes(b *testing.B) {
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s := api.NewStore(api.Options{})
		e := benchrec.Engine(b, s)
		now := time.Now().UnixNano()
		for i := range api.DefaultKeep {
			e.Record(benchrec.Record(i, now))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/api.DefaultKeep, "B/kept-metric")
		runtime.KeepAlive(s)
	}
}

// BenchmarkResult is what Store.Result adds to a record's processing: the
// collector's counting (which the CLI does without the API too), encoding
// the record into the arena, and the ring, with a full store dropping.
func BenchmarkResult(b *testing.B) {
	var res *parse.Result
	e := benchrec.Engine(b, resultSink{&res})
	e.Record(benchrec.Record(1, time.Now().UnixNano()))
	for _, tc := range []struct {
		name string
		sink serve.Sink
	}{
		{"collector", report.NewCollector()},
		{"store", api.NewStore(api.Options{Collector: report.NewCollector()})},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tc.sink.Result(res)
			}
		})
	}
}

// BenchmarkResultSeries is BenchmarkResult/store with the loopback
// benchmark's records in turn (16 series, each record its own values and
// time) rather than one record again and again: a metric refers to the
// last of its series written in full.
func BenchmarkResultSeries(b *testing.B) {
	var res []*parse.Result
	e := benchrec.Engine(b, resultsSink{&res})
	now := time.Now().UnixNano()
	for i := range 256 {
		e.Record(benchrec.Record(i, now))
	}
	s := api.NewStore(api.Options{Collector: report.NewCollector()})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Result(res[i%len(res)])
		i++
	}
}

// resultsSink keeps every result.
type resultsSink struct{ all *[]*parse.Result }

func (resultsSink) Listening(string, string) {}
func (s resultsSink) Result(r *parse.Result) { r.Keep(); *s.all = append(*s.all, r) }
func (resultsSink) Conn(listener.ConnEvent)  {}
func (resultsSink) Finding(parse.Diagnostic) {}

// resultSink keeps the last result.
type resultSink struct{ last **parse.Result }

func (resultSink) Listening(string, string) {}
func (s resultSink) Result(r *parse.Result) { r.Keep(); *s.last = r }
func (resultSink) Conn(listener.ConnEvent)  {}
func (resultSink) Finding(parse.Diagnostic) {}

// BenchmarkPageRefresh is what an open page asks of a full store (the
// newest DefaultKeep records, 16 series of two fields) in 3 seconds under
// a flood (web/static/app.js): the summary every second, the series once,
// sparkline points for each field and the points of the plotted one. Its
// ns/op over 3e9 is the share of one core an open page costs.
func BenchmarkPageRefresh(b *testing.B) {
	s := api.NewStore(api.Options{Collector: report.NewCollector()})
	e := benchrec.Engine(b, s)
	now := time.Now().UnixNano()
	for i := range api.DefaultKeep + 1000 {
		e.Record(benchrec.Record(i, now))
	}
	h := api.NewHandler(s, api.HandlerOptions{})
	get := func(path string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "http://127.0.0.1:8095"+path, nil))
		if w.Code != 200 {
			b.Fatalf("%s: %d %s", path, w.Code, w.Body)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for range 3 {
			get("/api/v1/summary")
		}
		get("/api/v1/series")
		get("/api/v1/series/points?name=cpu&field=usage_idle&limit=60")
		get("/api/v1/series/points?name=cpu&field=usage_user&limit=60")
		get("/api/v1/series/points?name=cpu&field=usage_idle&limit=1000")
	}
}

// BenchmarkAPIOwnCost measures what issue 15's API target reads, the cost
// of --http beside the same run without it, in one benchmark: each
// iteration sends a batch of the loopback benchmark's records through
// fakegraf's record path into the CLI's sink without the API (a collector)
// and the same records through a second engine into a full Store, in an
// order that rotates, and it reports the median over the iterations of
// each path's time a record and of their difference. Run a minute apart,
// the two halves of BenchmarkIngest differ by less than the machine moves
// in that minute; neighbouring batches share its slow spells. Run it with
// -cpu 1, so that the collector's work on what the store keeps is done on
// the benchmark's own core, in the batches' time.
//
// Two more paths go into a FloorStore, which keeps a record's header and
// data only, record by record (records), and besides counts its metrics in
// their series (series): the parts the API's listings cannot answer
// without, as the store builds them.
//
// Reported, in ns a record: collector, store, records and series (each
// path), api (store minus collector) and api-% (that difference over the
// collector's path, the target's +10 %), and records-% and series-% (each
// floor's difference over the collector's path).
func BenchmarkAPIOwnCost(b *testing.B) {
	now := time.Now().UnixNano()
	recs := make([]listener.Record, 4096) // made ahead: their formatting is not the paths'
	for i := range recs {
		recs[i] = benchrec.Record(i, now)
	}
	engines := []*serve.Engine{
		benchrec.Engine(b, report.NewCollector()),
		benchrec.Engine(b, api.NewStore(api.Options{Collector: report.NewCollector()})),
		benchrec.Engine(b, api.FloorStore{Store: api.NewStore(api.Options{Collector: report.NewCollector()})}),
		benchrec.Engine(b, api.FloorStore{Store: api.NewStore(api.Options{Collector: report.NewCollector()}), Series: true}),
	}
	for _, e := range engines[1:] {
		for i := range api.DefaultKeep { // full, and dropping its oldest from here on
			e.Record(recs[i%len(recs)])
		}
	}
	next := make([]int, len(engines))
	path := func(k int) func() {
		return func() { engines[k].Record(recs[next[k]%len(recs)]); next[k]++ }
	}
	took := benchrec.Alternate(b, 200, path(0), path(1), path(2), path(3))
	collector := benchrec.Median(took[0])
	share := func(k int) float64 { return 100 * benchrec.Median(benchrec.Diff(took[k], took[0])) / collector }
	b.ReportMetric(collector, "collector-ns/rec")
	b.ReportMetric(benchrec.Median(took[1]), "store-ns/rec")
	b.ReportMetric(benchrec.Median(took[2]), "records-ns/rec")
	b.ReportMetric(benchrec.Median(took[3]), "series-ns/rec")
	b.ReportMetric(benchrec.Median(benchrec.Diff(took[1], took[0])), "api-ns/rec")
	b.ReportMetric(share(1), "api-%")
	b.ReportMetric(share(2), "records-%")
	b.ReportMetric(share(3), "series-%")
}
