package serve_test

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
)

// TestParseConcurrently holds parse.Pipeline.Parse to what the server
// relies on when it parses ahead of the rules (Server.parseChunks, while a
// reader may parse and check its own record inline): with each format
// fakegraf carries, Parse called from several goroutines at once, while
// Check runs the rules (which re-parse parts of records with the same
// parser), stores what the same records store processed one at a time. Under the race detector (make race) it also proves that
// Telegraf's parsers and MakeMetric share no unguarded state.
func TestParseConcurrently(t *testing.T) {
	cases := map[string][]string{
		"influx":          {"cpu,host=a v=1i,s=\"x\" 1700000000000000000", "cpu v=", "#cpu v=1", "mem free=2 1700000000000000000"},
		"influx_upstream": {"cpu,host=a v=1i,s=\"x\" 1700000000000000000", "cpu v=", "mem free=2 1700000000000000000"},
		"json":            {`{"a":1,"b":"x","c":{"d":2}}`, `{"a":`, `[{"a":1},{"a":2}]`},
		"wavefront":       {"cpu.load 1 1700000000 source=h t=1", "cpu.load x", "mem.free 2 1700000000 source=h"},
		"value":           {"42", "x", " 7 "},
		"form_urlencoded": {"a=1&b=2", "%zz", "c=3"},
	}
	const readers, each = 8, 200
	for format, lines := range cases {
		t.Run(format, func(t *testing.T) {
			conf := fmt.Sprintf("[global_tags]\n  dc = \"x\"\n[[inputs.socket_listener]]\n  service_address = \"tcp://127.0.0.1:0\"\n"+
				"  data_format = %q\n  name_prefix = \"p_\"\n", format)
			if format == "value" {
				conf += "  data_type = \"integer\"\n"
			}
			conf += "  [inputs.socket_listener.tags]\n    t = \"v\"\n"
			cfg, err := setup.Load([]byte(conf), "test")
			require.NoError(t, err)
			const url = "tcp://127.0.0.1:1"
			record := func(conn, seq int) listener.Record {
				return listener.Record{Listener: url, Peer: "127.0.0.1:2", Conn: uint64(conn), Seq: uint64(seq),
					Data: []byte(lines[seq%len(lines)]), Stream: true, Terminated: true, Received: time.Now()}
			}
			serial := parse.NewPipeline(url, nil, serve.Stages(cfg.Inputs[0])...)
			want := make([]string, len(lines))
			for i := range lines {
				want[i] = stored(serial.Process(record(1, i)))
			}

			p := parse.NewPipeline(url, nil, serve.Stages(cfg.Inputs[0])...)
			results := make(chan *parse.Result, 64)
			var wg sync.WaitGroup
			for c := 1; c <= readers; c++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						results <- p.Parse(record(c, i))
					}
				}()
			}
			go func() { wg.Wait(); close(results) }()
			n := 0
			for res := range results {
				res = p.Check(res)
				require.Equal(t, want[int(res.Record.Seq)%len(lines)], stored(res), "record %q", res.Record.Data)
				n++
			}
			require.Equal(t, readers*each, n)
		})
	}
}

// stored says what Telegraf stores of a result, and whether the record
// failed, without the arrival-time timestamps a parser stamps.
func stored(res *parse.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "err=%v;", res.Err != nil)
	for _, m := range res.Metrics {
		b.WriteString(metricString(m))
	}
	return b.String()
}

func metricString(m telegraf.Metric) string {
	var parts []string
	for _, tg := range m.TagList() {
		parts = append(parts, tg.Key+"="+tg.Value)
	}
	for _, f := range m.FieldList() {
		parts = append(parts, fmt.Sprintf("%s:%v", f.Key, f.Value))
	}
	sort.Strings(parts)
	return m.Name() + "{" + strings.Join(parts, ",") + "};"
}
