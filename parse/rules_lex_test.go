package parse

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLexInflux(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []lpLine
	}{
		{
			name: "tags fields timestamp",
			in:   "cpu,host=a usage=1,s=\"x y\" 17\n",
			want: []lpLine{{Off: 0, End: 29, Name: "cpu", NameOff: 0,
				Tags:   []lpKV{{Key: "host", Value: "a", KeyOff: 4, ValueOff: 9}},
				Fields: []lpKV{{Key: "usage", Value: "1", KeyOff: 11, ValueOff: 17}, {Key: "s", Value: `"x y"`, KeyOff: 19, ValueOff: 21}},
				TS:     "17", TSOff: 27}},
		},
		{
			name: "comment, blank line, escapes, crlf",
			in:   "  #cpu v=1\n\nmy\\ cpu,k=a\\,b v=1\r\n",
			want: []lpLine{
				{Off: 2, End: 10, Comment: true, TSOff: 0},
				{Off: 12, End: 30, Name: `my\ cpu`, NameOff: 12,
					Tags:   []lpKV{{Key: "k", Value: `a\,b`, KeyOff: 20, ValueOff: 22}},
					Fields: []lpKV{{Key: "v", Value: "1", KeyOff: 27, ValueOff: 29}}, TSOff: -1},
			},
		},
		{
			name: "a string field spanning lines",
			in:   "cpu s=\"a\nb\" 5",
			want: []lpLine{{Off: 0, End: 13, Name: "cpu", Fields: []lpKV{{Key: "s", Value: "\"a\nb\"", KeyOff: 4, ValueOff: 6}}, TS: "5", TSOff: 12}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := lexInflux([]byte(tc.in))
			for i := range got {
				if got[i].Comment {
					got[i].TSOff = 0 // unset on comments
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("lexInflux(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

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

func TestLexJSON(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		query string
		want  *jsonDoc
	}{
		{
			name: "flattened like json_flattener.go",
			in:   `{"a": {"b": [1, "x"]}, "t": true, "n": null}`,
			want: &jsonDoc{Objects: []jsonObject{{Off: 0, Leaves: []jsonLeaf{
				{Key: "a_b_0", Kind: 'n', Raw: "1", KeyOff: 13, ValueOff: 13},
				{Key: "a_b_1", Kind: 's', Raw: `"x"`, Str: "x", KeyOff: 16, ValueOff: 16},
				{Key: "t", Kind: 'b', Raw: "true", KeyOff: 23, ValueOff: 28, TopMember: true},
				{Key: "n", Kind: 'z', Raw: "null", KeyOff: 34, ValueOff: 39, TopMember: true},
			}}}},
		},
		{
			name: "array of objects after a byte-order mark",
			in:   "\xef\xbb\xbf [{\"v\": 1}, {\"v\": 2}]",
			want: &jsonDoc{Objects: []jsonObject{
				{Off: 5, Leaves: []jsonLeaf{{Key: "v", Kind: 'n', Raw: "1", KeyOff: 6, ValueOff: 11, TopMember: true}}},
				{Off: 15, Leaves: []jsonLeaf{{Key: "v", Kind: 'n', Raw: "2", KeyOff: 16, ValueOff: 21, TopMember: true}}},
			}},
		},
		{
			name:  "json_query",
			in:    `{"data": {"v": 1}}`,
			query: "data",
			want:  &jsonDoc{Objects: []jsonObject{{Off: 9, Leaves: []jsonLeaf{{Key: "v", Kind: 'n', Raw: "1", KeyOff: 10, ValueOff: 15, TopMember: true}}}}},
		},
		{name: "invalid", in: `{"a": 1`},
		{name: "scalar", in: `42`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, lexJSON([]byte(tc.in), tc.query)); diff != "" {
				t.Errorf("lexJSON(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestLRUEvictsTheLeastRecentlyUsed(t *testing.T) {
	c := newLRU[string, int](2)
	c.Put("a", 1)
	c.Put("b", 2)
	c.Get("a") // b is now the oldest
	c.Put("c", 3)
	var got []string
	for _, k := range []string{"a", "b", "c"} {
		if v, ok := c.Get(k); ok {
			got = append(got, fmt.Sprintf("%s=%d", k, v))
		}
	}
	if diff := cmp.Diff([]string{"a=1", "c=3"}, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if c.Len() != 2 {
		t.Errorf("Len() = %d, want 2", c.Len())
	}
}

func TestWording(t *testing.T) {
	tests := []struct{ got, want string }{
		{andList(nil), ""},
		{andList([]string{"a"}), "a"},
		{andList([]string{"a", "b", "c"}), "a, b and c"},
		{tomlList([]string{"a", `b"c`}), `["a", "b\"c"]`},
		{safeName("my:metric|name"), "my_metric_name"},
		{safeName(`"cpu load"`), "cpu_load"},
		{breaks([]rune{':'}), "statsd, Wavefront and Prometheus labels"},
		{breaks([]rune{' '}), "line protocol (unless escaped), statsd, Graphite, Wavefront and Prometheus"},
		{strings.Join(troubleStrings("a\tb:c"), ","), "\t,:"},
	}
	for i, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%d: got %q, want %q", i, tc.got, tc.want)
		}
	}
}

func troubleStrings(s string) []string {
	var out []string
	for _, r := range troubleChars(s, false) {
		out = append(out, string(r))
	}
	return out
}

// troubleChars' byte table agrees with the rune-decoding definition for
// every byte, alone and inside a name.
func TestTroubleCharsFastPathAgrees(t *testing.T) {
	for c := 0; c < 256; c++ {
		for _, s := range []string{string([]byte{byte(c)}), "cpu" + string([]byte{byte(c)}) + "load", "é" + string([]byte{byte(c)})} {
			for _, value := range []bool{false, true} {
				want := troubleCharsSlow(s, value)
				if got := troubleChars(s, value); !slices.Equal(got, want) {
					t.Errorf("troubleChars(%q, %v) = %q, want %q", s, value, got, want)
				}
				if len(want) > 0 && !mayHaveTroubleChars(s, value) {
					t.Errorf("mayHaveTroubleChars(%q, %v) = false, but it has %q", s, value, want)
				}
			}
		}
	}
}

// mayHaveTimeKey may say yes too often, never too rarely.
func TestMayHaveTimeKey(t *testing.T) {
	for _, doc := range []string{`{"time": 1}`, `{"Time": 1}`, `{"TIMESTAMP": 1}`, `{"ts": 1}`, `{"TS": 1}`, `{"epoch": 1}`, `{"Epoch_ms": 1}`, `{"event_time": 1}`} {
		if !mayHaveTimeKey([]byte(doc)) {
			t.Errorf("mayHaveTimeKey(%s) = false", doc)
		}
	}
	if mayHaveTimeKey([]byte(`{"metric_name": "cpu", "value1": 10, "format": "json"}`)) {
		t.Error("mayHaveTimeKey is true for a document without a time-like key")
	}
}
