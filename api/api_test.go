package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/api"
	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/serve"
	"github.com/fakegraf/fakegraf/setup"
	"github.com/fakegraf/fakegraf/web"
)

// fixture is a Store fed by fakegraf's real engine (Telegraf's influx
// parser, MakeMetric and every rule), served on httptest.
type fixture struct {
	t      *testing.T
	store  *api.Store
	srv    *httptest.Server
	engine *serve.Engine
	rec    *web.Recorder // the page's recording, for POST /api/v1/golden
	url    string        // the listener's name
	seq    uint64
}

const testListener = "udp://127.0.0.1:8094"

func newFixture(t *testing.T, opt api.Options) *fixture {
	t.Helper()
	cfg, err := setup.Load([]byte("[agent]\n  omit_hostname = true\n[[inputs.socket_listener]]\n  service_address = \"udp://127.0.0.1:8094\"\n  data_format = \"influx\"\n"), "test")
	require.NoError(t, err)
	f := &fixture{t: t, store: api.NewStore(opt), rec: web.NewRecorder(0), url: testListener}
	f.rec.Start() // as `fakegraf listen --http` with the page's Record button pressed
	f.engine = serve.NewEngine(serve.Tee{f.store, f.rec})
	f.engine.Add(f.url, "influx", parse.NewPipeline(f.url, parse.DefaultRules(), serve.Stages(cfg.Inputs[0])...))
	f.srv = httptest.NewServer(api.NewHandler(f.store, api.HandlerOptions{Recording: f.rec}))
	t.Cleanup(func() { f.store.Close(); f.srv.Close() })
	return f
}

// send processes one datagram.
func (f *fixture) send(data string) {
	f.seq++
	f.engine.Record(listener.Record{Listener: f.url, Peer: "127.0.0.1:5000", Seq: f.seq, Data: []byte(data), Size: len(data),
		Terminated: true, Received: time.Unix(1795608000, 0)})
}

// get fetches a path and decodes the JSON answer, requiring the status.
func (f *fixture) get(path string, status int) map[string]any {
	f.t.Helper()
	resp, err := http.Get(f.srv.URL + path)
	require.NoError(f.t, err)
	return decode(f.t, resp, status)
}

func (f *fixture) post(path, body string, status int) map[string]any {
	f.t.Helper()
	resp, err := http.Post(f.srv.URL+path, "application/json", strings.NewReader(body))
	require.NoError(f.t, err)
	return decode(f.t, resp, status)
}

func decode(t *testing.T, resp *http.Response, status int) map[string]any {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, status, resp.StatusCode, "%s", b)
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"), "%s", b)
	var v map[string]any
	require.NoError(t, json.Unmarshal(b, &v), "%s", b)
	return v
}

// pick keeps only the named keys of each object in a list.
func pick(list any, keys ...string) []map[string]any {
	var out []map[string]any
	for _, item := range list.([]any) {
		m := map[string]any{}
		for _, k := range keys {
			if v, ok := item.(map[string]any)[k]; ok {
				m[k] = v
			}
		}
		out = append(out, m)
	}
	return out
}

func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}

const (
	ts1 = "1795608000000000001"
	ts2 = "1795608000000000002"
	ts3 = "1795608000000000003"
)

func TestMetrics(t *testing.T) {
	f := newFixture(t, api.Options{})
	f.send("cpu,host=a usage=1.5,n=2i,u=3u,ok=true,s=\"x\" " + ts1 + "\n")
	f.send("cpu,host=b usage=2.5 " + ts2 + "\nmem,host=a used=10i " + ts3 + "\n")

	got := f.get("/api/v1/metrics", 200)
	diff(t, "the listing's head", map[string]any{"matched": 3.0, "returned": 3.0, "kept_metrics": 3.0, "dropped_metrics": 0.0},
		map[string]any{"matched": got["matched"], "returned": got["returned"], "kept_metrics": got["kept_metrics"], "dropped_metrics": got["dropped_metrics"]})
	diff(t, "metrics, newest last", []map[string]any{
		{"record_id": 1.0, "name": "cpu", "tags": map[string]any{"host": "a"},
			"fields":      map[string]any{"usage": 1.5, "n": 2.0, "u": 3.0, "ok": true, "s": "x"},
			"field_types": map[string]any{"usage": "float", "n": "int", "u": "uint", "ok": "bool", "s": "string"},
			"time":        1.795608e18, "time_ns": ts1, "time_rfc3339": "2026-11-25T12:00:00.000000001Z"},
		{"record_id": 2.0, "name": "cpu", "tags": map[string]any{"host": "b"}, "fields": map[string]any{"usage": 2.5},
			"field_types": map[string]any{"usage": "float"}, "time": 1.795608e18, "time_ns": ts2, "time_rfc3339": "2026-11-25T12:00:00.000000002Z"},
		{"record_id": 2.0, "name": "mem", "tags": map[string]any{"host": "a"}, "fields": map[string]any{"used": 10.0},
			"field_types": map[string]any{"used": "int"}, "time": 1.795608e18, "time_ns": ts3, "time_rfc3339": "2026-11-25T12:00:00.000000003Z"},
	}, pick(got["metrics"], "record_id", "name", "tags", "fields", "field_types", "time", "time_ns", "time_rfc3339"))

	// The integer time is exact in the JSON text, not only as float64.
	resp, err := http.Get(f.srv.URL + "/api/v1/metrics?limit=1")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(body), `"time":`+ts3+",")

	for _, tc := range []struct {
		name, query string
		want        []string // names and host tags
	}{
		{"name", "?name=cpu", []string{"cpu a", "cpu b"}},
		{"tag", "?tag=host:a", []string{"cpu a", "mem a"}},
		{"two tags", "?tag=host:a&tag=host:b", nil},
		{"tag present", "?tag=host", []string{"cpu a", "cpu b", "mem a"}},
		{"field", "?field=usage", []string{"cpu a", "cpu b"}},
		{"listener", "?listener=" + testListener, []string{"cpu a", "cpu b", "mem a"}},
		{"another listener", "?listener=tcp://x:1", nil},
		{"since RFC 3339", "?since=2026-11-25T12:00:00.000000002Z", []string{"cpu b", "mem a"}},
		{"since nanoseconds", "?since=" + ts3, []string{"mem a"}},
		{"limit keeps the newest", "?limit=2", []string{"cpu b", "mem a"}},
		{"name and limit", "?name=cpu&limit=1", []string{"cpu b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := f.get("/api/v1/metrics"+tc.query, 200)
			var names []string
			for _, m := range got["metrics"].([]any) {
				m := m.(map[string]any)
				names = append(names, fmt.Sprintf("%s %s", m["name"], m["tags"].(map[string]any)["host"]))
			}
			diff(t, "metrics", tc.want, names)
		})
	}
}

// ?format=lp is what Telegraf's [[outputs.file]] writes.
func TestMetricsLineProtocol(t *testing.T) {
	f := newFixture(t, api.Options{})
	f.send("cpu,host=a usage=1.5,n=2i,u=3u,ok=true,s=\"x y\" " + ts1 + "\n")
	f.send("mem used=10i " + ts2 + "\n")
	resp, err := http.Get(f.srv.URL + "/api/v1/metrics?format=lp")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	// Telegraf's influx serializer writes an unsigned field as an integer
	// unless influx_uint_support is set, which outputs.file leaves off.
	diff(t, "line protocol", "cpu,host=a usage=1.5,n=2i,u=3i,ok=true,s=\"x y\" "+ts1+"\nmem used=10i "+ts2+"\n", string(body))
	diff(t, "content type", "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
}

func TestSeriesAndPoints(t *testing.T) {
	f := newFixture(t, api.Options{})
	f.send("cpu,host=a usage=1i " + ts1 + "\n")
	f.send("cpu,host=b usage=7 " + ts1 + "\n")
	f.send("cpu,host=a usage=2.5,idle=3 " + ts3 + "\n")
	got := f.get("/api/v1/series", 200)
	diff(t, "series", []map[string]any{
		{"name": "cpu", "tags": map[string]any{"host": "a"}, "count": 2.0, "listeners": []any{testListener},
			"first_time_rfc3339": "2026-11-25T12:00:00.000000001Z", "last_time_rfc3339": "2026-11-25T12:00:00.000000003Z",
			"fields": map[string]any{
				"usage": map[string]any{"type": "float", "types": []any{"int", "float"}, "last": 2.5},
				"idle":  map[string]any{"type": "float", "last": 3.0},
			}},
		{"name": "cpu", "tags": map[string]any{"host": "b"}, "count": 1.0, "listeners": []any{testListener},
			"first_time_rfc3339": "2026-11-25T12:00:00.000000001Z", "last_time_rfc3339": "2026-11-25T12:00:00.000000001Z",
			"fields": map[string]any{"usage": map[string]any{"type": "float", "last": 7.0}}},
	}, pick(got["series"], "name", "tags", "count", "listeners", "first_time_rfc3339", "last_time_rfc3339", "fields"))

	got = f.get("/api/v1/series/points?name=cpu&field=usage&tag=host:a", 200)
	diff(t, "points", []map[string]any{{"tags": map[string]any{"host": "a"}, "points": []any{
		map[string]any{"time": 1.795608e18, "time_rfc3339": "2026-11-25T12:00:00.000000001Z", "value": 1.0},
		map[string]any{"time": 1.795608e18, "time_rfc3339": "2026-11-25T12:00:00.000000003Z", "value": 2.5},
	}}}, pick(got["series"], "tags", "points"))
	got = f.get("/api/v1/series/points?name=cpu&field=usage&limit=1", 200)
	diff(t, "one point per series", 2.0, got["returned"])

	got = f.get("/api/v1/series/points?name=cpu", 400)
	require.Contains(t, got["error"], "field=")
}

func TestFindingsAndRecords(t *testing.T) {
	f := newFixture(t, api.Options{})
	f.send("cpu usage=1 " + ts1 + "\n")
	f.send("cpu usage=\n")             // a parse error
	f.send("cpu usage=1 1795608000\n") // seconds: timestamp-unit
	f.store.Finding(parse.Diagnostic{Rule: parse.RuleKernelDrops, Severity: parse.Error, Message: "the kernel dropped 3 datagram(s)",
		Source: parse.Source{Listener: testListener}, Count: 3})

	all := f.get("/api/v1/findings", 200)
	diff(t, "findings in arrival order", []map[string]any{
		{"rule": "parse-error", "severity": "error", "record_id": 2.0},
		{"rule": "timestamp-unit", "severity": "error", "record_id": 3.0},
		{"rule": "udp-kernel-drops", "severity": "error"},
	}, pick(all["findings"], "rule", "severity", "record_id"))
	got := f.get("/api/v1/findings?rule=timestamp-unit", 200)
	diff(t, "by rule", []map[string]any{{"rule": "timestamp-unit"}}, pick(got["findings"], "rule"))
	got = f.get("/api/v1/findings?severity=warning", 200)
	diff(t, "by severity", 0.0, got["matched"])
	got = f.get("/api/v1/findings?listener=tcp://x:1", 200)
	diff(t, "by listener", 0.0, got["matched"])
	got = f.get("/api/v1/findings?limit=1", 200)
	diff(t, "the newest", []map[string]any{{"rule": "udp-kernel-drops"}}, pick(got["findings"], "rule"))
	f.get("/api/v1/findings?severity=loud", 400)

	got = f.get("/api/v1/records", 200)
	diff(t, "records", []map[string]any{
		{"id": 1.0, "record": 1.0, "data": "cpu usage=1 " + ts1 + "\n", "metrics": 1.0, "findings": 0.0, "peer": "127.0.0.1:5000"},
		{"id": 2.0, "record": 2.0, "data": "cpu usage=\n", "metrics": 0.0, "findings": 1.0, "peer": "127.0.0.1:5000"},
		{"id": 3.0, "record": 3.0, "data": "cpu usage=1 1795608000\n", "metrics": 1.0, "findings": 1.0, "peer": "127.0.0.1:5000"},
	}, pick(got["records"], "id", "record", "data", "metrics", "findings", "peer"))
	require.Contains(t, got["records"].([]any)[1].(map[string]any)["error"], "expected field")

	rec := f.get("/api/v1/records/3", 200)
	diff(t, "a record", map[string]any{"id": 3.0, "data": "cpu usage=1 1795608000\n"}, pick([]any{rec["record"]}, "id", "data")[0])
	diff(t, "its metrics", []map[string]any{{"name": "cpu", "record_id": 3.0}}, pick(rec["metrics"], "name", "record_id"))
	diff(t, "its findings", []map[string]any{{"rule": "timestamp-unit"}}, pick(rec["findings"], "rule"))

	got = f.get("/api/v1/records/9", 404)
	require.Contains(t, got["error"], "no record 9 yet")
	f.get("/api/v1/records/x", 400)
}

func TestSummary(t *testing.T) {
	f := newFixture(t, api.Options{})
	f.send("cpu usage=1 " + ts1 + "\n")
	f.send("cpu usage=\n")
	got := f.get("/api/v1/summary", 200)
	diff(t, "summary", map[string]any{"metrics": 1.0, "findings_by_severity": map[string]any{"error": 1.0},
		"findings_by_rule": map[string]any{"parse-error": 1.0}, "worst": "error", "kept_records": 2.0},
		map[string]any{"metrics": got["metrics"], "findings_by_severity": got["findings_by_severity"],
			"findings_by_rule": got["findings_by_rule"], "worst": got["worst"], "kept_records": got["kept_records"]})
	ls := got["listeners"].([]any)[0].(map[string]any)
	diff(t, "the listener", map[string]any{"listener": testListener, "records": 2.0, "rejected_records": 1.0, "metrics": 1.0},
		map[string]any{"listener": ls["listener"], "records": ls["records"], "rejected_records": ls["rejected_records"], "metrics": ls["metrics"]})
}

func TestReset(t *testing.T) {
	f := newFixture(t, api.Options{})
	f.send("cpu usage=1 " + ts1 + "\n")
	f.send("cpu usage=\n")
	got := f.post("/api/v1/reset", "{}", 200)
	cleared := got["cleared"].(map[string]any)
	diff(t, "what it cleared", map[string]any{"records": 2.0, "metrics": 1.0, "findings": 1.0},
		map[string]any{"records": cleared["records"], "metrics": cleared["metrics"], "findings": cleared["findings"]})
	diff(t, "the counters it cleared", 1.0, cleared["summary"].(map[string]any)["metrics"])

	diff(t, "metrics after", 0.0, f.get("/api/v1/metrics", 200)["matched"])
	diff(t, "findings after", 0.0, f.get("/api/v1/findings", 200)["matched"])
	diff(t, "records after", 0.0, f.get("/api/v1/records", 200)["matched"])
	sum := f.get("/api/v1/summary", 200)
	diff(t, "summary after", []any{0.0, map[string]any{}}, []any{sum["metrics"], sum["findings_by_rule"]})
	got = f.get("/api/v1/records/1", 404)
	require.Contains(t, got["error"], "no longer kept")

	// What comes after is counted from zero; record ids go on.
	f.send("mem used=1i " + ts2 + "\n")
	got = f.get("/api/v1/metrics", 200)
	diff(t, "after the reset", []map[string]any{{"name": "mem", "record_id": 3.0}}, pick(got["metrics"], "name", "record_id"))
	diff(t, "summary counts again", 1.0, f.get("/api/v1/summary", 200)["metrics"])
	// The run's own collector keeps the whole run.
	diff(t, "the collector", 2, f.store.Collector().Metrics())
}

// Only the newest --keep records and metrics are kept; the counters stay
// exact and the listings say how many were dropped.
func TestBoundedMemory(t *testing.T) {
	f := newFixture(t, api.Options{Keep: 3})
	for i := range 10 {
		f.send(fmt.Sprintf("cpu n=%di %d\n", i, 1795608000000000000+i))
	}
	f.send("cpu n=10i 1795608000000000010\ncpu n=11i 1795608000000000011\n")
	got := f.get("/api/v1/metrics", 200)
	var ns []any
	for _, m := range got["metrics"].([]any) {
		ns = append(ns, m.(map[string]any)["fields"].(map[string]any)["n"])
	}
	diff(t, "the newest whole records within 3 metrics", []any{9.0, 10.0, 11.0}, ns)
	diff(t, "what it says", map[string]any{"kept_metrics": 3.0, "dropped_metrics": 9.0, "kept_records": 2.0, "dropped_records": 9.0, "keep": 3.0},
		map[string]any{"kept_metrics": got["kept_metrics"], "dropped_metrics": got["dropped_metrics"], "kept_records": got["kept_records"],
			"dropped_records": got["dropped_records"], "keep": got["keep"]})
	diff(t, "the counters stay exact", 12.0, f.get("/api/v1/summary", 200)["metrics"])
	got = f.get("/api/v1/records/1", 404)
	require.Contains(t, got["error"], "no longer kept")
	f.get("/api/v1/records/11", 200)
}

// The series count every metric since the reset, beyond --keep, and a
// flood of one-off series lets the least recently seen go, counted.
func TestSeriesBeyondKeep(t *testing.T) {
	f := newFixture(t, api.Options{Keep: 3})
	for i := range 10 {
		f.send(fmt.Sprintf("cpu,host=a n=%di %d\n", i, 1795608000000000000+i))
	}
	got := f.get("/api/v1/series", 200)
	diff(t, "one series with every metric", []map[string]any{{"name": "cpu", "count": 10.0,
		"first_time_rfc3339": "2026-11-25T12:00:00Z", "last_time_rfc3339": "2026-11-25T12:00:00.000000009Z",
		"fields": map[string]any{"n": map[string]any{"type": "int", "last": 9.0}}}},
		pick(got["series"], "name", "count", "first_time_rfc3339", "last_time_rfc3339", "fields"))
	diff(t, "matched", 10.0, got["matched"])
	diff(t, "kept metrics", 3.0, got["kept_metrics"])

	// Four new series push host=a out, then it comes back, counted afresh:
	// the three seen last stay, and a, b and c were let go.
	for _, h := range []string{"b", "c", "d", "e"} {
		f.send("cpu,host=" + h + " n=1i " + ts1 + "\n")
	}
	f.send("cpu,host=a n=10i " + ts2 + "\n")
	got = f.get("/api/v1/series", 200)
	var hosts []any
	for _, s := range got["series"].([]any) {
		hosts = append(hosts, s.(map[string]any)["tags"].(map[string]any)["host"])
	}
	diff(t, "the series seen last", []any{"a", "d", "e"}, hosts)
	diff(t, "dropped series", 3.0, got["dropped_series"])
	diff(t, "host=a counted afresh", 1.0, got["series"].([]any)[0].(map[string]any)["count"])
	diff(t, "filters", 1.0, f.get("/api/v1/series?tag=host:d&field=n", 200)["returned"])
	diff(t, "a field no series has", 0.0, f.get("/api/v1/series?field=m", 200)["returned"])
	diff(t, "since: series with a metric at or after it", []any{"a"},
		pickTag(f.get("/api/v1/series?since="+ts2, 200)["series"], "host"))

	f.post("/api/v1/reset", `{}`, 200)
	got = f.get("/api/v1/series", 200)
	diff(t, "after a reset", 0.0, got["returned"])
	diff(t, "dropped series after a reset", 0.0, got["dropped_series"])
}

func pickTag(series any, key string) []any {
	var out []any
	for _, s := range series.([]any) {
		out = append(out, s.(map[string]any)["tags"].(map[string]any)[key])
	}
	return out
}

// With limit, points are read newest first until every series has its
// limit: the same points, oldest first, as reading every kept metric.
func TestPointsLimitReadsNewestFirst(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  api.Options
	}{
		{"every series known", api.Options{}},
		{"series let go: everything is read", api.Options{Keep: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.opt)
			// A series only the oldest records hold: reading newest first
			// goes back batch after batch for it.
			for i := range 3 {
				f.send(fmt.Sprintf("cpu,host=old usage=%di %d\n", i, 1795607000000000000+i))
			}
			for i := range 40 {
				var lines string
				for k := range i%3 + 1 { // records of one to three metrics
					lines += fmt.Sprintf("cpu,host=h%d usage=%di,other=1 %d\n", (i+k)%3, i*10+k, 1795608000000000000+i*10+k)
				}
				f.send(lines)
			}
			all := f.get("/api/v1/series/points?name=cpu&field=usage", 200)
			got := f.get("/api/v1/series/points?name=cpu&field=usage&limit=2", 200)
			var want []any
			n := 0
			for _, s := range all["series"].([]any) {
				s := s.(map[string]any)
				ps := s["points"].([]any)
				ps = ps[max(0, len(ps)-2):]
				want = append(want, map[string]any{"tags": s["tags"], "points": ps})
				n += len(ps)
			}
			diff(t, "the newest two of each series", want, got["series"])
			diff(t, "returned", float64(n), got["returned"])
		})
	}
}

func TestWaitHolds(t *testing.T) {
	f := newFixture(t, api.Options{})
	f.send("cpu,host=a usage=1.5 " + ts1 + "\n")
	got := f.post("/api/v1/wait", `{"expect": ["at-least 1 cpu,host=a usage>1", "never mem"], "timeout": "5s"}`, 200)
	diff(t, "ok", true, got["ok"])
	diff(t, "expectations", []map[string]any{
		{"expect": "at-least 1 cpu,host=a usage>1", "ok": true, "matches": 1.0, "want": "at least 1"},
		{"expect": "never mem", "ok": true, "matches": 0.0, "want": "none"},
	}, pick(got["expectations"], "expect", "ok", "matches", "want"))
}

func TestWaitTimesOutWithTheNearestMetric(t *testing.T) {
	f := newFixture(t, api.Options{})
	f.send("cpu,host=a usage=5i " + ts1 + "\n")
	got := f.post("/api/v1/wait", `{"expect": ["at-least 1 cpu,host=a usage:float"], "timeout": "50ms"}`, 200)
	diff(t, "ok", false, got["ok"])
	diff(t, "reason", "the timeout of 50ms passed", got["reason"])
	e := got["expectations"].([]any)[0].(map[string]any)
	diff(t, "the near miss", map[string]any{"ok": false, "matches": 0.0, "nearest": map[string]any{
		"line": "cpu,host=a usage=5i " + ts1, "differences": []any{"field usage: want type float, got int (5)"}}},
		map[string]any{"ok": e["ok"], "matches": e["matches"], "nearest": e["nearest"]})
	diff(t, "as --expect prints it", "nearest metric received: cpu,host=a usage=5i "+ts1+"\n  field usage: want type float, got int (5)\n", e["detail"])
}

// A wait returns the moment the metric arrives: it is woken by the record,
// not by a poll, and many may be pending at once.
func TestWaitReturnsWhenTheMetricArrives(t *testing.T) {
	f := newFixture(t, api.Options{})
	type answer struct {
		i   int
		got map[string]any
	}
	answers := make(chan answer)
	const n = 20
	for i := range n {
		go func() {
			resp, err := http.Post(f.srv.URL+"/api/v1/wait", "application/json",
				strings.NewReader(fmt.Sprintf(`{"expect": ["at-least 1 cpu n=%di"], "timeout": "1m"}`, i)))
			if err != nil {
				answers <- answer{i, map[string]any{"error": err.Error()}}
				return
			}
			defer resp.Body.Close()
			var v map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&v)
			answers <- answer{i, v}
		}()
	}
	require.Eventually(t, func() bool { return pending(t, f) == n }, 10*time.Second, time.Millisecond, "the waits are pending")
	for i := range n {
		f.send(fmt.Sprintf("cpu n=%di\n", i))
		select {
		case a := <-answers:
			diff(t, "the wait that returned", i, a.i)
			diff(t, "ok", true, a.got["ok"])
		case <-time.After(30 * time.Second):
			t.Fatalf("wait %d did not return when its metric arrived", i)
		}
	}
}

// pending reads the number of pending waits from /metrics.
func pending(t *testing.T, f *fixture) int {
	resp, err := http.Get(f.srv.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var n int
		if _, err := fmt.Sscanf(sc.Text(), "fakegraf_api_waits %d", &n); err == nil {
			return n
		}
	}
	return -1
}

func TestWaitEndsWhenTheStoreCloses(t *testing.T) {
	f := newFixture(t, api.Options{})
	done := make(chan map[string]any)
	go func() {
		resp, err := http.Post(f.srv.URL+"/api/v1/wait", "application/json", strings.NewReader(`{"expect": ["at-least 1 cpu"], "timeout": "1m"}`))
		if err != nil {
			done <- nil
			return
		}
		defer resp.Body.Close()
		var v map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&v)
		done <- v
	}()
	require.Eventually(t, func() bool { return pending(t, f) == 1 }, 10*time.Second, time.Millisecond)
	f.store.Close()
	got := <-done
	diff(t, "answer", []any{false, "fakegraf is stopping"}, []any{got["ok"], got["reason"]})
}

func TestWaitBadRequests(t *testing.T) {
	f := newFixture(t, api.Options{})
	for _, tc := range []struct{ name, body, want string }{
		{"no expectations", `{"expect": []}`, `"expect" is empty`},
		{"bad syntax", `{"expect": ["at-least x cpu"]}`, `expect: line 1: "at-least": count "x" is not a whole number`},
		{"bad timeout", `{"expect": ["never cpu"], "timeout": "soon"}`, `timeout "soon"`},
		{"unknown field", `{"expect": ["never cpu"], "timeoutt": "1s"}`, `unknown field "timeoutt"`},
		{"not JSON", `expect=never`, "reading the JSON body"},
		{"empty", ``, "the body is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := f.post("/api/v1/wait", tc.body, 400)
			require.Contains(t, got["error"], tc.want)
		})
	}
}

// Safe by default: state changes only as a POST with a JSON body, no CORS,
// no cross-origin POST, no foreign Host name, JSON errors everywhere.
func TestSafeByDefault(t *testing.T) {
	f := newFixture(t, api.Options{})
	f.send("cpu usage=1 " + ts1 + "\n")
	do := func(method, path, ctype, body string, header map[string]string) *http.Response {
		req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		for k, v := range header {
			req.Header.Set(k, v)
			if k == "Host" {
				req.Host = v
			}
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		return resp
	}
	for _, tc := range []struct {
		name                      string
		method, path, ctype, body string
		header                    map[string]string
		status                    int
		want                      string
	}{
		{"a form post", "POST", "/api/v1/reset", "application/x-www-form-urlencoded", "a=b", nil, 415, "Content-Type: application/json"},
		{"text post", "POST", "/api/v1/reset", "text/plain", "{}", nil, 415, "wants a JSON body"},
		{"GET of a POST", "GET", "/api/v1/reset", "", "", nil, 405, "takes POST, not GET"},
		{"POST of a GET", "POST", "/api/v1/metrics", "application/json", "{}", nil, 405, "takes GET, not POST"},
		{"another origin", "POST", "/api/v1/reset", "application/json", "{}", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "cross-origin"},
		{"another origin's name", "GET", "/api/v1/metrics", "", "", map[string]string{"Host": "evil.example:80"}, 403, "Host header"},
		{"unknown path", "GET", "/api/v1/nothing", "", "", nil, 404, "no such endpoint"},
		{"unknown parameter", "GET", "/api/v1/metrics?nam=cpu", "", "", nil, 400, `unknown query parameter "nam"`},
		{"bad since", "GET", "/api/v1/metrics?since=yesterday", "", "", nil, 400, "since="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := do(tc.method, tc.path, tc.ctype, tc.body, tc.header)
			got := decode(t, resp, tc.status)
			require.Contains(t, got["error"], tc.want)
			require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
		})
	}
	// Nothing was reset.
	diff(t, "still kept", 1.0, f.get("/api/v1/metrics", 200)["matched"])
	// localhost and IP addresses are fine.
	resp := do("GET", "/api/v1/summary", "", "", map[string]string{"Host": "localhost:8095"})
	decode(t, resp, 200)
}

// The events are the objects of --output json, as Server-Sent Events.
func TestEvents(t *testing.T) {
	f := newFixture(t, api.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", f.srv.URL+"/api/v1/events", nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	diff(t, "content type", "text/event-stream", resp.Header.Get("Content-Type"))
	events := make(chan map[string]any, 100)
	go readEvents(resp.Body, events)
	next := func() map[string]any {
		select {
		case ev := <-events:
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no event")
			return nil
		}
	}
	diff(t, "first, the listener", map[string]any{"event": "listening", "listener": testListener, "data_format": "influx"}, next())
	f.send("cpu usage=1 1795608000\n")
	var kinds []any
	for range 3 {
		ev := next()
		kinds = append(kinds, ev["event"])
		if ev["event"] == "record" {
			diff(t, "the record's id", 1.0, ev["id"])
		}
	}
	diff(t, "events", []any{"record", "metric", "finding"}, kinds)
	f.store.Conn(listener.ConnEvent{Listener: testListener, Conn: 1, Open: true})
	diff(t, "a connection", "conn_open", next()["event"])
	f.post("/api/v1/reset", "{}", 200)
	diff(t, "a reset", "reset", next()["event"])
}

// ?kinds= keeps the stream light: no record or metric events, and each
// finding carries its record's id (what the page asks for).
func TestEventKinds(t *testing.T) {
	f := newFixture(t, api.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", f.srv.URL+"/api/v1/events?kinds=listening,finding,conn_open", nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	diff(t, "status", 200, resp.StatusCode)
	events := make(chan map[string]any, 100)
	go readEvents(resp.Body, events)
	next := func() map[string]any {
		select {
		case ev := <-events:
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no event")
			return nil
		}
	}
	diff(t, "first, the listener", "listening", next()["event"])
	f.send("cpu usage=1 1795608000\n") // a clean metric, then a finding's record
	ev := next()
	diff(t, "the first event after the records", "finding", ev["event"])
	diff(t, "its record's id", 1.0, ev["record_id"])
	f.store.Conn(listener.ConnEvent{Listener: testListener, Conn: 1, Open: false})
	f.store.Conn(listener.ConnEvent{Listener: testListener, Conn: 2, Open: true})
	diff(t, "a conn_close is left out, a conn_open comes", "conn_open", next()["event"])
}

func readEvents(r io.Reader, out chan<- map[string]any) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var ev map[string]any
		if json.Unmarshal([]byte(data), &ev) == nil {
			out <- ev
		}
	}
	close(out)
}

// A client that does not read is dropped with a final event; ingestion
// never waits for it.
func TestSlowEventClientIsDropped(t *testing.T) {
	// Long enough that the stream is not given up on as a stalled write
	// while a slow machine ingests: this test is about the buffer.
	t.Cleanup(api.SetWriteTimeout(5 * time.Minute)) // after the fixture has closed
	f := newFixture(t, api.Options{})
	resp, err := http.Get(f.srv.URL + "/api/v1/events")
	require.NoError(t, err)
	defer resp.Body.Close()
	// Wait for the subscription, then send far more than a client may
	// fall behind by while nobody reads.
	require.Eventually(t, func() bool { return gauge(t, f, "fakegraf_api_event_clients") == 1 }, 10*time.Second, time.Millisecond)
	start := time.Now()
	big := "cpu,host=" + strings.Repeat("x", 4000) + " usage=1\n"
	for range 5000 {
		f.send(big)
	}
	require.Less(t, time.Since(start), 20*time.Second, "ingestion waited for the client")
	require.Eventually(t, func() bool { return gauge(t, f, "fakegraf_api_event_clients") == 0 }, 10*time.Second, time.Millisecond)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	require.Contains(t, lines[len(lines)-1], `"event":"dropped"`)
}

func gauge(t *testing.T, f *fixture, name string) int {
	resp, err := http.Get(f.srv.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var n int
		if _, err := fmt.Sscanf(sc.Text(), name+" %d", &n); err == nil {
			return n
		}
	}
	return -1
}

func TestPrometheus(t *testing.T) {
	f := newFixture(t, api.Options{})
	f.send("cpu usage=1 " + ts1 + "\n")
	f.send("cpu usage=\n")
	f.store.Finding(parse.Diagnostic{Rule: parse.RuleKernelDrops, Severity: parse.Error, Source: parse.Source{Listener: testListener}, Count: 7})
	f.store.Finding(parse.Diagnostic{Rule: parse.RuleFindingsNotDelivered, Severity: parse.Info, Source: parse.Source{Listener: testListener}, Count: 3})
	f.store.Finding(parse.Diagnostic{Rule: parse.RuleForwardLoss, Severity: parse.Warning, Source: parse.Source{Listener: testListener}, Count: 34})
	f.post("/api/v1/reset", "{}", 200) // counters for Prometheus go on
	resp, err := http.Get(f.srv.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	diff(t, "content type", "text/plain; version=0.0.4; charset=utf-8", resp.Header.Get("Content-Type"))
	body, _ := io.ReadAll(resp.Body)
	l := `{listener="` + testListener + `"}`
	for _, want := range []string{
		"# TYPE fakegraf_records_total counter\nfakegraf_records_total" + l + " 2\n",
		"fakegraf_rejected_records_total" + l + " 1\n",
		"fakegraf_metrics_total" + l + " 1\n",
		"fakegraf_bytes_total" + l + " 43\n",
		"fakegraf_kernel_drops_total" + l + " 7\n",
		"# TYPE fakegraf_findings_undelivered_total counter\nfakegraf_findings_undelivered_total" + l + " 3\n",
		"# TYPE fakegraf_forward_lost_bytes_total counter\nfakegraf_forward_lost_bytes_total" + l + " 34\n",
		"fakegraf_connections_total" + l + " 0\n",
		`fakegraf_findings_total{listener="` + testListener + `",rule="parse-error",severity="error"} 1` + "\n",
		`fakegraf_findings_total{listener="` + testListener + `",rule="udp-kernel-drops",severity="error"} 1` + "\n",
		"fakegraf_api_kept_metrics 0\n",
		"# TYPE go_goroutines gauge\ngo_goroutines ",
		"# TYPE go_memstats_heap_alloc_bytes gauge\ngo_memstats_heap_alloc_bytes ",
	} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
	// The goroutines: at least this test's and the server's.
	if n := gauge(t, f, "go_goroutines"); n < 2 {
		t.Errorf("go_goroutines = %d, want the process's goroutines", n)
	}
	if n := gauge(t, f, "go_memstats_heap_alloc_bytes"); n <= 0 {
		t.Errorf("go_memstats_heap_alloc_bytes = %d, want the heap in use", n)
	}
}

// The examples of the OpenAPI document (and so of docs/api.md) have the
// shape of real answers: the same keys at every level.
func TestOpenAPIExamples(t *testing.T) {
	examples, err := api.JSONExamples()
	require.NoError(t, err)
	for _, ex := range examples {
		t.Run(ex.Name, func(t *testing.T) {
			f := newFixture(t, api.Options{})
			f.send("cpu,host=web1 usage_idle=99.5,cores=8i 1795608000000000000\n")
			f.send("cpu,host=web1 usage_idle=98.25,cores=8i 1795608010000000000\n")
			f.send("cpu usage_idle=\n")
			var got map[string]any
			if ex.Method == "GET" {
				got = f.get(ex.Path, 200)
			} else {
				body := ex.Body
				if strings.Contains(body, `"timeout"`) {
					var b map[string]any
					require.NoError(t, json.Unmarshal([]byte(body), &b))
					b["timeout"] = "10ms"
					nb, _ := json.Marshal(b)
					body = string(nb)
				}
				got = f.post(ex.Path, body, 200)
			}
			var want any
			require.NoError(t, json.Unmarshal(ex.Answer, &want))
			diff(t, "shape of "+ex.Path, api.Shape(want), api.Shape(got))
		})
	}
}

func TestOpenAPIServed(t *testing.T) {
	f := newFixture(t, api.Options{})
	got := f.get("/api/v1/openapi.json", 200)
	diff(t, "version", "3.1.0", got["openapi"])
	require.Contains(t, got["paths"], "/api/v1/wait")
}

// A record of an HTTP input shows its request and the answer in /records
// and /records/{id}, never a password of its query.
func TestRecordsShowTheExchange(t *testing.T) {
	f := newFixture(t, api.Options{})
	f.seq++
	f.engine.Record(listener.Record{Listener: f.url, Peer: "127.0.0.1:5000", Conn: 1, Seq: f.seq, Data: []byte("cpu usage=\n"), Size: 11,
		Terminated: true, Received: time.Unix(1795608000, 0),
		HTTP: &listener.Exchange{Method: "POST", Path: "/write", Query: "db=x&p=s3cret", Status: 400, Authorization: true, ContentLength: 11, RawSize: 11,
			ResponseBody: []byte(`{"error":"metric parse error"}`)}})
	want := map[string]any{"method": "POST", "path": "/write", "query": "db=x&p=REDACTED", "status": 400.0, "authorization": true,
		"body_bytes": 11.0, "request_headers": map[string]any{"Content-Length": "11"}, "response_body": `{"error":"metric parse error"}`}
	got := f.get("/api/v1/records", 200)
	diff(t, "the listing's exchange", []map[string]any{{"http": want}}, pick(got["records"], "http"))
	rec := f.get("/api/v1/records/1", 200)
	diff(t, "the record's exchange", want, rec["record"].(map[string]any)["http"])
}

// The findings about a socket rather than a record are kept within an
// eighth of KeepBytes, the oldest dropped first: a flood of refused
// connections must not grow the store past its bound.
func TestSocketFindingsWithinKeepBytes(t *testing.T) {
	f := newFixture(t, api.Options{KeepBytes: 1 << 20}) // 128 KiB of socket findings
	const n = 5000
	for i := range n {
		f.store.Finding(parse.Diagnostic{Rule: "max-connections", Severity: parse.Error,
			Message: fmt.Sprintf("unable to accept connection from \"127.0.0.1:%d\": too many connections", i),
			Source:  parse.Source{Listener: testListener, Peer: fmt.Sprintf("127.0.0.1:%d", i)},
			Fixes:   []string{"raise max_connections in the [[inputs.socket_listener]] at telegraf.conf:2, or reuse one connection per sender"}})
	}
	got := f.get("/api/v1/findings?limit=1", 200)
	kept := int(got["kept_findings"].(float64))
	if kept >= n || kept < 100 {
		t.Errorf("kept %d of %d socket findings; want fewer than all, within 128 KiB", kept, n)
	}
	diff(t, "dropped", float64(n-kept), got["dropped_findings"])
	diff(t, "the newest kept", "127.0.0.1:4999", got["findings"].([]any)[0].(map[string]any)["source"].(map[string]any)["peer"])
	diff(t, "counted", 5000.0, f.get("/api/v1/summary", 200)["listeners"].([]any)[0].(map[string]any)["socket_errors"])
}
