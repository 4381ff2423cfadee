package parse

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLexWavefront(t *testing.T) {
	in := "a.b 10 1700000000 source=h1 \"k 1\"=\"v w\"\r\n\nc.d 2 k=v\n"
	want := []wfLine{
		{Off: 0, End: 39, Name: wfTok{"a.b", 0}, Value: wfTok{"10", 4}, TS: wfTok{"1700000000", 7},
			Tags: []wfTag{{Key: "source", Value: "h1", KeyOff: 18, ValueOff: 25}, {Key: "k 1", Value: "v w", KeyOff: 28, ValueOff: 34}}},
		{Off: 42, End: 51, Name: wfTok{"c.d", 42}, Value: wfTok{"2", 46}, TS: wfTok{Off: -1},
			Tags: []wfTag{{Key: "k", Value: "v", KeyOff: 48, ValueOff: 50}}},
	}
	if diff := cmp.Diff(want, lexWavefront([]byte(in))); diff != "" {
		t.Errorf("lexWavefront (-want +got):\n%s", diff)
	}
}
