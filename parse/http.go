package parse

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/fakegraf/fakegraf/listener"
)

// HTTPInput is what the HTTP rules (rule_http_*.go) know of one of
// Telegraf's HTTP inputs besides its parser: which plugin it is and the
// options that decide its answers. Stage.HTTP carries it.
type HTTPInput struct {
	Kind string // influxdb_listener, influxdb_v2_listener or http_listener_v2
	// Auth is what the plugin asks of a request: "" (nothing), "basic"
	// (basic_username/basic_password), "token" (influxdb_v2_listener's
	// token: "Authorization: Token …") or "jwt" (influxdb_listener's
	// token_shared_secret: "Authorization: Bearer <JWT>").
	Auth string
	// Paths and Methods are http_listener_v2's paths and methods.
	Paths, Methods []string
	// MaxBodySize is max_body_size, 0 when the plugin's default applies.
	MaxBodySize int64
}

// The kinds of HTTP input, by the scheme of their listener URL
// (httpin.SchemeInfluxDB…).
const (
	kindV1     = "influxdb_listener"
	kindV2     = "influxdb_v2_listener"
	kindHTTPv2 = "http_listener_v2"
)

// httpKind is the plugin that answered an HTTP record; "" for any other
// record.
func httpKind(ctx *Context) string {
	if ctx.Record.HTTP == nil {
		return ""
	}
	if ctx.Stage != nil && ctx.Stage.HTTP != nil {
		return ctx.Stage.HTTP.Kind
	}
	scheme, _, _ := strings.Cut(ctx.Record.Listener, "://")
	switch scheme {
	case "influxdb":
		return kindV1
	case "influxdb-v2":
		return kindV2
	}
	return kindHTTPv2
}

// httpOptions is the stage's HTTPInput, never nil.
func httpOptions(ctx *Context) *HTTPInput {
	if ctx.Stage != nil && ctx.Stage.HTTP != nil {
		return ctx.Stage.HTTP
	}
	return &HTTPInput{Kind: httpKind(ctx)}
}

// query is the request's query.
func query(ex *listener.Exchange) url.Values {
	q, _ := url.ParseQuery(ex.Query)
	return q
}

// isWrite says whether a request went to its input's write API.
func isWrite(kind string, ex *listener.Exchange) bool {
	switch kind {
	case kindV1:
		return ex.Path == "/write"
	case kindV2:
		return ex.Path == "/api/v2/write"
	}
	return ex.Status != 404 // http_listener_v2 writes on every path it serves
}

// requestLine is how a finding names the request: `POST /write?db=x`.
func requestLine(ex *listener.Exchange) string {
	s := ex.Method + " " + ex.Path
	if ex.Query != "" {
		s += "?" + ex.Query
	}
	return fmt.Sprintf("%q", s)
}

// answer is how a finding names Telegraf's answer: `400 {"error":"…"}`.
func answer(ex *listener.Exchange) string {
	body := strings.TrimSpace(string(ex.ResponseBody))
	if len(body) > 200 {
		body = body[:200] + "…"
	}
	if body == "" {
		return fmt.Sprint(ex.Status)
	}
	return fmt.Sprintf("%d %s", ex.Status, body)
}

// precisionNames are the precision query values of each InfluxDB write API
// and the unit each means (influxdb_listener.go and influxdb_v2_listener.go
// getPrecisionMultiplier; anything else is nanoseconds).
var precisionNames = map[string]map[time.Duration]string{
	kindV1: {time.Nanosecond: "ns", time.Microsecond: "u", time.Millisecond: "ms", time.Second: "s"},
	kindV2: {time.Nanosecond: "ns", time.Microsecond: "us", time.Millisecond: "ms", time.Second: "s"},
}

// clientDiffers ends a note on an answer that a real InfluxDB gives
// differently.
const clientDiffers = "a client that works against one may fail against the other"
