package parse

import (
	"bytes"
	"fmt"

	"github.com/fakegraf/fakegraf/listener"
)

const ruleForwardAnswerDiffers = "forward-answer-differs"

func init() {
	Register(&Rule{
		ID: ruleForwardAnswerDiffers,
		// A warning: nothing is lost by it (a loss has its own finding,
		// from the plugin's answer), but the client under test acted on
		// an answer that a Telegraf with this config would not give, so a
		// test that passes against the upstream proves less than it seems.
		Severity: Warning,
		Title:    "the upstream of --forward answered a request differently from Telegraf's input",
		Doc: "With --forward http://… on an HTTP input (influxdb_listener, influxdb_v2_listener, http_listener_v2), " +
			"fakegraf sends each request both to Telegraf's own plugin and to the upstream, and the client gets the " +
			"upstream's answer, not the plugin's (influxdb_v2_listener.go and influxdb_listener.go handleWrite, " +
			"http_listener_v2.go serveWrite). When that answer's status differs from the plugin's, or both are errors with " +
			"different bodies, the client saw something a real Telegraf with this config does not say: the upstream " +
			"is a real InfluxDB (whose errors read differently, and which refuses what Telegraf's listener accepts, " +
			"or the reverse: unknown buckets, retention, field type conflicts), or a Telegraf with another config " +
			"(token, max_body_size, paths, data_format). fakegraf's findings and metrics are the plugin's, as " +
			"without forwarding.",
		Bad:   "fakegraf listen influxdb-v2://:8086 --forward http://influxdb:8086   # InfluxDB answers 204 where the listener answers 400",
		Good:  "fakegraf run -c telegraf.conf --forward http://telegraf:8086   # the upstream runs the same telegraf.conf",
		Only:  Only{HTTP: true},
		Check: checkForwardAnswerDiffers,
		Cases: []Case{
			{Name: "the upstream took what Telegraf refuses", HTTP: caseV2, Records: []Rec{{Query: "org=o&bucket=b", Data: "cpu usage=\n", Upstream: "204"}},
				Want: []Want{{ruleForwardAnswerDiffers, Warning, 0}, {"parse-error", Error, anyPos}}},
			{Name: "both refused, with different errors", HTTP: caseV1, Records: []Rec{{Query: "db=x", Data: "cpu usage=\n", Upstream: `400 {"error":"partial write: unable to parse 'cpu usage=': missing field value dropped=1"}`}},
				Want: []Want{{ruleForwardAnswerDiffers, Warning, 0}, {"parse-error", Error, anyPos}}},
			{Name: "near miss: the same answer", HTTP: caseV2, Records: []Rec{{Query: "org=o&bucket=b", Data: "cpu usage=1\n", Upstream: "204"}}},
			{Name: "near miss: successes whose bodies differ", HTTP: caseHTTPv2, Config: `data_format = "influx"`, Records: []Rec{{Data: "cpu usage=1\n", Upstream: "204 accepted"}}},
		},
	})
}

func checkForwardAnswerDiffers(ctx *Context) {
	ex := ctx.Record.HTTP
	if ex == nil || ex.Upstream == nil || !answersDiffer(ex) {
		return
	}
	up := ex.Upstream
	opts := httpOptions(ctx)
	msg := fmt.Sprintf("the upstream %s answered %s to %s, where Telegraf's %s answers %s: the client got the upstream's answer, which Telegraf with this config would not give",
		up.URL, upstreamAnswer(up), requestLine(ex), opts.Kind, answer(ex))
	ctx.Report(msg, Position{},
		"to test against Telegraf, forward to a Telegraf that runs the same config: fakegraf run -c telegraf.conf --forward http://telegraf:PORT",
		"if the upstream is an InfluxDB on purpose, make the client handle Telegraf's answer too: it is the one it gets in production through Telegraf")
}

// answersDiffer compares the upstream's answer with the plugin's: the
// status, and for errors the body, whose text is what clients log and
// some parse.
func answersDiffer(ex *listener.Exchange) bool {
	up := ex.Upstream
	if up.Status != ex.Status {
		return true
	}
	return ex.Status >= 400 && !bytes.Equal(bytes.TrimSpace(up.Body), bytes.TrimSpace(ex.ResponseBody))
}

// upstreamAnswer names the upstream's answer as answer names the plugin's.
func upstreamAnswer(up *listener.UpstreamAnswer) string {
	return answer(&listener.Exchange{Status: up.Status, ResponseBody: up.Body})
}
