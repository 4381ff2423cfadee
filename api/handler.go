package api

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed openapi.json
var openAPI []byte

// HandlerOptions configure the HTTP handler.
type HandlerOptions struct {
	// Hosts are the host names, besides localhost and IP addresses, that a
	// request may name in its Host header. Any other name is refused, so
	// that a web page whose name a DNS server points at 127.0.0.1 cannot
	// read the API (DNS rebinding).
	Hosts []string
	// AnyHost accepts every Host header: for an API bound to a network
	// address on purpose.
	AnyHost bool
	// Page, when set, serves every path outside /api/ and /metrics: the
	// web page (package web), behind the same Host check.
	Page http.Handler
	// Recording, when set, is what POST /api/v1/golden compares: the
	// page's recording (web.Recorder).
	Recording Recording
}

// route is one endpoint: the method and ServeMux path, the query
// parameters it takes, and its handler. The OpenAPI document describes
// every route (TestOpenAPIDescribesEveryRoute).
type route struct {
	method, path string
	params       []string
	serve        func(*handler, http.ResponseWriter, *http.Request)
}

var routes = []route{
	{"GET", "/api/v1/metrics", []string{"name", "tag", "field", "listener", "since", "limit", "format"}, (*handler).metrics},
	{"GET", "/api/v1/series", []string{"name", "tag", "field", "listener", "since"}, (*handler).series},
	{"GET", "/api/v1/series/points", []string{"name", "tag", "field", "listener", "since", "limit"}, (*handler).points},
	{"GET", "/api/v1/findings", []string{"rule", "severity", "listener", "limit"}, (*handler).listFindings},
	{"GET", "/api/v1/records", []string{"listener", "since", "limit"}, (*handler).listRecords},
	{"GET", "/api/v1/records/{id}", nil, (*handler).record},
	{"GET", "/api/v1/summary", nil, (*handler).summary},
	{"POST", "/api/v1/reset", nil, (*handler).reset},
	{"POST", "/api/v1/wait", nil, (*handler).wait},
	{"POST", "/api/v1/golden", nil, (*handler).golden},
	{"GET", "/api/v1/events", []string{"kinds"}, (*handler).events},
	{"GET", "/api/v1/openapi.json", nil, (*handler).openAPI},
	{"GET", "/metrics", nil, (*handler).prometheus},
}

type handler struct {
	store *Store
	opt   HandlerOptions
	mux   *http.ServeMux
	cop   *http.CrossOriginProtection
}

// NewHandler serves the store's API: versioned JSON under /api/v1 (the
// OpenAPI document at /api/v1/openapi.json describes it) and fakegraf's
// own counters at /metrics. Errors are JSON objects with a message. A
// request that changes state is a POST with a JSON body, refused from a
// page of another origin; no CORS header is ever sent.
func NewHandler(s *Store, opt HandlerOptions) http.Handler {
	h := &handler{store: s, opt: opt, mux: http.NewServeMux(), cop: http.NewCrossOriginProtection()}
	for _, rt := range routes {
		h.mux.HandleFunc(rt.method+" "+rt.path, func(w http.ResponseWriter, r *http.Request) {
			if err := checkParams(r.URL.Query(), rt.params); err != nil {
				writeError(w, http.StatusBadRequest, err.Error())
				return
			}
			rt.serve(h, w, r)
		})
		// Any other method: a JSON 405 rather than the mux's plain text.
		allow := rt.method
		if allow == "GET" {
			allow = "GET, HEAD"
		}
		h.mux.HandleFunc(rt.path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s takes %s, not %s", rt.path, rt.method, r.Method))
		})
	}
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if opt.Page != nil && r.URL.Path != "/api" && !strings.HasPrefix(r.URL.Path, "/api/") {
			opt.Page.ServeHTTP(w, r)
			return
		}
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such endpoint: %s %s (the API is described at /api/v1/openapi.json)", r.Method, r.URL.Path))
	})
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	if !h.hostAllowed(r.Host) {
		writeError(w, http.StatusForbidden, fmt.Sprintf("the Host header names %q: fakegraf answers on its loopback address, localhost or an IP address", r.Host))
		return
	}
	if err := h.cop.Check(r); err != nil {
		writeError(w, http.StatusForbidden, "refused a cross-origin "+r.Method+": "+err.Error())
		return
	}
	h.mux.ServeHTTP(w, r)
}

func (h *handler) hostAllowed(host string) bool {
	if h.opt.AnyHost || host == "" {
		return true
	}
	if hn, _, err := net.SplitHostPort(host); err == nil {
		host = hn
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	if net.ParseIP(host) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	return slices.ContainsFunc(h.opt.Hosts, func(s string) bool { return strings.EqualFold(s, host) })
}

func checkParams(q url.Values, allowed []string) error {
	for k := range q {
		if !slices.Contains(allowed, k) {
			if len(allowed) == 0 {
				return fmt.Errorf("unknown query parameter %q: this endpoint takes none", k)
			}
			return fmt.Errorf("unknown query parameter %q: use %s", k, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// writeJSON writes v as the whole response.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// apiError is every error response.
type apiError struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, apiError{msg})
}

// maxBody bounds a request body.
const maxBody = 1 << 20

// readJSON decodes a POST body into v. It must be declared JSON: a form on
// a page of another origin cannot send that without the browser asking
// first, and fakegraf sends no CORS header that would let it.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("%s %s wants a JSON body with Content-Type: application/json, got %q", r.Method, r.URL.Path, r.Header.Get("Content-Type")))
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := err.Error()
		if errors.Is(err, io.EOF) {
			msg = "the body is empty: send a JSON object, {} at least"
		}
		writeError(w, http.StatusBadRequest, "reading the JSON body: "+msg)
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "reading the JSON body: more than one JSON value")
		return false
	}
	return true
}

// parseSince reads since: an RFC 3339 time, nanoseconds since the epoch,
// or a duration back from now (30s, 5m).
func parseSince(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if ns, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(0, ns), nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return time.Now().Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("since=%q: want an RFC 3339 time (2026-11-25T12:00:00Z), nanoseconds since the epoch, or a duration back from now (5m)", s)
}

func parseLimit(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("limit=%q: want a whole number (0: no limit)", s)
	}
	return n, nil
}

func itoa(n int) string { return strconv.Itoa(n) }

func (h *handler) openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPI)
}
