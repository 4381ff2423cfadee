package web_test

import (
	"testing"
	"time"

	"github.com/fakegraf/fakegraf/api"
	"github.com/fakegraf/fakegraf/internal/benchrec"
	"github.com/fakegraf/fakegraf/report"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/web"
)

// BenchmarkIngest is the record path into the CLI's sink with the API
// (the store), with the page's recorder idle beside it (what every
// `fakegraf listen` pays), and recording (what a recording costs, garbage
// collection of what it keeps included). Run it with -benchtime=1000000x
// so that the store and the recording are full and dropping.
func BenchmarkIngest(b *testing.B) {
	for _, tc := range []struct {
		name string
		sink func() serve.Sink
	}{
		{"store", func() serve.Sink { return api.NewStore(api.Options{Collector: report.NewCollector()}) }},
		{"store+idle-recorder", func() serve.Sink {
			return serve.Tee{api.NewStore(api.Options{Collector: report.NewCollector()}), web.NewRecorder(0)}
		}},
		{"store+recording", func() serve.Sink {
			rec := web.NewRecorder(0)
			rec.Start()
			return serve.Tee{api.NewStore(api.Options{Collector: report.NewCollector()}), rec}
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e := benchrec.Engine(b, tc.sink())
			now := time.Now().UnixNano()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				e.Record(benchrec.Record(i, now))
				i++
			}
		})
	}
}
