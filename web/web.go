package web

import (
	"bufio"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"time"

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
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves the page: its embedded files at /, the rules' titles at
// /rules.json, and the downloads that rec keeps at /download/golden and
// /download/events.ndjson. Only GET and HEAD are served.
func Handler(rec *Recorder) http.Handler {
	files, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServerFS(files))
	mux.HandleFunc("GET /rules.json", serveRules)
	mux.HandleFunc("GET /download/golden", rec.serveGolden)
	mux.HandleFunc("GET /download/events.ndjson", rec.serveEvents)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, r.URL.Path+" takes GET, not "+r.Method, http.StatusMethodNotAllowed)
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
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(out)
}

// parseSince reads the since parameter of a download: the API's window
// start (RFC 3339), or nothing for everything kept.
func parseSince(w http.ResponseWriter, r *http.Request) (time.Time, bool) {
	s := r.URL.Query().Get("since")
	if s == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		http.Error(w, fmt.Sprintf("since=%q: want an RFC 3339 time, as the since of /api/v1/summary", s), http.StatusBadRequest)
		return time.Time{}, false
	}
	return t, true
}

func attachment(w http.ResponseWriter, contentType, name string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(name, `"`, "")+`"`)
}

// serveGolden writes the golden file of what arrived since the given time,
// as `fakegraf listen --golden FILE` would record it: the host tag left out,
// timestamps only where the sender set them.
func (rec *Recorder) serveGolden(w http.ResponseWriter, r *http.Request) {
	since, ok := parseSince(w, r)
	if !ok {
		return
	}
	g := report.NewGolden(report.GoldenOptions{IgnoreTags: []string{"host"}, UpdateHint: "--update"})
	rec.replay(since, g)
	attachment(w, "text/plain; charset=utf-8", "fakegraf.golden")
	_, _ = w.Write(g.Content())
}

// serveEvents writes the events since the given time as --output json
// does: one object per line, listening events first.
func (rec *Recorder) serveEvents(w http.ResponseWriter, r *http.Request) {
	since, ok := parseSince(w, r)
	if !ok {
		return
	}
	attachment(w, "application/x-ndjson", "fakegraf-events.ndjson")
	bw := bufio.NewWriterSize(w, 64<<10)
	rec.replay(since, report.NewJSON(bw, report.Options{}))
	_ = bw.Flush()
}
