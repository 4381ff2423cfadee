package parse_test

import (
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
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
