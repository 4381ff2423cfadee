package parse_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/httpin"
	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/setup"
)

// caseRecord is one record of a case as a listener hands it out, and the
// marks in its data.
type caseRecord struct {
	rec  listener.Record
	offs []int
}

// caseRecords are the records of a case. A socket case's are made from its
// Recs (Case.Record); an HTTP case's requests are sent to Telegraf's own
// plugin, served by package httpin as fakegraf serves it, so that each
// record carries the plugin's answer and the metrics it stored.
func caseRecords(t testing.TB, c parse.Case, now time.Time) []caseRecord {
	t.Helper()
	out := make([]caseRecord, 0, len(c.Records))
	if c.HTTP == "" {
		for n := range c.Records {
			rec, offs := c.Record(c.Address(), n, now)
			out = append(out, caseRecord{rec, offs})
		}
		return out
	}
	cfg, err := setup.Load([]byte(c.TOML()), "case")
	require.NoError(t, err, "config:\n%s", c.TOML())
	require.Len(t, cfg.Inputs, 1)
	recs := make(chan listener.Record, len(c.Records))
	srv, err := httpin.Listen(httpin.Config{Plugins: []telegraf.Input{cfg.Inputs[0].Plugin}}, recordsTo(recs))
	require.NoError(t, err)
	defer srv.Close()
	client := &http.Client{Timeout: 10 * time.Second}
	for n := range c.Records {
		req, offs, err := c.Request("http://"+srv.Addr().String(), n, now)
		require.NoError(t, err)
		resp, err := client.Do(req)
		require.NoError(t, err, "request %d of case %q", n+1, c.Name)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		select {
		case rec := <-recs:
			rec.Listener = c.Address()
			out = append(out, caseRecord{rec, offs})
		case <-time.After(10 * time.Second):
			t.Fatalf("case %q: request %d was answered but no record came", c.Name, n+1)
		}
	}
	return out
}

// recordsTo is a listener.Handler that passes records on.
type recordsTo chan listener.Record

func (r recordsTo) Record(rec listener.Record) { r <- rec }
func (recordsTo) Conn(listener.ConnEvent)      {}
func (recordsTo) Transport(listener.Transport) {}
