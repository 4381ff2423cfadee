package parse_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
)

// statsd-name-rewritten works a bucket's rewrite out once per pipeline and
// remembers it: a bucket seen again gets the same finding as the first
// time, counted as a repeat (said once per sender and bucket), and each
// bucket its own, with the default separator and with a template.
func TestStatsdNameRewrittenRemembers(t *testing.T) {
	for _, c := range []parse.Case{
		{Statsd: true},
		{Statsd: true, Config: `templates = ["measurement.host"]`},
	} {
		p := casePipeline(t, c)
		findings := func(seq uint64, data string) []string {
			res := p.Process(listener.Record{Listener: c.Address(), Peer: "127.0.0.1:40000", Seq: seq, Received: time.Now(), Data: []byte(data)})
			var out []string
			for _, d := range append(res.Diagnostics, res.Repeated...) {
				if d.Rule == "statsd-name-rewritten" {
					out = append(out, strings.TrimSuffix(d.Message, " (said once per sender: its repeats are counted in the summary)"))
					out = append(out, d.Fixes...)
				}
			}
			return out
		}
		first := findings(1, "api.requests:1|c\n")
		other := findings(2, "cpu.web01:3|g\n")
		require := func(name string, want, got []string) {
			t.Helper()
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("%s, %s (-first time +again):\n%s", c.Config, name, d)
			}
		}
		if len(first) == 0 || len(other) == 0 || cmp.Equal(first, other) {
			t.Fatalf("%s: each bucket must get its own finding: %q, %q", c.Config, first, other)
		}
		require("api.requests", first, findings(3, "api.requests:1|c\n"))
		require("cpu.web01", other, findings(4, "cpu.web01:3|g\n"))
	}
}
