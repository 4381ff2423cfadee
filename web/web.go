package web

import (
	"bufio"
	"embed"
	"encoding/json"
	"io/fs"
	"mime"
	"net/http"

	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
)

//go:embed static
var static embed.FS

// ContentSecurityPolicy is sent with every response of the page. Scripts,
// styles and connections come only from fakegraf itself: no inline script
// or style, no eval, no other origin, no plugin, no frame. An element a
// sender smuggled into the document (it never is: app.js writes text) could
// load nothing and run nothing.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves the page: its embedded files at /, the rules' titles at
// /rules.json, the recording's state at /recording (GET, and POST
// {"recording": true|false} to start or stop it), and what rec recorded at
// /download/golden and /download/events.ndjson.
func Handler(rec *Recorder) http.Handler {
	files, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServerFS(files))
	mux.HandleFunc("GET /rules.json", serveRules)
	mux.HandleFunc("GET /recording", rec.serveStatus)
	mux.HandleFunc("POST /recording", rec.serveRecording)
	mux.HandleFunc("GET /download/golden", rec.serveGolden)
	mux.HandleFunc("GET /download/events.ndjson", rec.serveEvents)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		post := r.URL.Path == "/recording"
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !(post && r.Method == http.MethodPost) {
			allow := "GET, HEAD"
			if post {
				allow += ", POST"
			}
			h.Set("Allow", allow)
			http.Error(w, r.URL.Path+" takes "+allow+", not "+r.Method, http.StatusMethodNotAllowed)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// ruleInfo is what the page shows of a rule besides its findings.
type ruleInfo struct {
	ID       string `json:"id"`
	Severity string `json:"severity"`
	Title    string `json:"title"`
}

func serveRules(w http.ResponseWriter, _ *http.Request) {
	var out []ruleInfo
	for _, r := range parse.Rules() {
		out = append(out, ruleInfo{r.ID, r.Severity.String(), r.Title})
	}
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func (rec *Recorder) serveStatus(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, rec.Status())
}

// serveRecording starts or stops the recording. The body is JSON, which a
// form on a page of another origin cannot send without the browser asking
// first (and the API's handler, in front of this one, refuses cross-origin
// POSTs outright).
func (rec *Recorder) serveRecording(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Recording *bool `json:"recording"`
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<10))
	dec.DisallowUnknownFields()
	if mt != "application/json" || dec.Decode(&body) != nil || body.Recording == nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `POST /recording wants Content-Type: application/json and {"recording": true} to start a recording, or false to stop it`})
		return
	}
	if *body.Recording {
		rec.Start()
	} else {
		rec.Stop()
	}
	writeJSON(w, http.StatusOK, rec.Status())
}

// recorded refuses a download when nothing was ever recorded.
func (rec *Recorder) recorded(w http.ResponseWriter) bool {
	if rec.Status().Started == nil {
		writeJSON(w, http.StatusConflict, map[string]string{"error": "nothing is recorded: start a recording (the page's Record button, or POST /recording {\"recording\": true}), let the sender send, then download"})
		return false
	}
	return true
}

func attachment(w http.ResponseWriter, contentType, name string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
}

// serveGolden writes the golden file of the recording, as `fakegraf listen
// --golden FILE` would have written it over the same time: the host tag
// left out, timestamps only where the sender set them.
func (rec *Recorder) serveGolden(w http.ResponseWriter, _ *http.Request) {
	if !rec.recorded(w) {
		return
	}
	g := report.NewGolden(report.GoldenOptions{IgnoreTags: []string{"host"}, UpdateHint: "--update"})
	rec.replay(g)
	attachment(w, "text/plain; charset=utf-8", "fakegraf.golden")
	_, _ = w.Write(g.Content())
}

// serveEvents writes the recording's events as --output json does: one
// object per line, listening events first.
func (rec *Recorder) serveEvents(w http.ResponseWriter, _ *http.Request) {
	if !rec.recorded(w) {
		return
	}
	attachment(w, "application/x-ndjson", "fakegraf-events.ndjson")
	bw := bufio.NewWriterSize(w, 64<<10)
	rec.replay(report.NewJSON(bw, report.Options{}))
	_ = bw.Flush()
}
