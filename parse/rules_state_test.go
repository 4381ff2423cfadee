package parse

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/setup"
)

func testPipeline(t testing.TB, addr, format string) *Pipeline {
	t.Helper()
	toml := fmt.Sprintf("[agent]\n  omit_hostname = true\n[[inputs.socket_listener]]\n  service_address = %q\n  data_format = %q\n", addr, format)
	cfg, err := setup.Load([]byte(toml), "test")
	require.NoError(t, err)
	in := cfg.Inputs[0]
	return NewPipeline(addr, nil, &Stage{Format: in.DataFormat, Parser: in.Parser, Maker: in.Running, Precision: in.Precision})
}

// Rules that remember records hold bounded memory however long the run.
func TestRuleStateIsBounded(t *testing.T) {
	stream := testPipeline(t, "tcp://127.0.0.1:0", "influx")
	n := fieldTypesCap + 500
	for i := 0; i < n; i++ {
		stream.Process(listener.Record{
			Listener: "tcp://127.0.0.1:0", Peer: fmt.Sprintf("10.%d.%d.%d:4000", i/65536, i/256%256, i%256),
			Conn: uint64(i + 1), Seq: uint64(i + 1), Stream: true, Terminated: true,
			Data: []byte(fmt.Sprintf("m f%d=1", i)),
		})
	}
	types := stream.state.Get(ruleFieldTypeConflict, nil).(*fieldTypes).types
	peers := stream.state.Get(ruleConnectionChurn, nil).(*churnState).peers

	dgram := testPipeline(t, "udp://127.0.0.1:0", "json")
	for i := 0; i < splitPeers+100; i++ {
		dgram.Process(listener.Record{Listener: "udp://127.0.0.1:0", Peer: fmt.Sprintf("10.0.%d.%d:4000", i/256, i%256), Seq: uint64(i + 1), Data: []byte(`{"v": `)})
	}
	last := dgram.state.Get(ruleDatagramSplit, nil).(*lru[string, *lastDatagram])

	lines := testPipeline(t, "tcp://127.0.0.1:0", "json")
	for i := 0; i < multilineConns+100; i++ {
		lines.Process(listener.Record{Listener: "tcp://127.0.0.1:0", Peer: "127.0.0.1:1", Conn: uint64(i + 1), Seq: uint64(i + 1), Stream: true, Terminated: true, Data: []byte(`{`)})
	}
	conns := lines.state.Get(ruleJSONMultiline, nil).(*lru[uint64, *multilineState])

	type held struct {
		FieldTypes, ChurnPeers, SplitPeers, MultilineConns int
	}
	want := held{fieldTypesCap, churnPeers, splitPeers, multilineConns}
	got := held{types.Len(), peers.Len(), last.Len(), conns.Len()}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries each rule's state holds (-want +got):\n%s", diff)
	}
}
