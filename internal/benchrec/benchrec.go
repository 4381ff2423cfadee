package benchrec

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
)

// Listener is the listener URL of Engine's input and Record's records.
const Listener = "tcp://127.0.0.1:8094"

// Engine is fakegraf's record path (Telegraf's influx parser, MakeMetric,
// every rule) into sink.
func Engine(tb testing.TB, sink serve.Sink) *serve.Engine {
	tb.Helper()
	cfg, err := setup.Load([]byte("[agent]\n  omit_hostname = true\n[[inputs.socket_listener]]\n  service_address = \""+Listener+"\"\n  data_format = \"influx\"\n"), "bench")
	if err != nil {
		tb.Fatal(err)
	}
	e := serve.NewEngine(sink)
	e.Add(Listener, "influx", parse.NewPipeline(Listener, parse.DefaultRules(), serve.Stages(cfg.Inputs[0])...))
	return e
}

// Record is the loopback benchmark's line (bench/loopback), the i-th of a
// run that started at now, one per record: 16 series of two fields.
func Record(i int, now int64) listener.Record {
	data := fmt.Appendf(nil, "cpu,host=web%d,region=eu usage_idle=%d.5,usage_user=1.25 %d", i%16, i%100, now+int64(i))
	return listener.Record{Listener: Listener, Peer: "127.0.0.1:5000", Conn: 1, Seq: uint64(i + 1),
		Data: data, Size: len(data) + 1, Stream: true, Terminated: true, Received: time.Unix(0, now)}
}

// Alternate runs each of paths batch times in every iteration of b.Loop,
// one path after another in an order that rotates from one iteration to
// the next, and returns for each path its time a run in every iteration,
// in nanoseconds. Two benchmarks run a minute apart differ by more than
// this machine moves in that minute; neighbouring batches, a millisecond
// apart, share its slow spells, so the differences between the paths'
// times in the same iteration are what a comparison should take the
// median of (Diff, Median).
func Alternate(b *testing.B, batch int, paths ...func()) [][]float64 {
	took := make([][]float64, len(paths))
	for round := 0; b.Loop(); round++ {
		for k := range paths {
			i := (k + round) % len(paths) // no path always runs first
			start := time.Now()
			for range batch {
				paths[i]()
			}
			took[i] = append(took[i], float64(time.Since(start).Nanoseconds())/float64(batch))
		}
	}
	return took
}

// Diff is a[i] - b[i] for each i.
func Diff(a, b []float64) []float64 {
	d := make([]float64, len(a))
	for i := range d {
		d[i] = a[i] - b[i]
	}
	return d
}

// Median is the median of xs; 0 when there is none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
