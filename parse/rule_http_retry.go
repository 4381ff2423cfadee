package parse

import (
	"fmt"
	"hash/maphash"
	"net"
)

const ruleHTTPRetry = "http-retry"

func init() {
	Register(&Rule{
		ID:       ruleHTTPRetry,
		Severity: Warning,
		Title:    "the same batch, byte for byte, sent again by the same sender: a retry loop, or duplicates",
		Doc: "Client libraries retry a batch on errors (influxdb-client-* retry 429 and 5xx with backoff, some retry " +
			"any failure), and Telegraf's listeners keep no memory of what they stored (influxdb_listener.go, " +
			"influxdb_v2_listener.go and http_listener_v2.go store every batch they accept). A batch Telegraf rejected (400, 401, 404, 413) is rejected again every time: the retries " +
			"only delay the data behind it. A batch Telegraf accepted and that comes again is stored again: points " +
			"without a timestamp become new points, and counts and sums double. The same body to the same request " +
			"line from the same host is taken as the same batch.",
		Bad:    "POST /write?db=x  cpu usage=1   (204), then the same again",
		Good:   "each batch sent once; a rejected batch fixed before it is sent again",
		AlsoAt: []Level{{Error, "when the batch was accepted before: Telegraf stored it again"}},
		Only:   Only{HTTP: true},
		Check:  checkHTTPRetry,
		Cases: []Case{
			{Name: "a rejected batch sent again", HTTP: caseV2, Records: []Rec{{Query: "org=o&bucket=b", Data: "cpu usage=\n"}, {Query: "org=o&bucket=b", Data: "cpu usage=\n"}}, Want: []Want{{"http-retry", Warning, 0}}},
			{Name: "an accepted batch sent again", HTTP: caseV1, Records: []Rec{{Query: "db=x", Data: "cpu usage=1\n"}, {Query: "db=x", Data: "cpu usage=1\n"}}, Want: []Want{{"http-retry", Error, 0}}},
			{Name: "near miss: two batches", HTTP: caseV1, Records: []Rec{{Query: "db=x", Data: "cpu usage=1\n"}, {Query: "db=x", Data: "cpu usage=2\n"}}},
			{Name: "near miss: one batch to two databases", HTTP: caseV1, Records: []Rec{{Query: "db=x", Data: "cpu usage=1\n"}, {Query: "db=y", Data: "cpu usage=1\n"}}},
		},
	})
}

// retryKey is a batch: its sender's host, request line and body.
type retryKey struct {
	host, request string
	body          uint64
}

type retrySeen struct {
	times    int
	accepted bool // some earlier copy was stored
}

// retrySeed hashes bodies for the life of the process; the state only
// compares hashes made with it.
var retrySeed = maphash.MakeSeed()

const retryCap = 4096

func checkHTTPRetry(ctx *Context) {
	ex := ctx.Record.HTTP
	if ex == nil || len(ctx.Record.Data) == 0 {
		return
	}
	host, _, err := net.SplitHostPort(ctx.Record.Peer)
	if err != nil {
		host = ctx.Record.Peer
	}
	key := retryKey{host: host, request: ex.Method + " " + ex.Path + "?" + ex.Query, body: maphash.Bytes(retrySeed, ctx.Record.Data)}
	seen := ownState(ctx, func() *lru[retryKey, retrySeen] { return newLRU[retryKey, retrySeen](retryCap) })
	prev, ok := seen.Get(key)
	now := retrySeen{times: prev.times + 1, accepted: prev.accepted || ex.Status/100 == 2}
	seen.Put(key, now)
	if !ok {
		return
	}
	msg := fmt.Sprintf("the same batch (%d bytes) to %s from %s, sent %d times so far; Telegraf answered %s this time",
		len(ctx.Record.Data), requestLine(ex), host, now.times, answer(ex))
	if prev.accepted && ex.Status/100 == 2 {
		ctx.ReportAs(Error, msg+": it was stored every time it was accepted, so its points are duplicated (points without a timestamp become new points)", Position{},
			"send each batch once: find what makes the client send it again (a retry on a timeout, a loop that does not clear its buffer)")
		return
	}
	ctx.Report(msg+": a batch Telegraf rejected is rejected again every time", Position{},
		"fix what the first answer said instead of retrying: a retry of the same bytes gets the same answer",
		"set the client's retries for 4xx to none (influxdb-client-* retry only 429 and 5xx by default)")
}
