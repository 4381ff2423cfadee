package parse_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
)

// A record that carries a plugin's output stores the plugin's metrics,
// through what the agent applies after the plugin (name_override here),
// while the rules see the record's bytes as the parser reads them.
func TestPluginOutputIsWhatIsStored(t *testing.T) {
	c := parse.Case{Config: "data_format = \"influx\"\nname_override = \"renamed\""}
	p := casePipeline(t, c)
	at := time.Unix(1700000000, 0)
	rec := listener.Record{
		Listener: c.Address(), Peer: "127.0.0.1:40000", Seq: 1, Received: at,
		Data: []byte("cpu v=1\ncpu v=\n"),
		Plugin: &listener.PluginOutput{Metrics: []telegraf.Metric{
			metric.New("cpu", map[string]string{"db": "x"}, map[string]interface{}{"v": 1.0}, at),
		}},
	}
	res := p.Process(rec)
	require.Len(t, res.Metrics, 1)
	require.Equal(t, "renamed", res.Metrics[0].Name())
	require.Equal(t, map[string]string{"db": "x"}, res.Metrics[0].Tags())
	require.Error(t, res.Err, "the rules' view parses the bytes with Telegraf's parser")
	require.False(t, res.SenderSetTime(0), "a metric beyond the parsed view has no sender time")
	var rules []string
	for _, d := range res.Diagnostics {
		rules = append(rules, d.Rule)
	}
	require.Contains(t, rules, "parse-error")
}

// On a request the InfluxDB v2 listener accepted whole (204), the rules
// read the plugin's metrics instead of parsing the body again
// (Stage.PluginParses), and that changes nothing: the same findings, the
// same stored metrics and sender times as with the second parse. On a
// request it refused (400, a bad line), the body is parsed again, for the
// rules to find the bad line.
func TestPluginParsesIsTheSecondParse(t *testing.T) {
	cfg, err := setup.Load([]byte("[agent]\n  omit_hostname = true\n[[inputs.influxdb_v2_listener]]\n  service_address = \"127.0.0.1:0\"\n"), "test")
	require.NoError(t, err)
	in := cfg.Inputs[0]
	fast := serve.Stages(in)[0]
	require.True(t, fast.PluginParses, "the v2 listener without bucket_tag hands on its parser's metrics untouched")
	slow := *fast
	slow.PluginParses = false
	parses := 0
	counting := *fast
	counting.ParserFor = func(rec listener.Record) telegraf.Parser { parses++; return fast.ParserFor(rec) }

	// A millisecond timestamp at precision=ns (timestamp-unit), a name
	// with a character Telegraf escapes, a float and an integer field.
	body := "cpu,host=a usage=1.5,n=3i 1700000000000000000\n" +
		"cpu,host=b usage=2 1700000000000\n" +
		"disk\\ io,host=a used=7i 1700000000000000001\n"
	at := time.Unix(1700000000, 0)
	record := func(status int, data string) listener.Record {
		rec := listener.Record{
			Listener: "influxdb-v2://127.0.0.1:8086", Peer: "127.0.0.1:40000", Conn: 1, Seq: 1, Received: at,
			Data: []byte(data), Size: len(data), Terminated: true,
			HTTP: &listener.Exchange{Method: "POST", Path: "/api/v2/write", Query: "bucket=b&precision=ns", Status: status},
		}
		// What the plugin hands its accumulator: its parser's metrics,
		// each pipeline its own (storing rounds and rewrites them).
		ms, err := fast.ParserFor(rec).Parse(rec.Data)
		if err != nil {
			ms = nil // influxdb_v2_listener.go handleWrite stores nothing of a batch with a bad line
		}
		rec.Plugin = &listener.PluginOutput{Metrics: ms}
		return rec
	}
	process := func(st *parse.Stage, rec listener.Record) *parse.Result {
		return parse.NewPipeline(rec.Listener, nil, st).Process(rec)
	}

	want := process(&slow, record(http.StatusNoContent, body))
	got := process(&counting, record(http.StatusNoContent, body))
	require.Zero(t, parses, "a request accepted whole is not parsed again")
	require.NotEmpty(t, want.Diagnostics, "the batch must trigger rules, or the comparison proves nothing")
	if d := cmp.Diff(want.Diagnostics, got.Diagnostics); d != "" {
		t.Errorf("findings differ (-second parse +plugin's metrics):\n%s", d)
	}
	require.Len(t, got.Metrics, 3)
	for i := range want.Metrics {
		require.Equal(t, want.Metrics[i].Name(), got.Metrics[i].Name())
		require.Equal(t, want.Metrics[i].Tags(), got.Metrics[i].Tags())
		require.Equal(t, want.Metrics[i].Fields(), got.Metrics[i].Fields())
		require.Equal(t, want.Metrics[i].Time(), got.Metrics[i].Time())
		require.Equal(t, want.SenderSetTime(i), got.SenderSetTime(i), "metric %d", i)
	}
	require.Equal(t, len(want.Parsed), len(got.Parsed))

	bad := body + "cpu usage=\n"
	res := process(&counting, record(http.StatusBadRequest, bad))
	require.Equal(t, 1, parses, "a refused request is parsed again for the rules")
	require.Error(t, res.Err)
	var rules []string
	for _, d := range res.Diagnostics {
		rules = append(rules, d.Rule)
	}
	require.Contains(t, rules, "parse-error")
}
