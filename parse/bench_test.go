package parse_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
)

// benchInputs are one realistic record per format, as the tutorial sends them.
func benchInputs() []struct{ format, options, record string } {
	now := time.Now().Unix()
	return []struct{ format, options, record string }{
		{"influx", "", fmt.Sprintf("good_metric_name,format=influxline,host=web1 value1=10,value2=7i,ratio=0.25 %d000000000", now)},
		{"json", "  json_name_key = \"metric_name\"\n  tag_keys = [\"format\"]\n", `{"metric_name": "good_metric_name", "value1": 10, "value2": 7, "format": "json"}`},
		{"wavefront", "", "prefix_metric_name.value1 10 " + strconv.FormatInt(now, 10) + ` source=localhost format="wavefront"`},
	}
}

func benchStage(b *testing.B, format, options string) *parse.Stage {
	b.Helper()
	cfg, err := setup.Load([]byte(fmt.Sprintf("[agent]\n  omit_hostname = true\n[[inputs.socket_listener]]\n  service_address = \"tcp://127.0.0.1:0\"\n  data_format = %q\n%s", format, options)), "bench")
	if err != nil {
		b.Fatal(err)
	}
	return serve.Stages(cfg.Inputs[0])[0]
}

// BenchmarkParser is the floor: Telegraf's bare parser on the same record.
func BenchmarkParser(b *testing.B) {
	for _, in := range benchInputs() {
		b.Run(in.format, func(b *testing.B) {
			st := benchStage(b, in.format, in.options)
			data := []byte(in.record)
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := st.Parser.Parse(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParserAndMakeMetric is what Telegraf's input itself does with a
// record before the agent takes the metrics: the parser, the agent's
// rounding and RunningInput.MakeMetric. fakegraf must do all of it too.
func BenchmarkParserAndMakeMetric(b *testing.B) {
	for _, in := range benchInputs() {
		b.Run(in.format, func(b *testing.B) {
			st := benchStage(b, in.format, in.options)
			data := []byte(in.record)
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				ms, err := st.Parser.Parse(data)
				if err != nil {
					b.Fatal(err)
				}
				for _, m := range ms {
					m.SetTime(m.Time().Round(time.Nanosecond))
					if st.Maker.MakeMetric(m) == nil {
						b.Fatal("filtered")
					}
				}
			}
		})
	}
}

// BenchmarkProcess is fakegraf's record -> metrics + findings path with
// every rule on.
func BenchmarkProcess(b *testing.B) {
	benchmarkProcess(b, parse.DefaultRules())
}

// BenchmarkProcessNoRules is the same path with no rule that a clean record
// runs (parse-error, which cannot be disabled, runs only on a failed
// parse): what the pipeline itself costs beyond Telegraf's parser and
// MakeMetric. BenchmarkProcess minus this is what the rules cost.
func BenchmarkProcessNoRules(b *testing.B) {
	rules, err := parse.NewRuleSet([]string{"parse-error"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	benchmarkProcess(b, rules)
}

func benchmarkProcess(b *testing.B, rules *parse.RuleSet) {
	for _, in := range benchInputs() {
		b.Run(in.format, func(b *testing.B) {
			st := benchStage(b, in.format, in.options)
			p := parse.NewPipeline("tcp://127.0.0.1:8094", rules, st)
			rec := listener.Record{Listener: "tcp://127.0.0.1:8094", Peer: "127.0.0.1:5555", Conn: 1, Data: []byte(in.record),
				Size: len(in.record) + 1, Stream: true, Terminated: true, Received: time.Now()}
			b.ReportAllocs()
			b.SetBytes(int64(len(rec.Data)))
			for b.Loop() {
				rec.Seq++
				res := p.Process(rec)
				if res.Err != nil || len(res.Diagnostics) > 0 {
					b.Fatalf("want a clean record: %v %v", res.Err, res.Diagnostics)
				}
				res.Release() // as serve.Engine does once the sink has seen it
			}
		})
	}
}
