package parse_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/forward"
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
	hcfg := httpin.Config{Plugins: []telegraf.Input{cfg.Inputs[0].Plugin}}
	var h listener.Handler = recordsTo(recs)
	// A Rec with an Upstream is forwarded to an upstream that answers it
	// so; the requests go one at a time, so the answer is the current one's.
	var upAnswer atomic.Pointer[parse.Rec]
	if slices.ContainsFunc(c.Records, func(r parse.Rec) bool { return r.Upstream != "" }) {
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			status, body, err := upAnswer.Load().UpstreamAnswer()
			if err != nil {
				http.Error(w, err.Error(), http.StatusTeapot)
				return
			}
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		}))
		defer up.Close()
		fw, err := forward.New(h, forward.Options{Upstream: up.URL, HTTP: true})
		require.NoError(t, err)
		defer fw.Close()
		hcfg.Forward, h = fw, fw
	}
	srv, err := httpin.Listen(hcfg, h)
	require.NoError(t, err)
	defer srv.Close()
	client := &http.Client{Timeout: 10 * time.Second}
	for n := range c.Records {
		req, offs, err := c.Request("http://"+srv.Addr().String(), n, now)
		require.NoError(t, err)
		upAnswer.Store(&c.Records[n])
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
