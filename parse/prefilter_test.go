package parse_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
)

// TestCleanRecordShortcutsKeepFindings checks the shortcuts that let clean
// records skip the lexer never hide a finding: each input is one the counts
// could mistake for clean.
func TestCleanRecordShortcutsKeepFindings(t *testing.T) {
	tests := []struct {
		name, options, record, rule string
	}{
		{"a number turned into a tag does not hide a dropped string", `tag_keys = ["n"]`, `{"a":"x","n":5,"v":1}`, "json-string-dropped"},
		{"a bool turned into a tag does not hide a dropped bool", `tag_keys = ["b"]`, `{"b":true,"c":false,"v":1}`, "json-string-dropped"},
		{"strings inside arrays count", ``, `{"arr":["x",1],"v":1}`, "json-string-dropped"},
		{"a numeric name key is still reported", `json_name_key = "name"`, `{"name":5,"v":1}`, "json-name-key-type"},
		{"a missing name key is still reported", `json_name_key = "name"`, `{"nme":"cpu","v":1}`, "json-name-key-type"},
		{"a big integer is still found", ``, `{"id":9007199254740993,"v":1}`, "precision-loss"},
		{"a timestamp member is still found", ``, `{"timestamp":1700000000,"v":1}`, "time-key-name"},
		{"a member written twice is still found", ``, `{"v":1,"v":2}`, "duplicate-key"},
		{"a nested member written twice is still found", `tag_keys = ["t"]`, `{"t":"x","a":{"b":1,"b":2}}`, "duplicate-key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := setup.Load([]byte("[agent]\n  omit_hostname = true\n[[inputs.socket_listener]]\n  service_address = \"udp://127.0.0.1:0\"\n  data_format = \"json\"\n  "+tt.options+"\n"), "test")
			require.NoError(t, err)
			p := parse.NewPipeline("udp://127.0.0.1:8094", nil, serve.Stages(cfg.Inputs[0])...)
			res := p.Process(listener.Record{Listener: "udp://127.0.0.1:8094", Peer: "127.0.0.1:1", Seq: 1, Data: []byte(tt.record), Size: len(tt.record), Terminated: true, Received: time.Now()})
			require.Contains(t, rulesOf(res.Diagnostics), tt.rule)
		})
	}
}

// TestOverflowThatLandsNearNow: nanoseconds read with precision 1s wrap
// around int64 and can land anywhere, even within the skew window; it is
// still the wrong unit.
func TestOverflowThatLandsNearNow(t *testing.T) {
	cfg, err := setup.Load([]byte("[agent]\n  omit_hostname = true\n[[inputs.socket_listener]]\n  service_address = \"udp://127.0.0.1:0\"\n  influx_timestamp_precision = \"1s\"\n"), "test")
	require.NoError(t, err)
	// Find a nanosecond timestamp within a minute of now whose wrapped
	// seconds*1e9 also lands within the hour.
	now := time.Now()
	var ts int64
	for v := now.UnixNano() - int64(time.Minute); v < now.UnixNano(); v += 1000 {
		if d := time.Unix(0, v*int64(time.Second)).Sub(now); d > -time.Hour && d < time.Hour {
			ts = v
			break
		}
	}
	if ts == 0 {
		t.Skip("no wrapped value near now in the minute before now (try again)")
	}
	p := parse.NewPipeline("udp://127.0.0.1:8094", nil, serve.Stages(cfg.Inputs[0])...)
	data := fmt.Sprintf("cpu v=1 %d\n", ts)
	res := p.Process(listener.Record{Listener: "udp://127.0.0.1:8094", Peer: "127.0.0.1:1", Seq: 1, Data: []byte(data), Size: len(data), Terminated: true, Received: now})
	require.Contains(t, rulesOf(res.Diagnostics), "timestamp-unit")
}
