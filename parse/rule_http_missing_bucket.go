package parse

import "fmt"

const ruleHTTPMissingBucket = "http-missing-bucket"

func init() {
	Register(&Rule{
		ID:       ruleHTTPMissingBucket,
		Severity: Warning,
		Title:    "a v2 write without bucket: Telegraf accepts it, a real InfluxDB 2 answers 400",
		Doc: "influxdb_v2_listener reads only the bucket parameter of /api/v2/write, and only for bucket_tag " +
			"(influxdb_v2_listener.go handleWrite); it stores a write without org or bucket. A real InfluxDB 2 " +
			"refuses it with 400 Bad Request, so a program that works against Telegraf fails against InfluxDB: " +
			clientDiffers + ".",
		Bad:   "POST /api/v2/write?org=o",
		Good:  "POST /api/v2/write?org=o&bucket=b",
		Only:  Only{HTTP: true},
		Check: checkHTTPMissingBucket,
		Cases: []Case{
			{Name: "no bucket", HTTP: caseV2, Records: []Rec{{Query: "org=o", Data: "cpu usage=1\n"}}, Want: []Want{{"http-missing-bucket", Warning, 0}}},
			{Name: "near miss: with bucket", HTTP: caseV2, Records: []Rec{{Query: "org=o&bucket=b", Data: "cpu usage=1\n"}}},
			{Name: "near miss: the v1 API", HTTP: caseV1, Records: []Rec{{Query: "db=x", Data: "cpu usage=1\n"}}},
		},
	})
}

func checkHTTPMissingBucket(ctx *Context) {
	ex := ctx.Record.HTTP
	if ex == nil || httpKind(ctx) != kindV2 || ex.Path != "/api/v2/write" || ex.Status == 401 || ex.Status == 413 {
		return
	}
	q := query(ex)
	for _, k := range []string{"bucket"} {
		if q.Get(k) != "" {
			return
		}
	}
	ctx.Report(fmt.Sprintf("%s has no bucket: Telegraf's influxdb_v2_listener answered %d and does not need one, but a real InfluxDB 2 answers 400 Bad Request: %s",
		requestLine(ex), ex.Status, clientDiffers), Position{},
		"send a bucket (bucket=<name>) in the query", "in a client library, pass it: bucket=… in write_api.write(bucket=…) of influxdb-client-python, WriteAPI(org, bucket) in influxdb-client-go")
}
