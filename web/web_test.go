package web_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
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

func get(t *testing.T, h http.Handler, target string) *http.Response {
	t.Helper()
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", target, nil)
	r.Host = "127.0.0.1:8080" // the API refuses other names
	h.ServeHTTP(w, r)
	return w.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func TestHandlerServesEmbeddedFiles(t *testing.T) {
	h := web.Handler(web.NewRecorder(0))
	for _, tc := range []struct {
		path, contentType, contains string
	}{
		{"/", "text/html; charset=utf-8", `<script src="/app.js" defer></script>`},
		{"/app.js", "text/javascript; charset=utf-8", "textContent"},
		{"/app.css", "text/css; charset=utf-8", ".listener"},
		{"/vendor/uPlot.iife.min.js", "text/javascript; charset=utf-8", "uPlot 1.6.32"},
		{"/vendor/uPlot.min.css", "text/css; charset=utf-8", ".uplot"},
		{"/vendor/uPlot.LICENSE", "", "The MIT License"},
		{"/favicon.svg", "image/svg+xml", "<svg"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp := get(t, h, tc.path)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			if tc.contentType != "" {
				if diff := cmp.Diff(tc.contentType, resp.Header.Get("Content-Type")); diff != "" {
					t.Errorf("Content-Type (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff(web.ContentSecurityPolicy, resp.Header.Get("Content-Security-Policy")); diff != "" {
				t.Errorf("Content-Security-Policy (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff("nosniff", resp.Header.Get("X-Content-Type-Options")); diff != "" {
				t.Errorf("X-Content-Type-Options (-want +got):\n%s", diff)
			}
			if b := body(t, resp); !strings.Contains(b, tc.contains) {
				t.Errorf("%s does not contain %q", tc.path, tc.contains)
			}
		})
	}
}

func TestHandlerRefuses(t *testing.T) {
	h := web.Handler(web.NewRecorder(0))
	for _, tc := range []struct {
		name, method, target string
		status               int
	}{
		{"post", "POST", "/", http.StatusMethodNotAllowed},
		{"delete", "DELETE", "/recording", http.StatusMethodNotAllowed},
		{"missing file", "GET", "/nope.js", http.StatusNotFound},
		{"golden before a recording", "GET", "/download/golden", http.StatusConflict},
		{"events before a recording", "GET", "/download/events.ndjson", http.StatusConflict},
		{"recording without JSON", "POST", "/recording", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tc.method, tc.target, nil))
			if diff := cmp.Diff(tc.status, w.Code); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(web.ContentSecurityPolicy, w.Header().Get("Content-Security-Policy")); diff != "" {
				t.Errorf("Content-Security-Policy (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPageBehindAPI mounts the page in the API's handler: the page at /,
// the API's JSON errors under /api/, and the API's Host check for both.
func TestPageBehindAPI(t *testing.T) {
	h := api.NewHandler(api.NewStore(api.Options{}), api.HandlerOptions{Page: web.Handler(web.NewRecorder(0))})
	for _, tc := range []struct {
		name, host, target, contentType string
		status                          int
	}{
		{"page", "127.0.0.1:8080", "/", "text/html; charset=utf-8", http.StatusOK},
		{"script", "localhost:8080", "/app.js", "text/javascript; charset=utf-8", http.StatusOK},
		{"api", "127.0.0.1:8080", "/api/v1/summary", "application/json", http.StatusOK},
		{"unknown api path", "127.0.0.1:8080", "/api/v2/summary", "application/json", http.StatusNotFound},
		{"api root", "127.0.0.1:8080", "/api", "application/json", http.StatusNotFound},
		{"rebound name", "attacker.example:8080", "/", "application/json", http.StatusForbidden},
		{"rebound download", "attacker.example:8080", "/download/events.ndjson", "application/json", http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tc.target, nil)
			r.Host = tc.host
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if diff := cmp.Diff(tc.status, w.Code); diff != "" {
				t.Errorf("status (-want +got):\n%s\n%s", diff, w.Body)
			}
			if diff := cmp.Diff(tc.contentType, w.Header().Get("Content-Type")); diff != "" {
				t.Errorf("Content-Type (-want +got):\n%s", diff)
			}
		})
	}
}

// engine is a Store and a Recorder fed by fakegraf's real engine.
func engine(t *testing.T) (*serve.Engine, *api.Store, *web.Recorder, http.Handler) {
	t.Helper()
	cfg, err := setup.Load([]byte("[agent]\n  omit_hostname = true\n[[inputs.socket_listener]]\n  service_address = \"tcp://127.0.0.1:8094\"\n  data_format = \"influx\"\n"), "test")
	require.NoError(t, err)
	store, rec := api.NewStore(api.Options{}), web.NewRecorder(0)
	e := serve.NewEngine(serve.Tee{store, rec})
	const url = "tcp://127.0.0.1:8094"
	e.Add(url, "influx", parse.NewPipeline(url, parse.DefaultRules(), serve.Stages(cfg.Inputs[0])...))
	t.Cleanup(store.Close)
	return e, store, rec, api.NewHandler(store, api.HandlerOptions{Page: web.Handler(rec)})
}

func record(seq uint64, data string) listener.Record {
	return listener.Record{Listener: "tcp://127.0.0.1:8094", Peer: "127.0.0.1:5000", Conn: 1, Seq: seq, Data: []byte(data),
		Size: len(data), Terminated: true, Stream: true, Received: time.Unix(1795608000, 0)}
}

func post(t *testing.T, h http.Handler, target, body string) *http.Response {
	t.Helper()
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", target, strings.NewReader(body))
	r.Host = "127.0.0.1:8080"
	r.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(w, r)
	return w.Result()
}

// TestDownloads records, through the API's handler as the page does, and
// reads the golden file and the NDJSON events of the recording.
func TestDownloads(t *testing.T) {
	e, _, _, h := engine(t)
	e.Record(record(1, "before_recording value=1 1795608000000000000"))
	resp := post(t, h, "/recording", `{"recording": true}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body(t, resp))
	e.Conn(listener.ConnEvent{Listener: "tcp://127.0.0.1:8094", Peer: "127.0.0.1:5000", Conn: 1, Open: true, Time: time.Unix(1795608000, 0)})
	e.Record(record(2, "cpu,host=a usage=1.5 1795608000000000000"))
	e.Record(record(3, "cpu,host=a usage=2i"))
	e.Record(record(4, "mem free=3 1795608000000"))
	resp = post(t, h, "/recording", `{"recording": false}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var st web.RecordingStatus
	require.NoError(t, json.Unmarshal([]byte(body(t, resp)), &st))
	if st.Recording || st.Records != 3 || st.Events != 4 || st.Started == nil || st.Stopped == nil {
		t.Errorf("status after the recording: %+v; want stopped, 3 records, 4 events", st)
	}
	e.Record(record(5, "after_recording value=1 1795608000000000000"))

	resp = get(t, h, "/download/golden")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	if diff := cmp.Diff(`attachment; filename="fakegraf.golden"`, resp.Header.Get("Content-Disposition")); diff != "" {
		t.Errorf("Content-Disposition (-want +got):\n%s", diff)
	}
	want := `# fakegraf golden file: accepted metrics as sorted line protocol (timestamps only where the sender set them), then findings by rule.
# Regenerate with --update and review the diff.

# metrics
cpu usage=1.5 1795608000000000000
cpu usage=2i
mem free=3 1795608000000

# findings
error[field-type-conflict] record 3 at 1:18 "cpu.usage float then integer"
error[timestamp-unit] record 4 at 1:12 "milliseconds read as nanoseconds"
`
	if diff := cmp.Diff(want, body(t, resp)); diff != "" {
		t.Errorf("golden file (-want +got):\n%s", diff)
	}

	resp = get(t, h, "/download/events.ndjson")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var events []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var ev struct {
			Event  string `json:"event"`
			Record uint64 `json:"record"`
			Rule   string `json:"rule"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ev), "%s", sc.Bytes())
		events = append(events, strings.TrimSpace(fmt.Sprintf("%s %s", ev.Event, ev.Rule)))
	}
	wantEvents := []string{"listening", "conn_open", "record", "metric", "record", "metric", "finding field-type-conflict", "record", "metric", "finding timestamp-unit"}
	if diff := cmp.Diff(wantEvents, events); diff != "" {
		t.Errorf("events of the recording (-want +got):\n%s", diff)
	}
}

// TestRecorderIdle: an idle recorder keeps nothing but the listeners.
func TestRecorderIdle(t *testing.T) {
	rec := web.NewRecorder(0)
	rec.Listening("udp://127.0.0.1:8094", "influx")
	rec.Finding(parse.Diagnostic{Rule: "socket-error", Severity: parse.Error, Message: "idle"})
	var got []string
	rec.Replay(findingsSink{&got})
	if len(got) != 0 {
		t.Errorf("an idle recorder kept %q", got)
	}
}

func TestRecorderKeepsTheNewest(t *testing.T) {
	rec := web.NewRecorder(10)
	rec.Start()
	for i := range 25 {
		rec.Finding(parse.Diagnostic{Rule: "socket-error", Severity: parse.Error, Message: "n" + string(rune('a'+i))})
	}
	var got []string
	rec.Replay(findingsSink{&got})
	if len(got) > 10 || got[len(got)-1] != "ny" {
		t.Errorf("kept %d findings ending with %q: want at most 10, the newest last", len(got), got[len(got)-1])
	}
	if st := rec.Status(); st.Dropped != 25-len(got) {
		t.Errorf("status says %d dropped, want %d", st.Dropped, 25-len(got))
	}
}

type findingsSink struct{ got *[]string }

func (findingsSink) Listening(string, string)     {}
func (findingsSink) Result(*parse.Result)         {}
func (findingsSink) Conn(listener.ConnEvent)      {}
func (s findingsSink) Finding(d parse.Diagnostic) { *s.got = append(*s.got, d.Message) }

// TestStaticFilesStayOffline keeps the page self-contained and its
// untrusted text out of HTML: no other origin, no inline script or style,
// and no API that parses a string as HTML or code.
func TestStaticFilesStayOffline(t *testing.T) {
	files := os.DirFS("static")
	forbidden := map[string]*regexp.Regexp{
		"another origin":          regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//`),
		"inline script":           regexp.MustCompile(`(?i)<script(\s[^>]*)?>[^<]`),
		"inline style":            regexp.MustCompile(`(?i)(<style|\sstyle\s*=)`),
		"inline event handler":    regexp.MustCompile(`(?i)<[^>]+\son[a-z]+\s*=`),
		"innerHTML and its kin":   regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment|DOMParser`),
		"code from strings":       regexp.MustCompile(`\beval\s*\(|new Function\s*\(|setTimeout\s*\(\s*['"]|setInterval\s*\(\s*['"]`),
		"a CDN or network import": regexp.MustCompile(`(?i)\bimport\s*\(|@import|cdn\.|unpkg|jsdelivr`),
	}
	for _, name := range []string{"index.html", "app.js", "app.css"} {
		b, err := fs.ReadFile(files, name)
		require.NoError(t, err)
		for what, re := range forbidden {
			if loc := re.FindIndex(b); loc != nil {
				t.Errorf("%s has %s: %q", name, what, b[loc[0]:loc[1]])
			}
		}
	}
}

// TestVendoredUPlot checks that the vendored library says what it is.
func TestVendoredUPlot(t *testing.T) {
	for _, name := range []string{"uPlot.iife.min.js", "uPlot.min.css"} {
		b, err := os.ReadFile("static/vendor/" + name)
		require.NoError(t, err)
		head := string(b[:min(len(b), 400)])
		for _, s := range []string{"uPlot 1.6.32", "MIT licence", "npm pack uplot@1.6.32"} {
			if !strings.Contains(head, s) {
				t.Errorf("%s: the header comment lacks %q:\n%s", name, s, head)
			}
		}
	}
	b, err := os.ReadFile("static/vendor/uPlot.LICENSE")
	require.NoError(t, err)
	if !strings.Contains(string(b), "Copyright (c) 2022 Leon Sorokin") {
		t.Errorf("uPlot.LICENSE is not uPlot's MIT licence:\n%s", b)
	}
}
