package parse

import (
	"testing"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/parsers/influx"
)

// FuzzNameEndsInEscape holds nameEndsInEscape to Telegraf's influx parser:
// for any record that parses, the parser returns as its last metric one it
// made before (the previous record's, or an earlier line's of the same
// record) exactly when nameEndsInEscape finds the line that makes it.
func FuzzNameEndsInEscape(f *testing.F) {
	for _, seed := range []string{"a\\", " a\\", "\ta\\", "a\\\\", "a\\\\\\", "a\\ b\\", "a\\,b\\", "a,b\\", "a b\\", "#a\\",
		"cpu v=1\na\\", "cpu v=1\na\\\n", "a\\\r", "a\r\\", "\\", "cpu v=1\n# c\n\\", "a=\\", "a\\=\\", "\"a\\", "a\\\x00\\"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := &influx.Parser{}
		if err := p.Init(); err != nil {
			t.Fatal(err)
		}
		primed, err := p.Parse([]byte("cpu v=1"))
		if err != nil || len(primed) != 1 {
			t.Fatal("the parser took no metric from cpu v=1")
		}
		ms, err := safeParse(p, data)
		_, found := nameEndsInEscape(data)
		if err != nil {
			return // a rejected record: nothing is stored
		}
		repeated := false
		if n := len(ms); n > 0 {
			last := ms[n-1]
			repeated = last == primed[0] || containsMetric(ms[:n-1], last)
		}
		if repeated != found {
			t.Fatalf("%q: the parser repeats a metric: %v; nameEndsInEscape: %v", data, repeated, found)
		}
	})
}

func containsMetric(ms []telegraf.Metric, m telegraf.Metric) bool {
	for _, x := range ms {
		if x == m {
			return true
		}
	}
	return false
}
