package report

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fakegraf/fakegraf/listener"
)

// How reports show a record that was an HTTP request to one of Telegraf's
// HTTP inputs (listener.Record.HTTP): the request line and the status the
// plugin answered, the answer's body when it is an error (Telegraf's
// influxdb listeners put the reason there: influxdb_listener.go
// handleWrite, influxdb_v2_listener.go handleWrite), and the request
// headers the inputs' rules read. Secrets are never shown: the
// Authorization header is only said to be present, and the query's
// password parameters (InfluxDB 1.x clients send ?u=USER&p=PASSWORD) are
// masked.

// WireHTTP is the exchange of a record of an HTTP input, as --output json
// writes it (the record event's "http"), the HTTP API serves it and the
// page shows it.
type WireHTTP struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	// Query is the raw query without '?', its password parameters masked.
	Query  string `json:"query,omitempty"`
	Status int    `json:"status"`
	// ResponseBody is the answer's body as the client got it (Telegraf's
	// error bodies are JSON or text); ResponseBodyBase64 holds it
	// instead when it is not UTF-8.
	ResponseBody       string `json:"response_body,omitempty"`
	ResponseBodyBase64 []byte `json:"response_body_base64,omitempty"`
	// RequestHeaders are the request headers the inputs' rules read:
	// Content-Type, Content-Encoding, Content-Length and User-Agent, when
	// sent. Authorization is never kept; Authorization says whether one
	// was sent.
	RequestHeaders map[string]string `json:"request_headers,omitempty"`
	Authorization  bool              `json:"authorization"`
	// BodyBytes is the body's size on the wire (before gunzip); the
	// record's data is the body as the plugin's parser read it.
	BodyBytes int `json:"body_bytes"`
}

// HTTPEvent is the wire form of an exchange; nil for nil.
func HTTPEvent(ex *listener.Exchange) *WireHTTP {
	if ex == nil {
		return nil
	}
	w := &WireHTTP{
		Method: ex.Method, Path: ex.Path, Query: MaskQuery(ex.Query), Status: ex.Status,
		Authorization: ex.Authorization, BodyBytes: ex.RawSize,
	}
	if utf8.Valid(ex.ResponseBody) {
		w.ResponseBody = string(ex.ResponseBody)
	} else {
		w.ResponseBodyBase64 = ex.ResponseBody
	}
	h := map[string]string{}
	for k, v := range map[string]string{"Content-Type": ex.ContentType, "Content-Encoding": ex.ContentEncoding, "User-Agent": ex.UserAgent} {
		if v != "" {
			h[k] = v
		}
	}
	if ex.ContentLength >= 0 && (ex.ContentLength > 0 || ex.Method == "POST" || ex.Method == "PUT") {
		h["Content-Length"] = strconv.FormatInt(ex.ContentLength, 10)
	}
	if len(h) > 0 {
		w.RequestHeaders = h
	}
	return w
}

// secretParams are query parameters whose values are passwords or tokens:
// InfluxDB 1.x's p (and u beside it is harmless), and the names clients
// use for a token.
var secretParams = map[string]bool{"p": true, "password": true, "token": true, "auth": true}

// MaskQuery replaces the values of password parameters in a raw query
// with "REDACTED", leaving the rest byte for byte as sent.
func MaskQuery(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, _, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if secretParams[strings.ToLower(name)] {
			parts[i] = k + "=REDACTED"
		}
	}
	return strings.Join(parts, "&")
}

// RequestLine names a request as the reports show it: the method, the
// path and the masked query, quoted with %q where a sender put bytes a
// terminal would act on.
func RequestLine(ex *listener.Exchange) string {
	target := ex.Path
	if q := MaskQuery(ex.Query); q != "" {
		target += "?" + q
	}
	if !printable(ex.Method) || !printable(target) {
		return fmt.Sprintf("%q %q", ex.Method, target)
	}
	return ex.Method + " " + target
}

// printable says whether s can go to a terminal unquoted: printable
// ASCII without spaces.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// isHTTPError says whether the plugin answered with an error status, whose
// body says why.
func isHTTPError(ex *listener.Exchange) bool { return ex != nil && ex.Status >= 400 }
