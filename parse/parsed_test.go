package parse_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/influxdata/telegraf"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
)

// Parsed shows what the sender's bytes said and Metrics what Telegraf
// stores, although the two share the parser's tags and fields: every change
// MakeMetric can make stays out of Parsed, and later records do not touch
// earlier results.
func TestParsedIsTheParserView(t *testing.T) {
	cfg, err := setup.Load([]byte(`
[global_tags]
  env = "test"
[agent]
  hostname = "fakehost"
[[inputs.socket_listener]]
  service_address = "tcp://127.0.0.1:0"
  data_format = "influx"
  precision = "1s"
  name_prefix = "pre_"
  tagexclude = ["drop"]
  fieldexclude = ["secret"]
  [inputs.socket_listener.tags]
    dc = "eu"
    region = "not-this"
`), "test")
	require.NoError(t, err)
	p := parse.NewPipeline("tcp://127.0.0.1:0", parse.DefaultRules(), serve.Stages(cfg.Inputs[0])...)
	process := func(seq uint64, line string) *parse.Result {
		return p.Process(listener.Record{Listener: "tcp://127.0.0.1:0", Peer: "127.0.0.1:1", Conn: 1, Seq: seq, Stream: true, Terminated: true,
			Data: []byte(line), Size: len(line) + 1, Received: time.Now()})
	}
	type view struct {
		Name   string
		Tags   map[string]string
		Fields map[string]interface{}
		Time   time.Time
	}
	parsed := func(m parse.ParsedMetric) view {
		v := view{Name: m.Name(), Tags: map[string]string{}, Fields: map[string]interface{}{}, Time: m.Time()}
		for _, tag := range m.TagList() {
			v.Tags[tag.Key] = tag.Value
		}
		for _, f := range m.FieldList() {
			v.Fields[f.Key] = f.Value
		}
		return v
	}
	stored := func(m telegraf.Metric) view {
		return view{Name: m.Name(), Tags: m.Tags(), Fields: m.Fields(), Time: m.Time()}
	}

	first := process(1, "cpu,drop=x,region=eu-1 usage=1.5,secret=2i 1700000000123456789")
	require.NoError(t, first.Err)
	process(2, "cpu,drop=y,region=us-2 usage=9.5,secret=3i 1700000001987654321") // reuses the parser

	require.Len(t, first.Parsed, 1)
	require.Len(t, first.Metrics, 1)
	wantParsed := view{Name: "cpu", Tags: map[string]string{"drop": "x", "region": "eu-1"},
		Fields: map[string]interface{}{"usage": 1.5, "secret": int64(2)}, Time: time.Unix(0, 1700000000123456789)}
	if diff := cmp.Diff(wantParsed, parsed(first.Parsed[0])); diff != "" {
		t.Errorf("Parsed (-want +got):\n%s", diff)
	}
	wantStored := view{Name: "pre_cpu", Tags: map[string]string{"region": "eu-1", "dc": "eu", "env": "test", "host": "fakehost"},
		Fields: map[string]interface{}{"usage": 1.5}, Time: time.Unix(1700000000, 0)}
	if diff := cmp.Diff(wantStored, stored(first.Metrics[0])); diff != "" {
		t.Errorf("Metrics (-want +got):\n%s", diff)
	}
	v, ok := first.Parsed[0].GetField("secret")
	require.True(t, ok)
	if diff := cmp.Diff(int64(2), v); diff != "" {
		t.Errorf("Parsed field secret (-want +got):\n%s", diff)
	}
	_, ok = first.Parsed[0].GetTag("dc")
	require.False(t, ok, "a tag MakeMetric added shows in Parsed")
}
