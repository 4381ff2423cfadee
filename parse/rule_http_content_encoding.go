package parse

import (
	"bytes"
	"fmt"
)

const ruleHTTPContentEncoding = "http-content-encoding"

func init() {
	Register(&Rule{
		ID:       ruleHTTPContentEncoding,
		Severity: Error,
		Title:    "a gzip body without Content-Encoding: gzip, or the header on a plain body: 400, and the batch is lost",
		Doc: "Telegraf's HTTP inputs gunzip a body only when the request says Content-Encoding: gzip, and then " +
			"insist (influxdb_listener.go and influxdb_v2_listener.go handleWrite, http_listener_v2.go collectBody: " +
			"gzip.NewReader). A compressed body without the header is parsed as text and refused; the header on a " +
			"plain body fails with \"gzip: invalid header\". Either way the answer is 400 and nothing is stored.",
		Bad:   "POST /api/v2/write   (a gzip body, no Content-Encoding header)",
		Good:  "POST /api/v2/write\nContent-Encoding: gzip",
		Only:  Only{HTTP: true},
		Check: checkHTTPContentEncoding,
		Cases: []Case{
			{Name: "gzip without the header", HTTP: caseV2, Records: []Rec{{Query: "org=o&bucket=b", Gzip: true, Data: "cpu usage=1\n"}}, Want: []Want{{"http-content-encoding", Error, 0}, {"parse-error", Error, anyPos}}},
			{Name: "the header on a plain body", HTTP: caseV1, Records: []Rec{{Query: "db=x", Header: []string{"Content-Encoding: gzip"}, Data: "cpu usage=1\n"}}, Want: []Want{{"http-content-encoding", Error, 0}}},
			{Name: "near miss: gzip with the header", HTTP: caseV2, Records: []Rec{{Query: "org=o&bucket=b", Gzip: true, Header: []string{"Content-Encoding: gzip"}, Data: "cpu usage=1\n"}}},
			{Name: "near miss: plain", HTTP: caseHTTPv2, Config: `data_format = "influx"`, Records: []Rec{{Data: "cpu usage=1\n"}}},
		},
	})
}

func checkHTTPContentEncoding(ctx *Context) {
	ex := ctx.Record.HTTP
	if ex == nil {
		return
	}
	data := ctx.Record.Data
	switch {
	case ex.ContentEncoding == "" && bytes.HasPrefix(data, gzipMagic):
		ctx.Report(fmt.Sprintf("the body of %s is gzip-compressed but the request has no Content-Encoding: gzip, so Telegraf parsed the compressed bytes and answered %s; nothing was stored",
			requestLine(ex), answer(ex)), Position{},
			"send the header Content-Encoding: gzip with a compressed body", "or send the body uncompressed")
	case ex.ContentEncoding == "gzip" && ex.Status == 400 && len(data) == ctx.Record.Size && !bytes.HasPrefix(data, gzipMagic):
		// httpin hands the body as it came when it does not gunzip:
		// Telegraf's gzip.NewReader refused it too.
		ctx.Report(fmt.Sprintf("%s says Content-Encoding: gzip but its body is not gzip, so Telegraf answered %s; nothing was stored",
			requestLine(ex), answer(ex)), Position{},
			"drop the Content-Encoding: gzip header", "or compress the body (Python: gzip.compress(body))")
	}
}
