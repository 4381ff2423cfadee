package parse

import "fmt"

const ruleHTTPBodyTooLarge = "http-body-too-large"

func init() {
	Register(&Rule{
		ID:       ruleHTTPBodyTooLarge,
		Severity: Error,
		Title:    "a request body over max_body_size: 413, and the whole batch is lost",
		Doc: "Every HTTP input refuses a body over max_body_size (default 32 MiB for the InfluxDB listeners, 500 MiB for " +
			"http_listener_v2) with 413 Request Entity Too Large and stores nothing of it: by Content-Length before " +
			"reading, or by http.MaxBytesReader while reading (influxdb_listener.go and influxdb_v2_listener.go " +
			"handleWrite, http_listener_v2.go serveWrite). influxdb_v2_listener also answers 413 to a batch of more " +
			"metrics than max_undelivered_metrics. A client that does not split and retry loses the batch.",
		Bad:   "max_body_size = \"1KiB\", and a POST of 5,000 lines",
		Good:  "batches that fit: the client's batch size lowered, or max_body_size raised",
		Only:  Only{HTTP: true},
		Check: checkHTTPBodyTooLarge,
		Cases: []Case{
			{Name: "over max_body_size", HTTP: caseV2, Config: `max_body_size = "64B"`, Records: []Rec{{Query: "org=o&bucket=b", Data: "cpu,host=aaaaaaaaaaaaaaaaaaaa usage=1\ncpu,host=bbbbbbbbbbbbbbbbbbbbbbbbb usage=2\n"}}, Want: []Want{{"http-body-too-large", Error, 0}}},
			{Name: "over max_body_size on v1", HTTP: caseV1, Config: `max_body_size = "32B"`, Records: []Rec{{Query: "db=x", Data: "cpu,host=aaaaaaaaaaaaaaaaaaaa usage=1\n"}}, Want: []Want{{"http-body-too-large", Error, 0}}},
			{Name: "near miss: within max_body_size", HTTP: caseV2, Config: `max_body_size = "1KiB"`, Records: []Rec{{Query: "org=o&bucket=b", Data: "cpu usage=1\n"}}},
		},
	})
}

func checkHTTPBodyTooLarge(ctx *Context) {
	ex := ctx.Record.HTTP
	if ex == nil || ex.Status != 413 {
		return
	}
	opts := httpOptions(ctx)
	size := ex.ContentLength
	if size < 0 {
		size = int64(ex.RawSize)
	}
	if opts.Kind == kindV2 && len(ex.ResponseBody) == 0 {
		// influxdb_v2_listener.go writeWithTracking: more metrics than
		// max_undelivered_metrics, with no body.
		ctx.Report(fmt.Sprintf("influxdb_v2_listener answered 413 to %s: the batch has more metrics than max_undelivered_metrics; it was not stored", requestLine(ex)),
			Position{}, "send smaller batches (the client's batch_size)", "or raise "+ctx.settings().in("max_undelivered_metrics"))
		return
	}
	limit := "max_body_size"
	if opts.MaxBodySize > 0 {
		limit = fmt.Sprintf("max_body_size (%d bytes)", opts.MaxBodySize)
	}
	ctx.Report(fmt.Sprintf("%s answered %s: the body of %d bytes is over %s, and nothing of the batch was stored", opts.Kind, answer(ex), size, limit),
		Position{}, "send smaller batches (batch_size in influxdb-client-python's WriteOptions, WriteOptions.SetBatchSize in influxdb-client-go)",
		"or raise "+ctx.settings().in("max_body_size"))
}
