package parse

import (
	"fmt"
	"net/http"
)

const ruleHTTPMethodNotAllowed = "http-method-not-allowed"

func init() {
	Register(&Rule{
		ID:       ruleHTTPMethodNotAllowed,
		Severity: Error,
		Title:    "a method the input does not take: 405 from http_listener_v2, a different answer from InfluxDB's on the write APIs",
		Doc: "http_listener_v2 answers 405 {\"error\":\"http: method not allowed\"} to a method its methods option " +
			"(default POST, PUT) does not list, and stores nothing (http_listener_v2.go serveWrite). The InfluxDB " +
			"listeners do not check the method at all (influxdb_listener.go and influxdb_v2_listener.go handleWrite): " +
			"a GET on /write is read as a write of its (usually empty) body and answered 204, where a real InfluxDB " +
			"answers 405; " + clientDiffers + ".",
		Bad:    "GET /telegraf   to http_listener_v2 with methods = [\"POST\"]",
		Good:   "POST /telegraf",
		AlsoAt: []Level{{Info, "for a method other than POST on an InfluxDB listener's write API, which Telegraf takes and a real InfluxDB refuses"}},
		Only:   Only{HTTP: true},
		Check:  checkHTTPMethodNotAllowed,
		Cases: []Case{
			{Name: "GET on http_listener_v2", HTTP: caseHTTPv2, Config: `data_format = "influx"`, Records: []Rec{{Method: "GET"}}, Want: []Want{{"http-method-not-allowed", Error, 0}}},
			{Name: "PUT not listed", HTTP: caseHTTPv2, Config: "data_format = \"influx\"\nmethods = [\"POST\"]", Records: []Rec{{Method: "PUT", Data: "cpu usage=1\n"}}, Want: []Want{{"http-method-not-allowed", Error, 0}}},
			{Name: "GET on /write", HTTP: caseV1, Records: []Rec{{Method: "GET", Query: "db=x"}}, Want: []Want{{"http-method-not-allowed", Info, 0}}},
			{Name: "near miss: POST", HTTP: caseHTTPv2, Config: `data_format = "influx"`, Records: []Rec{{Data: "cpu usage=1\n"}}},
			{Name: "near miss: GET /ping", HTTP: caseV1, Records: []Rec{{Method: "GET", Path: "/ping"}}},
		},
	})
}

func checkHTTPMethodNotAllowed(ctx *Context) {
	ex := ctx.Record.HTTP
	if ex == nil {
		return
	}
	opts := httpOptions(ctx)
	switch {
	case ex.Status == 405 && opts.Kind == kindHTTPv2:
		methods := opts.Methods
		if len(methods) == 0 {
			methods = []string{"POST", "PUT"}
		}
		ctx.Report(fmt.Sprintf("http_listener_v2 answered %s to %s: methods = %q does not list %s; the body (%d bytes) was not stored",
			answer(ex), requestLine(ex), methods, ex.Method, ex.RawSize), Position{},
			fmt.Sprintf("send with %s", methods[0]), fmt.Sprintf("or add %q to %s", ex.Method, ctx.settings().in("methods")))
	case (opts.Kind == kindV1 || opts.Kind == kindV2) && isWrite(opts.Kind, ex) && ex.Method != http.MethodPost && ex.Status/100 == 2:
		ctx.ReportAs(Info, fmt.Sprintf("%s took %s and answered %d (a write of its %d-byte body), where a real InfluxDB answers 405 Method Not Allowed: %s",
			opts.Kind, requestLine(ex), ex.Status, ex.RawSize, clientDiffers), Position{},
			"write with POST")
	}
}
