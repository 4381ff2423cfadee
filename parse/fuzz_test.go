package parse_test

import (
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/influxdata/telegraf"

	"github.com/fakegraf/fakegraf/parse"
)

// FuzzProcess feeds arbitrary bytes as a record to every format, on a
// datagram and on a stream socket, and holds the findings to their
// contract. The seed corpus is in testdata/fuzz/FuzzProcess.
func FuzzProcess(f *testing.F) {
	f.Add([]byte("good_metric_name,format=influxline value1=10,value2=5\n"))
	f.Add([]byte(`{"metric_name": "good_metric_name", "value1": 10, "value2": 7}`))
	// Python's usual mistakes, which parse-error repairs.
	f.Add([]byte("cpu,region=us east,k=a=b,h=\"x y\" status=ok v,m='a\\'b' n=None,x=nan 17\n"))
	f.Add([]byte(`{'metric_name': 'a', "up": True, "v": NaN, "w": -Infinity, "n": None}`))
	// Two wavefront records glued: missing-newline parses each piece, and
	// Telegraf's wavefront parser appends a newline to its input.
	f.Add([]byte(`": 0":`))
	type target struct {
		p      *parse.Pipeline
		parser telegraf.Parser
		url    string
	}
	var targets []target
	for _, format := range []string{"influx", "influx_upstream", "json", "wavefront", "value"} {
		for _, addr := range []string{"udp://127.0.0.1:0", "tcp://127.0.0.1:0"} {
			c := conf{addr: addr, format: format}
			switch format {
			case "json":
				c.options = []string{`json_name_key = "metric_name"`, `tag_keys = ["format"]`, `json_time_key = "t"`, `json_time_format = "unix_ms"`, `json_strict = false`}
			case "value":
				c.options = []string{`data_type = "float"`}
			}
			in := load(f, c)
			targets = append(targets, target{parse.NewPipeline(addr, nil, stage(in)), in.Parser, addr})
		}
	}
	var seq uint64
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, tg := range targets {
			// Telegraf's influx parser panics on some input ("a\\" at the
			// end of a buffer); Process must survive it and say so.
			panics := telegrafPanics(tg.parser, data)
			seq++
			r := rec{data: string(data), stream: tg.url[0] == 't', peer: "10.0.0.1:4000"}
			record := r.record(tg.url, seq, time.Now())
			res := tg.p.Process(record)
			if string(record.Data) != string(data) {
				// The sinks show and keep the record's bytes after Process.
				t.Fatalf("%s: Process changed the record %q into %q", tg.url, data, record.Data)
			}
			if panics && !errors.Is(res.Err, parse.ErrParserPanic) {
				t.Fatalf("the parser panics on %q but Process says %v", data, res.Err)
			}
			for _, d := range res.Diagnostics {
				if parse.Lookup(d.Rule) == nil {
					t.Fatalf("finding of unregistered rule %q", d.Rule)
				}
				if d.Severity < parse.Info || d.Severity > parse.Error {
					t.Fatalf("%s: severity %d", d.Rule, d.Severity)
				}
				if d.Message == "" || !utf8.ValidString(d.Message) && d.Rule != "parse-error" {
					t.Fatalf("%s: message %q", d.Rule, d.Message)
				}
				if p := d.Position; p.Offset < 0 || p.Offset > len(data) || p.Line < 0 || p.Column < 0 {
					t.Fatalf("%s: position %+v outside a record of %d bytes", d.Rule, p, len(data))
				}
				if len(d.Fixes) == 0 {
					t.Fatalf("%s: %q has no fix", d.Rule, d.Message)
				}
			}
		}
	})
}

func telegrafPanics(p telegraf.Parser, data []byte) (panicked bool) {
	defer func() { panicked = recover() != nil }()
	_, _ = p.Parse(data)
	return false
}
