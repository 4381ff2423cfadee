package parse

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	jsonparser "github.com/influxdata/telegraf/plugins/parsers/json"
)

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
		{
			name: "a member written twice, and a nested one",
			in:   `{"v": 1, "v": 2, "a": {"b": 3, "b": 4}}`,
			want: &jsonDoc{Objects: []jsonObject{{Off: 0, Leaves: []jsonLeaf{
				{Key: "v", Kind: 'n', Raw: "1", KeyOff: 1, ValueOff: 6, TopMember: true},
				{Key: "v", Kind: 'n', Raw: "2", KeyOff: 9, ValueOff: 14, TopMember: true},
				{Key: "a_b", Kind: 'n', Raw: "3", KeyOff: 23, ValueOff: 28},
				{Key: "a_b", Kind: 'n', Raw: "4", KeyOff: 31, ValueOff: 36},
			}, Repeated: []jsonRepeat{
				{Key: "v", First: "1", Last: "2", KeyOff: 9},
				{Key: "a_b", First: "3", Last: "4", KeyOff: 31},
			}}}},
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
