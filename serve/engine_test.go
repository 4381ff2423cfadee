package serve

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/setup"
)

// TestEngineRoutesByListener: records of two listeners, interleaved and in
// runs, each reach their own listener's pipeline, and a listener added again
// with another pipeline gets that one from its next record (the engine
// remembers the last record's pipeline).
func TestEngineRoutesByListener(t *testing.T) {
	pipeline := func(url, format string) *parse.Pipeline {
		cfg, err := setup.Load([]byte("[[inputs.socket_listener]]\n  service_address = \"tcp://127.0.0.1:0\"\n  data_format = \""+format+"\"\n"), "test")
		require.NoError(t, err)
		return parse.NewPipeline(url, nil, Stages(cfg.Inputs[0])...)
	}
	const a, b = "tcp://127.0.0.1:1", "tcp://127.0.0.1:2"
	sink := &logSink{}
	e := NewEngine(sink)
	e.Add(a, "influx", pipeline(a, "influx"))
	e.Add(b, "json", pipeline(b, "json"))
	rec := func(url, data string) listener.Record {
		return listener.Record{Listener: url, Conn: 1, Data: []byte(data), Stream: true, Terminated: true}
	}
	stored := func() string { return sink.log[len(sink.log)-1] }
	e.Record(rec(a, "cpu v=1"))
	require.Contains(t, stored(), "cpu", "influx on a")
	e.Record(rec(b, `{"v": 1}`))
	require.Contains(t, stored(), "socket_listener", "json on b (json_name_key unset: the measurement is the plugin's name)")
	e.Record(rec(b, `{"v": 2}`))
	require.Contains(t, stored(), "socket_listener")
	e.Record(rec(a, "mem v=1"))
	require.Contains(t, stored(), "mem")
	e.Add(a, "json", pipeline(a, "json"))
	e.Record(rec(a, "cpu v=1"))
	require.Contains(t, stored(), "[parse-error:", "a's new pipeline reads json")
}
