package parse

import (
	"fmt"
	"strings"
)

const ruleHTTPWrongEndpoint = "http-wrong-endpoint"

func init() {
	Register(&Rule{
		ID:       ruleHTTPWrongEndpoint,
		Severity: Error,
		Title:    "a request to a path the input does not serve (404): a v1 client on the v2 listener, or the reverse",
		Doc: "influxdb_listener serves /write, /query and /ping; influxdb_v2_listener /api/v2/write, /ping, /health, " +
			"/ready and /api/v2/health and /api/v2/ready; http_listener_v2 its paths (default /telegraf). Anything " +
			"else gets 404 page not found (net/http's NotFound: influxdb_listener.go and influxdb_v2_listener.go " +
			"handleDefault, http_listener_v2.go ServeHTTP) and its body is lost. The usual cause is a client of one " +
			"InfluxDB API pointed at the listener of the other: influxdb-python or Telegraf's outputs.influxdb " +
			"write /write, the influxdb-client-* libraries /api/v2/write. A request to an endpoint a real InfluxDB " +
			"has and Telegraf lacks (/api/v2/buckets, /api/v2/orgs, /query on the v2 listener, /health on the v1 " +
			"listener) is reported as information: " + clientDiffers + ".",
		Bad:    "POST /write?db=telegraf   to influxdb_v2_listener",
		Good:   "POST /api/v2/write?org=o&bucket=telegraf   (or send /write to influxdb_listener)",
		AlsoAt: []Level{{Info, "for a request without a body to an endpoint a real InfluxDB serves and Telegraf does not (/api/v2/buckets, /health on the v1 listener): nothing is lost, but " + clientDiffers}},
		Only:   Only{HTTP: true},
		Check:  checkHTTPWrongEndpoint,
		Cases: []Case{
			{Name: "v1 client on the v2 listener", HTTP: caseV2, Records: []Rec{{Path: "/write", Query: "db=x", Data: "cpu usage=1\n"}}, Want: []Want{{"http-wrong-endpoint", Error, 0}}},
			{Name: "v2 client on the v1 listener", HTTP: caseV1, Records: []Rec{{Path: "/api/v2/write", Query: "org=o&bucket=b", Data: "cpu usage=1\n"}}, Want: []Want{{"http-wrong-endpoint", Error, 0}}},
			{Name: "another path on http_listener_v2", HTTP: caseHTTPv2, Config: `data_format = "influx"`, Records: []Rec{{Path: "/metrics", Data: "cpu usage=1\n"}}, Want: []Want{{"http-wrong-endpoint", Error, 0}}},
			{Name: "the buckets API a client library calls", HTTP: caseV2, Records: []Rec{{Method: "GET", Path: "/api/v2/buckets"}}, Want: []Want{{"http-wrong-endpoint", Info, 0}}},
			{Name: "near miss: /ping on the v2 listener", HTTP: caseV2, Records: []Rec{{Method: "GET", Path: "/ping"}}},
			{Name: "near miss: the write API", HTTP: caseV1, Records: []Rec{{Query: "db=x", Data: "cpu usage=1\n"}}},
		},
	})
}

// influxEndpoints are endpoints a real InfluxDB serves that a client
// library calls besides writing, by the plugin that lacks them.
var influxEndpoints = map[string][]string{
	kindV1: {"/health", "/api/v2/health", "/ready", "/api/v2/ready", "/api/v2/buckets", "/api/v2/orgs"},
	kindV2: {"/query", "/api/v2/query", "/api/v2/buckets", "/api/v2/orgs", "/api/v2/setup", "/api/v2/me", "/metrics"},
}

func checkHTTPWrongEndpoint(ctx *Context) {
	ex := ctx.Record.HTTP
	if ex == nil || ex.Status != 404 {
		return
	}
	opts := httpOptions(ctx)
	lost := fmt.Sprintf("; its body (%d bytes) was not stored", ex.RawSize)
	switch {
	case opts.Kind == kindV2 && ex.Path == "/write":
		ctx.Report(fmt.Sprintf("influxdb_v2_listener answered 404 to %s, the InfluxDB 1.x write API: a v1 client (influxdb-python, Telegraf's outputs.influxdb) on the v2 listener%s", requestLine(ex), lost),
			Position{}, "write to /api/v2/write?org=…&bucket=… with a v2 client (influxdb-client-python, -go, -java, @influxdata/influxdb-client)",
			"or serve the v1 API for this client: an [[inputs.influxdb_listener]] (fakegraf listen influxdb://127.0.0.1:8086)")
	case opts.Kind == kindV1 && strings.HasPrefix(ex.Path, "/api/v2/write"):
		ctx.Report(fmt.Sprintf("influxdb_listener answered 404 to %s, the InfluxDB 2 write API: a v2 client (influxdb-client-*) on the v1 listener%s", requestLine(ex), lost),
			Position{}, "serve the v2 API for this client: an [[inputs.influxdb_v2_listener]] (fakegraf listen influxdb-v2://127.0.0.1:8086)",
			"or write to /write?db=… with a v1 client")
	case opts.Kind == kindHTTPv2:
		paths := opts.Paths
		if len(paths) == 0 {
			paths = []string{"/telegraf"}
		}
		ctx.Report(fmt.Sprintf("http_listener_v2 answered 404 to %s: it serves only paths = %q%s", requestLine(ex), paths, lost),
			Position{}, fmt.Sprintf("send to %s", strings.Join(paths, " or ")), "or add "+fmt.Sprintf("%q", ex.Path)+" to "+ctx.settings().in("paths"))
	case ex.RawSize == 0 && contains(influxEndpoints[opts.Kind], ex.Path):
		ctx.ReportAs(Info, fmt.Sprintf("%s has no %s, which a real InfluxDB serves (a client library calls it to check the server, list buckets or query): Telegraf answered 404, and %s",
			opts.Kind, ex.Path, clientDiffers), Position{},
			"turn off the client's call (its health check or bucket lookup) when it writes to Telegraf, or test it against a real InfluxDB")
	default:
		ctx.Report(fmt.Sprintf("%s answered 404 to %s: it writes only on %s%s", opts.Kind, requestLine(ex), writePaths[opts.Kind], lost),
			Position{}, fmt.Sprintf("send writes to %s", writePaths[opts.Kind]))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
