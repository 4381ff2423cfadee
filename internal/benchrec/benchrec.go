package benchrec

import (
	"fmt"
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
