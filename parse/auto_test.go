package parse_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
)

func autoPipeline(t *testing.T, stream bool) *parse.Pipeline {
	t.Helper()
	cfg, err := setup.FromFlags(setup.Flags{Addresses: []string{"tcp://127.0.0.1:0"}, DataFormat: "auto", OmitHostname: true})
	require.NoError(t, err)
	return parse.NewPipeline("tcp://127.0.0.1:8094", nil, serve.Stages(cfg.Inputs[0])...)
}

func TestAutoKeepsEachSendersFormat(t *testing.T) {
	p := autoPipeline(t, true)
	lines := []string{"{", `  "metric_name": "pretty",`, `  "v": 1`, "}"}
	var last *parse.Result
	var formats []string
	for i, l := range lines {
		last = p.Process(listener.Record{Listener: "tcp://127.0.0.1:8094", Peer: "127.0.0.1:1", Conn: 1, Seq: uint64(i + 1),
			Data: []byte(l), Size: len(l) + 1, Stream: true, Terminated: true, Received: time.Now()})
		formats = append(formats, last.Format)
	}
	if diff := cmp.Diff([]string{"json", "json", "json", "json"}, formats); diff != "" {
		t.Errorf("format of each line: JSON, the format the connection started with (-want +got):\n%s", diff)
	}
	require.Contains(t, rulesOf(last.Diagnostics), "json-multiline")

	// Another connection is detected afresh.
	res := p.Process(listener.Record{Listener: "tcp://127.0.0.1:8094", Peer: "127.0.0.1:2", Conn: 2, Seq: 5,
		Data: []byte("cpu v=1"), Size: 8, Stream: true, Terminated: true, Received: time.Now()})
	if diff := cmp.Diff("influx", res.Format); diff != "" {
		t.Errorf("format of the second connection (-want +got):\n%s", diff)
	}
	require.NoError(t, res.Err)
}

func TestAutoNamesStatsd(t *testing.T) {
	p := autoPipeline(t, false)
	res := p.Process(listener.Record{Listener: "udp://127.0.0.1:8094", Peer: "127.0.0.1:1", Seq: 1,
		Data: []byte("my.counter:1|c"), Size: 14, Terminated: true, Received: time.Now()})
	if diff := cmp.Diff("influx", res.Format); diff != "" {
		t.Errorf("format, Telegraf's default data_format (-want +got):\n%s", diff)
	}
	require.Contains(t, rulesOf(res.Diagnostics), "wrong-format")
}

// With --data-format auto the information about the config to write would
// come with every record: it is said once per sender and advice, and the
// repeats travel in Result.Repeated for the summary to count.
func TestAutoSaysRepeatingInfoOncePerSender(t *testing.T) {
	p := autoPipeline(t, false)
	type said struct{ shown, repeated []string }
	send := func(seq uint64, peer, data string) said {
		res := p.Process(listener.Record{Listener: "udp://127.0.0.1:8094", Peer: peer, Seq: seq,
			Data: []byte(data), Size: len(data), Terminated: true, Received: time.Now()})
		var s said
		for _, d := range res.Diagnostics {
			require.Equal(t, parse.Info, d.Severity, "%s", describe(res.Diagnostics))
			s.shown = append(s.shown, d.Rule)
		}
		for _, d := range res.Repeated {
			require.Equal(t, parse.Info, d.Severity)
			s.repeated = append(s.repeated, d.Rule)
		}
		return s
	}
	const a, b = "127.0.0.1:1", "127.0.0.1:2"
	tests := []struct {
		name       string
		peer, data string
		want       said
	}{
		{"first record", a, `{"metric_name": "speed", "v": 1, "note": "x"}`,
			said{shown: []string{"data-format-detected", "default-measurement-name", "json-string-dropped"}}},
		{"the same advice again", a, `{"metric_name": "speed", "v": 2, "note": "y"}`,
			said{repeated: []string{"default-measurement-name", "json-string-dropped"}}},
		{"other advice for the same sender", a, `{"metric_name": "speed", "v": 3, "city": "Bonn"}`,
			said{shown: []string{"json-string-dropped"}, repeated: []string{"default-measurement-name"}}},
		{"another sender", b, `{"metric_name": "speed", "v": 1, "note": "x"}`,
			said{shown: []string{"default-measurement-name", "json-string-dropped"}}},
	}
	for i, tc := range tests {
		got := send(uint64(i+1), tc.peer, tc.data)
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(said{})); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}
