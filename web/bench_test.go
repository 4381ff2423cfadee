package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/fakegraf/fakegraf/api"
	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
	"github.com/fakegraf/fakegraf/web"
)

func benchEngine(b *testing.B, sink serve.Sink) *serve.Engine {
	cfg, err := setup.Load([]byte("[agent]\n  omit_hostname = true\n[[inputs.socket_listener]]\n  service_address = \"tcp://127.0.0.1:8094\"\n  data_format = \"influx\"\n"), "bench")
	if err != nil {
		b.Fatal(err)
	}
	e := serve.NewEngine(sink)
	e.Add("tcp://127.0.0.1:8094", "influx", parse.NewPipeline("tcp://127.0.0.1:8094", parse.DefaultRules(), serve.Stages(cfg.Inputs[0])...))
	return e
}

// The loopback benchmark's line (bench/loopback), one per record.
func benchRecord(i int, now int64) listener.Record {
	data := fmt.Appendf(nil, "cpu,host=web%d,region=eu usage_idle=%d.5,usage_user=1.25 %d", i%16, i%100, now+int64(i))
	return listener.Record{Listener: "tcp://127.0.0.1:8094", Peer: "127.0.0.1:5000", Conn: 1, Seq: uint64(i + 1),
		Data: data, Size: len(data) + 1, Stream: true, Terminated: true, Received: time.Unix(0, now)}
}

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
			e := benchEngine(b, tc.sink())
			now := time.Now().UnixNano()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				e.Record(benchRecord(i, now))
				i++
			}
		})
	}
}
