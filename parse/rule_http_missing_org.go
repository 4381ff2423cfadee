package parse

import "fmt"

const ruleHTTPMissingOrg = "http-missing-org"

func init() {
	Register(&Rule{
		ID:       ruleHTTPMissingOrg,
		Severity: Warning,
		Title:    "a v2 write without org: Telegraf accepts it, a real InfluxDB 2 answers 400",
		Doc: "influxdb_v2_listener reads only the bucket parameter of /api/v2/write, and only for bucket_tag " +
			"(influxdb_v2_listener.go handleWrite); it stores a write without org or bucket. A real InfluxDB 2 " +
			"refuses it with 400 Bad Request, so a program that works against Telegraf fails against InfluxDB: " +
			clientDiffers + ".",
		Bad:   "POST /api/v2/write?bucket=b",
		Good:  "POST /api/v2/write?org=o&bucket=b",
		Only:  Only{HTTP: true},
		Check: checkHTTPMissingOrg,
		Cases: []Case{
			{Name: "no org", HTTP: caseV2, Records: []Rec{{Query: "bucket=b", Data: "cpu usage=1\n"}}, Want: []Want{{"http-missing-org", Warning, 0}}},
			{Name: "near miss: with org", HTTP: caseV2, Records: []Rec{{Query: "orgID=0123456789abcdef&bucket=b", Data: "cpu usage=1\n"}}},
			{Name: "near miss: the v1 API", HTTP: caseV1, Records: []Rec{{Query: "db=x", Data: "cpu usage=1\n"}}},
		},
	})
}

func checkHTTPMissingOrg(ctx *Context) {
	ex := ctx.Record.HTTP
	if ex == nil || httpKind(ctx) != kindV2 || ex.Path != "/api/v2/write" || ex.Status == 401 || ex.Status == 413 {
		return
	}
	q := query(ex)
	for _, k := range []string{"org", "orgID"} {
		if q.Get(k) != "" {
			return
		}
	}
	ctx.Report(fmt.Sprintf("%s has no org: Telegraf's influxdb_v2_listener answered %d and does not need one, but a real InfluxDB 2 answers 400 Bad Request: %s",
		requestLine(ex), ex.Status, clientDiffers), Position{},
		"send an org (org=<name> or orgID=<id>) in the query", "in a client library, pass it: org=… in influxdb-client-python's InfluxDBClient, influxdb2.NewClient(…).WriteAPI(org, bucket) in influxdb-client-go")
}
