package parse_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/parse"
)

// TestShapeMemo follows the memo through a stream of line protocol: the
// shapes of clean records are remembered, a record of a remembered shape
// still gets every other rule's findings, and a record that differs in
// anything a Shape rule reads gets theirs.
func TestShapeMemo(t *testing.T) {
	c := conf{addr: "tcp://127.0.0.1:0", format: "influx"}
	p := newPipeline(t, c, true)
	now := time.Now()
	seq := uint64(0)
	process := func(data string) []string {
		seq++
		res := p.Process(rec{data: data, stream: true}.record(c.url(), seq, now))
		return rulesOf(res.Diagnostics)
	}
	ns := func(s string) string { return strings.ReplaceAll(s, "NS", nowS()+"000000000") }

	require.Empty(t, process(ns("cpu,host=a v=1i,u=2u NS")))
	require.True(t, p.ShapeRemembered("cpu"), "a clean record's shape is remembered")
	require.Empty(t, process(ns("mem,host=a free=1i NS")))
	require.True(t, p.ShapeRemembered("mem"))
	require.True(t, p.ShapeRemembered("cpu"), "a shape of another measurement is kept")

	// The same shape with a millisecond timestamp: the Shape rules are
	// skipped, timestamp-unit is not.
	require.Equal(t, []string{"timestamp-unit"}, process("cpu,host=b v=7i,u=3u "+nowMS()))

	// What each Shape rule reads, changed one at a time.
	require.Equal(t, []string{"uint-overflow"}, process(ns("cpu,host=a v=1i,u=18446744073709551615u NS")), "a value above MaxInt64")
	require.Equal(t, []string{"field-type-conflict"}, process(ns("cpu,host=a v=1.5,u=2u NS")), "a field's type")
	require.Equal(t, []string{"forbidden-char"}, process(ns(`cpu,host=a:b v=1i,u=2u NS`)), "a tag value")
	require.Empty(t, process(ns("cpu,host=a v=1i,u=2u,s=\"x\" NS")))
	require.Equal(t, []string{"forbidden-char"}, process(ns("cpu,host=a v=1i,u=2u,s=\"x\ty\" NS")), "a string value")
	require.Equal(t, []string{"forbidden-char"}, process(ns(`cpu,host=a,b:c=d v=1i,u=2u NS`)), "a tag key")
	require.Empty(t, process(ns("mem,host=a free=1i NS")))
	require.Equal(t, []string{"field-type-conflict"}, process(ns("mem,host=a free=1.5 NS")), "a field's type, the shape remembered")
	require.Empty(t, process(ns("disk,host=a f=1.5 NS")))
	require.Equal(t, []string{"time-key-name"}, process(ns("disk,host=a time=1.5 NS")), "a field key")

	// Fields in another order are the same shape.
	require.Empty(t, process(ns("cpu,host=a v=1i,u=2u NS")))
	require.Empty(t, process(ns("cpu,host=a u=2u,v=1i NS")))
	require.True(t, p.ShapeRemembered("cpu"))
	require.Equal(t, []string{"field-type-conflict"}, process(ns("cpu,host=a u=2u,v=1.5 NS")), "a field's type, in another order")
}

// FuzzShapeMemo holds the Shape rules to what Rule.Shape says: for any two
// records, run as a, b, a, b through one pipeline with the memo and one
// without, every record gets the same findings. A rule that reads more than
// the shape, or keeps state that the memo hides, fails here on a pair of
// records of one shape.
func FuzzShapeMemo(f *testing.F) {
	f.Add([]byte("cpu,host=a v=1i,u=2u\n"), []byte("cpu,host=a v=1i,u=18446744073709551615u\n"))
	f.Add([]byte("cpu,host=a v=1i\n"), []byte("cpu,host=a v=1.5\n"))
	f.Add([]byte("cpu,host=a v=1,s=\"x\"\n"), []byte("cpu,host=a v=1,s=\"x\ny\"\n"))
	f.Add([]byte("cpu,host=a v=NaN\n"), []byte("cpu,host=a v=Inf\n"))
	f.Add([]byte("cpu,host=a v=1 1\n"), []byte("cpu,host=a v=1 1700000000000\n"))
	f.Add([]byte("cpu,host=a,host=b v=1\n"), []byte("cpu,host=b v=1\n"))
	f.Add([]byte("cpu time=1\n"), []byte("cpu,time=x v=1\n"))
	f.Add([]byte("cpu,host=a v=1\n"), []byte("cpu,host=b:c v=1\n"))
	f.Add([]byte("cpu,host=a v=1\n"), []byte("cpu,host=a\\ b v=1\n"))
	f.Add([]byte("cpu,host=a v=1\n"), []byte("cpu,host=\"a\" v=1\n"))
	f.Add([]byte("cpu,host=a s=\"x\"\n"), []byte("cpu,host=a s=\"\x01\"\n"))
	f.Add([]byte(`{"metric_name": "m", "format": "a", "v": 1}`), []byte(`{"metric_name": "m", "format": "a\\", "v": 1}`))
	f.Add([]byte(`{"metric_name": "m", "format": "a", "v": 1}`), []byte(`{"metric_name": "m", "format": "a", "v": 1, "v": 2}`))
	f.Add([]byte(`{"metric_name": "m", "format": "a", "v": 1, "s": "x"}`), []byte(`{"metric_name": "m", "format": "a", "v": 1, "time": 1700000000}`))
	f.Add([]byte("a.b 1 source=x\n"), []byte("a.b 1 source=x source=y\n"))
	for _, r := range parse.Rules() {
		for _, c := range r.Cases {
			for i := 0; i+1 < len(c.Records); i++ {
				f.Add([]byte(strings.ReplaceAll(c.Records[i].Data, "∑", "")), []byte(strings.ReplaceAll(c.Records[i+1].Data, "∑", "")))
			}
		}
	}
	type pair struct {
		url          string
		memo, noMemo *parse.Pipeline
	}
	var pairs []pair
	for _, format := range []string{"influx", "json", "wavefront"} {
		for _, addr := range []string{"udp://127.0.0.1:0", "tcp://127.0.0.1:0"} {
			c := conf{addr: addr, format: format}
			if format == "json" {
				c.options = []string{`json_name_key = "metric_name"`, `tag_keys = ["format"]`, `json_string_fields = ["s"]`}
			}
			// Each its own input, so each its own parser: a parser may keep
			// state from one record to the next (Telegraf's influx parser
			// does after it panicked), and one shared by both pipelines
			// would see another sequence of records in each.
			noMemo := parse.NewPipeline(addr, nil, stage(load(f, c)))
			noMemo.NoShapeMemo()
			pairs = append(pairs, pair{addr, parse.NewPipeline(addr, nil, stage(load(f, c))), noMemo})
		}
	}
	var seq uint64
	f.Fuzz(func(t *testing.T, a, b []byte) {
		now := time.Now()
		for _, pr := range pairs {
			for _, data := range [][]byte{a, b, a, b} {
				seq++
				r := rec{data: string(data), stream: pr.url[0] == 't', peer: "10.0.0.1:4000"}.record(pr.url, seq, now)
				got := findingsOf(pr.memo.Process(r).Diagnostics)
				want := findingsOf(pr.noMemo.Process(r).Diagnostics)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("%s, records %q then %q: with the shape memo (-without +with):\n%s", pr.url, a, b, diff)
				}
			}
		}
	})
}

// TestReleaseAndKeep: a released Result serves a later record, which gets
// none of the first one's metrics or findings, and the metrics a sink
// copied out stay as they were; a kept one is never reused.
func TestReleaseAndKeep(t *testing.T) {
	c := conf{addr: "udp://127.0.0.1:0", format: "influx"}
	p := newPipeline(t, c, false)
	r := rec{data: "cpu v=1\n"}.record(c.url(), 1, time.Now())

	kept := p.Process(r)
	kept.Keep()
	kept.Release()
	require.Equal(t, "cpu v=1\n", string(kept.Record.Data))
	require.Len(t, kept.Metrics, 1)
	require.Equal(t, "cpu", kept.Metrics[0].Name())

	released := p.Process(rec{data: "mem,host=a v=1,v=2\n"}.record(c.url(), 2, time.Now()))
	require.NotEmpty(t, released.Diagnostics, "duplicate-key")
	m := released.Metrics[0]
	released.Release()
	require.Nil(t, released.Record.Data, "a released Result is emptied")
	require.Nil(t, released.Metrics)
	for range 3 { // the pool hands the released Result back, most likely at once
		next := p.Process(rec{data: "disk v=3\n"}.record(c.url(), 3, time.Now()))
		require.Empty(t, next.Diagnostics)
		require.Len(t, next.Metrics, 1)
		require.Equal(t, "disk", next.Metrics[0].Name())
		next.Release()
	}
	require.Equal(t, "mem", m.Name(), "the metrics themselves are not reused")
	require.Equal(t, "cpu", kept.Metrics[0].Name())
}
