package parse

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
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
