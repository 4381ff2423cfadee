package parse

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
	jsonparser "github.com/influxdata/telegraf/plugins/parsers/json"
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
		{
			name: "a string field spanning lines, then the next line",
			in:   "cpu s=\"a\nb\" 17\nmem v=1i 18\n",
			want: []lpLine{
				{Off: 0, End: 14, Name: "cpu", Fields: []lpKV{{Key: "s", Value: "\"a\nb\"", KeyOff: 4, ValueOff: 6}}, TS: "17", TSOff: 12},
				{Off: 15, End: 26, Name: "mem", NameOff: 15, Fields: []lpKV{{Key: "v", Value: "1i", KeyOff: 19, ValueOff: 21}}, TS: "18", TSOff: 24},
			},
		},
		{
			name: "escapes: a space in the name, '=' in a tag key, a quote and a backslash in a string",
			in:   `my\ cpu,a\=b=c\ d s="x\"y\\",t=T 5` + "\n",
			want: []lpLine{{Off: 0, End: 34, Name: `my\ cpu`,
				Tags:   []lpKV{{Key: `a\=b`, Value: `c\ d`, KeyOff: 8, ValueOff: 13}},
				Fields: []lpKV{{Key: "s", Value: `"x\"y\\"`, KeyOff: 18, ValueOff: 20}, {Key: "t", Value: "T", KeyOff: 29, ValueOff: 31}},
				TS:     "5", TSOff: 33}},
		},
		{
			name: "a rejected line keeps its parts and the timestamp the machine stopped in",
			in:   "cpu v=1 1700000000.5\n,bad v=1\nmem v=2\n# last",
			want: []lpLine{
				{Off: 0, End: 20, Name: "cpu", Fields: []lpKV{{Key: "v", Value: "1", KeyOff: 4, ValueOff: 6}}, TS: "1700000000.5", TSOff: 8},
				{Off: 21, End: 29, NameOff: 21, TSOff: -1},
				{Off: 30, End: 37, Name: "mem", NameOff: 30, Fields: []lpKV{{Key: "v", Value: "2", KeyOff: 34, ValueOff: 36}}, TSOff: -1},
				{Off: 38, End: 44, Comment: true},
			},
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
		{
			name: "escapes, an empty member name, an object in an array",
			in:   `{"k\u00e9": "a\"b", "": {"x": 2}, "arr": [{"c": 3}]}`,
			want: &jsonDoc{Objects: []jsonObject{{Off: 0, Leaves: []jsonLeaf{
				{Key: "ké", Kind: 's', Raw: `"a\"b"`, Str: `a"b`, KeyOff: 1, ValueOff: 12, TopMember: true},
				{Key: "x", Kind: 'n', Raw: "2", KeyOff: 25, ValueOff: 30},
				{Key: "arr_0_c", Kind: 'n', Raw: "3", KeyOff: 43, ValueOff: 48},
			}}}},
		},
		{
			name: "a no-break space before the document, as bytes.TrimSpace trims it",
			in:   "\u00a0{\"v\": 1}",
			want: &jsonDoc{Objects: []jsonObject{{Off: 2, Leaves: []jsonLeaf{{Key: "v", Kind: 'n', Raw: "1", KeyOff: 3, ValueOff: 8, TopMember: true}}}}},
		},
		{name: "an array holding a number", in: `[{"v": 1}, 2]`},
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

// FuzzLexInflux holds lexInflux to Telegraf's influx parser: every part's
// offset points at its text, and on a record the parser accepts, the lexer
// has one line per metric and a timestamp exactly where the sender set one.
func FuzzLexInflux(f *testing.F) {
	for _, s := range []string{
		"cpu,host=a usage=1,s=\"x y\" 17\n",
		"  #cpu v=1\n\nmy\\ cpu,k=a\\,b v=1\r\n",
		"cpu s=\"a\nb\" 1700000000000000000\nmem v=1i 1700000000000000001\n",
		`my\ cpu,a\=b=c\ d s="x\"y\\",t=T 5` + "\n",
		"cpu v=1 1700000000.5\n,bad v=1\nmem v=2\n# last",
		"cpu,t=a\\\\ v=1\n",
		"cpu v=1 17 \n\t\v\f\n",
	} {
		f.Add([]byte(s))
	}
	arrival := time.Unix(0, 42)
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := lexInflux(data)
		at := func(what string, off int, text string) {
			if off < 0 || off+len(text) > len(data) || string(data[off:off+len(text)]) != text {
				t.Fatalf("%q: %s %q is not at %d", data, what, text, off)
			}
		}
		var metricLines []lpLine
		for _, l := range lines {
			if l.Off < 0 || l.Off > l.End || l.End > len(data) {
				t.Fatalf("%q: line %d..%d", data, l.Off, l.End)
			}
			if l.Comment {
				at("comment", l.Off, "#")
				continue
			}
			metricLines = append(metricLines, l)
			at("name", l.NameOff, l.Name)
			for _, kv := range append(append([]lpKV{}, l.Tags...), l.Fields...) {
				at("key", kv.KeyOff, kv.Key)
				at("value", kv.ValueOff, kv.Value)
			}
			if l.TSOff >= 0 {
				at("timestamp", l.TSOff, l.TS)
			}
		}
		p := &influx.Parser{}
		if err := p.Init(); err != nil {
			t.Fatal(err)
		}
		p.SetTimeFunc(func() time.Time { return arrival })
		ms, err := parseRecovering(p, data)
		if err != nil {
			return
		}
		if len(ms) != len(metricLines) {
			t.Fatalf("%q: %d metrics, %d lines", data, len(ms), len(metricLines))
		}
		for i, m := range ms {
			l := metricLines[i]
			if (l.TSOff >= 0) != !m.Time().Equal(arrival) && l.TS != "42" {
				t.Fatalf("%q: metric %d at %v, lexed timestamp %q", data, i, m.Time(), l.TS)
			}
		}
	})
}

// FuzzLexJSON holds lexJSON to Telegraf's json parser: every scalar's
// offset points at its text, one object per metric, and every number is a
// field under the key the parser gives it.
func FuzzLexJSON(f *testing.F) {
	for _, s := range []string{
		`{"a": {"b": [1, "x"]}, "t": true, "n": null}`,
		"\xef\xbb\xbf [{\"v\": 1}, {\"v\": 2}]",
		`{"k\u00e9y": 1, "": {"x": 2}, "s": "a\"b", "arr": [{"c": 3}]}`,
		"\u00a0 {\"v\": 1}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc := lexJSON(data, "")
		if doc == nil {
			return
		}
		for _, o := range doc.Objects {
			if o.Off < 0 || o.Off >= len(data) || data[o.Off] != '{' {
				t.Fatalf("%q: object at %d", data, o.Off)
			}
			for _, lf := range o.Leaves {
				if lf.ValueOff < 0 || lf.ValueOff+len(lf.Raw) > len(data) || string(data[lf.ValueOff:lf.ValueOff+len(lf.Raw)]) != lf.Raw {
					t.Fatalf("%q: %q is not at %d", data, lf.Raw, lf.ValueOff)
				}
				if lf.KeyOff != lf.ValueOff && data[lf.KeyOff] != '"' {
					t.Fatalf("%q: key of %q at %d", data, lf.Key, lf.KeyOff)
				}
			}
		}
		p := &jsonparser.Parser{MetricName: "m"}
		if err := p.Init(); err != nil {
			t.Fatal(err)
		}
		ms, err := p.Parse(data)
		if err != nil {
			return
		}
		if len(ms) != len(doc.Objects) {
			t.Fatalf("%q: %d metrics, %d objects", data, len(ms), len(doc.Objects))
		}
		if hasDuplicateKeys(data) {
			return // the last one wins in the parser; the lexer lists all
		}
		for i, o := range doc.Objects {
			for _, lf := range o.Leaves {
				if _, ok := ms[i].GetField(lf.Key); lf.Kind == 'n' && !ok {
					t.Fatalf("%q: number %s under %q is no field of %v", data, lf.Raw, lf.Key, ms[i])
				}
			}
		}
	})
}

// hasDuplicateKeys reports whether an object in the JSON names a member twice.
func hasDuplicateKeys(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(bytes.TrimSpace(data), []byte("\xef\xbb\xbf"))))
	type frame struct {
		keys   map[string]bool
		object bool
		key    bool // the next string token is a member name
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if s, ok := tok.(string); ok && top != nil && top.object && top.key {
			if top.keys[s] {
				return true
			}
			top.keys[s] = true
			top.key = false
			continue
		}
		if top != nil && top.object {
			top.key = true // a value ends, the next token names a member
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{keys: map[string]bool{}, object: true, key: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 && stack[len(stack)-1].object {
				stack[len(stack)-1].key = true
			}
		}
	}
}
