package report_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
)

// A record of an HTTP input reads with its request and the status the
// plugin answered, the answer's body when it is an error; json carries the
// exchange without the Authorization value or a password in the query;
// github and junit name the request.
func TestHTTPRecord(t *testing.T) {
	const url = "influxdb://127.0.0.1:8086"
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	ok := &parse.Result{Format: "influx",
		Record: listener.Record{Listener: url, Seq: 1, Conn: 1, Peer: "127.0.0.1:40000", Data: []byte("cpu value=1 1\n"), Size: 14, Received: t0, Terminated: true,
			Plugin: &listener.PluginOutput{}, HTTP: &listener.Exchange{Method: "POST", Path: "/write", Query: "db=telegraf&u=me&p=s3cret", Status: 204,
				ContentType: "text/plain", UserAgent: "curl/8", Authorization: true, ContentLength: 14, RawSize: 14}},
		Metrics: []telegraf.Metric{metric.New("cpu", nil, map[string]any{"value": 1.0}, time.Unix(0, 1))}}
	bad := &parse.Result{Format: "influx",
		Record: listener.Record{Listener: url, Seq: 2, Conn: 1, Peer: "127.0.0.1:40000", Data: []byte("cpu value=\n"), Size: 11, Received: t0, Terminated: true,
			Plugin: &listener.PluginOutput{}, HTTP: &listener.Exchange{Method: "POST", Path: "/write", Status: 400, ContentLength: 11, RawSize: 11,
				ResponseBody: []byte(`{"error":"metric parse error: expected field at 1:11: \"cpu value=\""}` + "\n")}},
		Diagnostics: []parse.Diagnostic{{Rule: "parse-error", Severity: parse.Error, Message: "expected field",
			Source: parse.Source{Listener: url, Peer: "127.0.0.1:40000", Conn: 1, Record: 2}}}}
	ping := &parse.Result{Format: "influx",
		Record: listener.Record{Listener: url, Seq: 3, Conn: 2, Peer: "127.0.0.1:40001", Received: t0, Terminated: true,
			Plugin: &listener.PluginOutput{}, HTTP: &listener.Exchange{Method: "GET", Path: "/ping", Status: 204}}}

	var text, js, gh, ju bytes.Buffer
	printers := report.Printers{report.NewText(&text, report.Options{}), report.NewJSON(&js, report.Options{}),
		report.NewGitHub(&gh), report.NewJUnit(&ju, parse.Error)}
	c := report.NewCollector()
	for _, r := range []*parse.Result{ok, bad, ping} {
		printers.Result(r)
		c.Result(r)
	}
	printers.Summary(c.Summary())

	for _, want := range []string{
		url + " #1 conn 1 from 127.0.0.1:40000 POST /write?db=telegraf&u=me&p=REDACTED → 204 14 B\n  < \"cpu value=1 1\\n\"\n  > cpu value=1 1\n",
		url + " #2 conn 1 from 127.0.0.1:40000 POST /write → 400 11 B\n  < \"cpu value=\\n\"\n  ! answered 400: \"{\\\"error\\\":\\\"metric parse error",
		url + " #3 conn 2 from 127.0.0.1:40001 GET /ping → 204 0 B\n\n",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the text report lacks %q:\n%s", want, text.String())
		}
	}
	if strings.Contains(text.String()+js.String()+gh.String()+ju.String(), "s3cret") {
		t.Errorf("a password in the query reached a report")
	}

	var got []*report.WireHTTP
	for _, line := range strings.Split(strings.TrimSpace(js.String()), "\n") {
		var ev struct {
			Event string           `json:"event"`
			HTTP  *report.WireHTTP `json:"http"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if ev.Event == "record" {
			got = append(got, ev.HTTP)
		}
	}
	want := []*report.WireHTTP{
		{Method: "POST", Path: "/write", Query: "db=telegraf&u=me&p=REDACTED", Status: 204, Authorization: true, BodyBytes: 14,
			RequestHeaders: map[string]string{"Content-Type": "text/plain", "User-Agent": "curl/8", "Content-Length": "14"}},
		{Method: "POST", Path: "/write", Status: 400, BodyBytes: 11, RequestHeaders: map[string]string{"Content-Length": "11"},
			ResponseBody: `{"error":"metric parse error: expected field at 1:11: \"cpu value=\""}` + "\n"},
		{Method: "GET", Path: "/ping", Status: 204},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("json record events' http (-want +got):\n%s", diff)
	}
	if want := "from 127.0.0.1:40000 POST /write (answered 400): expected field"; !strings.Contains(gh.String(), want) {
		t.Errorf("the github annotation lacks %q:\n%s", want, gh.String())
	}
	if want := "request: POST /write (answered 400)&#xA;response: &#34;{\\&#34;error"; !strings.Contains(ju.String(), want) {
		t.Errorf("the junit failure lacks %q:\n%s", want, ju.String())
	}
}

// A sender's method and path go to the terminal quoted when they hold
// control bytes.
func TestHTTPRequestLineQuoted(t *testing.T) {
	got := report.RequestLine(&listener.Exchange{Method: "POST", Path: "/write\x1b[2J"})
	if want := `"POST" "/write\x1b[2J"`; got != want {
		t.Errorf("RequestLine = %s, want %s", got, want)
	}
}
