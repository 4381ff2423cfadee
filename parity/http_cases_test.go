//go:build parity

package parity

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// Authorization headers for basic_username = "user", basic_password = "pass".
var (
	basicGood  = "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("user:pass"))
	basicWrong = "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("user:nope"))
)

const gzipHeader = "Content-Encoding: gzip"

// untimed is a body whose timestamps Telegraf sets (timeNow cases).
const untimed = "cpu,host=a usage=1.5,n=2i,ok=true,s=\"x y\"\nmem free=3i\n"

// batch is a line-protocol body of n lines whose timestamps the sender set.
func batch(measurement string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%s,n=%d v=%di 17000000000000000%02d\n", measurement, i, i, i)
	}
	return b.String()
}

// over is a body of about size bytes of good lines, larger than the cases'
// max_body_size = "1KiB" and small enough that the server drains what it
// does not read, so that its answer is not lost to a reset connection.
func over(size int) string {
	line := "big,tag=xxxxxxxxxxxxxxxxxxxx value=1i 1700000000000000000\n"
	return strings.Repeat(line, size/len(line)+1)
}

func httpCases() []hcase {
	var cs []hcase
	cs = append(cs, influxV1Cases()...)
	cs = append(cs, influxV2Cases()...)
	cs = append(cs, httpListenerCases()...)
	cs = append(cs, wrapperCases()...)
	cs = append(cs, clientCases()...)
	return cs
}

func influxV1Cases() []hcase {
	const in = "influxdb_listener"
	good := "cpu,host=a usage=1.5,n=2i,ok=true,s=\"x y\" 1700000000000000001\nmem free=3i 1700000000000000002\n"
	partial := "ok,n=1 v=1i 1700000000000000001\nwild boyz\nok,n=2 v=2i 1700000000000000002\n"
	return []hcase{
		{name: "write", input: in, reqs: []hreq{
			post("/write?db=mydb", untimed),
			post("/write", "no_time,host=b v=1"), // no final newline
		}, time: timeNow},
		{name: "write-sender-time", input: in, reqs: []hreq{
			post("/write?db=mydb", good),
			post("/write?db=mydb", "last v=1i 1700000000000000009"), // no final newline
		}},
		// v1 knows n, u, ms, s, m and h; anything else (ns, us, x) silently
		// means nanoseconds (influxdb_listener.go getPrecisionMultiplier).
		{name: "precision", input: in, reqs: []hreq{
			post("/write?precision=n", "p,unit=n v=1i 1700000000123456789\n"),
			post("/write?precision=ns", "p,unit=ns v=1i 1700000000123456789\n"),
			post("/write?precision=u", "p,unit=u v=1i 1700000000123456\n"),
			post("/write?precision=us", "p,unit=us v=1i 1700000000123456\n"),
			post("/write?precision=ms", "p,unit=ms v=1i 1700000000123\n"),
			post("/write?precision=s", "p,unit=s v=1i 1700000000\n"),
			post("/write?precision=m", "p,unit=m v=1i 28333333\n"),
			post("/write?precision=h", "p,unit=h v=1i 472222\n"),
			post("/write?precision=x", "p,unit=x v=1i 1700000000123456789\n"),
			post("/write?precision=s", "p,unit=s-given-ms v=1i 1700000000123\n"), // the classic mistake
		}},
		{name: "gzip", input: in, reqs: []hreq{
			zipped(post("/write", good, gzipHeader)),
			zipped(post("/write", good)),     // gzip without Content-Encoding
			post("/write", good, gzipHeader), // Content-Encoding on a plain body
			zipped(post("/write", good, "Content-Encoding: deflate")),
		}},
		{name: "partial-write", input: in, reqs: []hreq{
			post("/write?db=mydb", partial),
			post("/write", "a v=1i 1700000000000000001\nbad one\nb v=\nc v=3i 1700000000000000003\n"),
			post("/write", "x\ny\nz\nd v=4i 1700000000000000004\n"),
			post("/write", "only garbage\n"),
		}},
		{name: "basic-auth", input: in, opts: []string{`basic_username = "user"`, `basic_password = "pass"`}, reqs: []hreq{
			post("/write", good, basicGood),
			post("/write", "wrong v=1i 1700000000000000001\n", basicWrong),
			post("/write", "missing v=1i 1700000000000000001\n"),
			get("/query?q=SHOW+DATABASES"),
			get("/query?q=SHOW+DATABASES", basicGood),
			get("/ping"),
			get("/nowhere"),
		}},
		{name: "max_body_size", input: in, opts: []string{`max_body_size = "1KiB"`}, reqs: []hreq{
			post("/write", good),
			post("/write", over(2000)),
			chunked(post("/write", over(2000))),
			// compressed below the limit: the limit counts the bytes on the wire
			zipped(post("/write", over(5000), gzipHeader)),
		}},
		{name: "endpoints", input: in, reqs: []hreq{
			get("/ping"),
			head("/ping"),
			get("/ping?verbose=true"),
			get("/query?q=SHOW+DATABASES"),
			post("/query", "q=SHOW+DATABASES", "Content-Type: application/x-www-form-urlencoded"),
			get("/health"),
			get("/ready"),
			post("/api/v2/write?org=o&bucket=b", "v2client v=1i 1700000000000000001\n", "Authorization: Token t"),
			get("/write"),
			post("/write", ""),
			post("/write", "after v=1i 1700000000000000001\n"),
		}},
		{name: "database_tag", input: in, opts: []string{`database_tag = "database"`, `retention_policy_tag = "rp"`}, reqs: []hreq{
			post("/write?db=d1&rp=r1", "tagged,n=1 v=1i 1700000000000000001\n"),
			post("/write?db=d2", "tagged,n=2 v=2i 1700000000000000002\n"),
			post("/write?rp=r3", "tagged,n=3 v=3i 1700000000000000003\n"),
			post("/write", "tagged,n=4,database=own v=4i 1700000000000000004\n"),
			post("/write?db=d5", "tagged,n=5,database=own v=5i 1700000000000000005\n"),
		}},
		{name: "parser_type-upstream", input: in, opts: []string{`parser_type = "upstream"`}, reqs: []hreq{
			post("/write?db=mydb", good),
			post("/write?precision=ms", "p,unit=ms v=1i 1700000000123\n"),
			post("/write?precision=u", "p,unit=u v=1i 1700000000123456\n"),
			post("/write?precision=m", "p,unit=m v=1i 28333333\n"),
			post("/write", partial),
			zipped(post("/write", good, gzipHeader)),
			post("/write", good, gzipHeader),
		}},
	}
}

func influxV2Cases() []hcase {
	const in = "influxdb_v2_listener"
	const w = "/api/v2/write?org=myorg&bucket=mybucket"
	good := "cpu,host=a usage=1.5,n=2i,ok=true,s=\"x y\" 1700000000000000001\nmem free=3i 1700000000000000002\n"
	partial := "ok,n=1 v=1i 1700000000000000001\nwild boyz\nok,n=2 v=2i 1700000000000000002\n"
	return []hcase{
		{name: "write", input: in, reqs: []hreq{
			post(w, untimed),
			post(w, "no_time,host=b v=1"),
		}, time: timeNow},
		{name: "write-sender-time", input: in, reqs: []hreq{
			post(w, good),
			post(w, "last v=1i 1700000000000000009"),
		}},
		// v2 knows ns, us, ms and s; anything else (n, u, x) means
		// nanoseconds (influxdb_v2_listener.go getPrecisionMultiplier).
		{name: "precision", input: in, reqs: []hreq{
			post(w+"&precision=ns", "p,unit=ns v=1i 1700000000123456789\n"),
			post(w+"&precision=us", "p,unit=us v=1i 1700000000123456\n"),
			post(w+"&precision=ms", "p,unit=ms v=1i 1700000000123\n"),
			post(w+"&precision=s", "p,unit=s v=1i 1700000000\n"),
			post(w+"&precision=u", "p,unit=u v=1i 1700000000123456\n"),
			post(w+"&precision=x", "p,unit=x v=1i 1700000000123456789\n"),
			post(w+"&precision=ns", "p,unit=ns-given-ms v=1i 1700000000123\n"), // the classic mistake
		}},
		{name: "gzip", input: in, reqs: []hreq{
			zipped(post(w, good, gzipHeader)),
			zipped(post(w, good)),
			post(w, good, gzipHeader),
		}},
		{name: "partial-write", input: in, reqs: []hreq{
			post(w, partial),
			post(w, "a v=1i 1700000000000000001\nbad one\nb v=\n"),
			post(w, "after v=1i 1700000000000000003\n"),
		}},
		{name: "token", input: in, opts: []string{`token = "s3cr3t"`}, reqs: []hreq{
			post(w, good, "Authorization: Token s3cr3t"),
			post(w, "wrong v=1i 1700000000000000001\n", "Authorization: Token nope"),
			post(w, "bearer v=1i 1700000000000000001\n", "Authorization: Bearer s3cr3t"),
			post(w, "missing v=1i 1700000000000000001\n"),
			get("/ping"),
			get("/health"),
			get("/nowhere"),
			get("/nowhere", "Authorization: Token s3cr3t"),
		}},
		{name: "max_body_size", input: in, opts: []string{`max_body_size = "1KiB"`}, reqs: []hreq{
			post(w, good),
			post(w, over(2000)),
			chunked(post(w, over(2000))),
			zipped(post(w, over(5000), gzipHeader)),
		}},
		{name: "endpoints", input: in, reqs: []hreq{
			get("/ping"),
			head("/ping"),
			get("/health"),
			get("/api/v2/health"),
			get("/ready"),
			get("/api/v2/ready"),
			post("/write?db=mydb", "v1client v=1i 1700000000000000001\n"),
			get("/query?q=SHOW+DATABASES"),
			post("/api/v2/write?bucket=mybucket", "no_org v=1i 1700000000000000001\n"),
			post("/api/v2/write?org=myorg", "no_bucket v=1i 1700000000000000002\n"),
			post("/api/v2/write", "neither v=1i 1700000000000000003\n"),
			get(w),
			post(w, ""),
		}},
		{name: "bucket_tag", input: in, opts: []string{`bucket_tag = "bucket"`}, reqs: []hreq{
			post(w, "b,n=1 v=1i 1700000000000000001\n"),
			post("/api/v2/write?org=myorg", "b,n=2 v=2i 1700000000000000002\n"),
			post(w, "b,n=3,bucket=own v=3i 1700000000000000003\n"),
		}},
		{name: "parser_type-upstream", input: in, opts: []string{`parser_type = "upstream"`}, reqs: []hreq{
			post(w, good),
			post(w+"&precision=ms", "p,unit=ms v=1i 1700000000123\n"),
			post(w+"&precision=s", "p,unit=s v=1i 1700000000\n"),
			post(w, partial),
		}},
		// A batch larger than max_undelivered_metrics is always refused
		// (413, no body); a fitting one is taken. Nothing follows that
		// depends on when the output delivers (429, /health): that is
		// timing, not behaviour.
		{name: "max_undelivered_metrics", input: in, opts: []string{`max_undelivered_metrics = 2`}, reqs: []hreq{
			post(w, batch("u", 3)),
			post(w, batch("u", 2)),
		}},
	}
}

func httpListenerCases() []hcase {
	const in = "http_listener_v2"
	jsonBody := `{"value":1.5,"count":3,"name":"x"}`
	influxBody := "cpu,host=a usage=1.5 1700000000000000001\nmem free=3i 1700000000000000002\n"
	return []hcase{
		{name: "json", input: in, opts: []string{`paths = ["/telegraf"]`, `data_format = "json"`}, reqs: []hreq{
			post("/telegraf", jsonBody, "Content-Type: application/json"),
			{method: "PUT", target: "/telegraf", body: `[{"value":2},{"value":3}]`},
			get("/telegraf"),
			post("/other", jsonBody),
			post("/telegraf", `{"value": oops}`),
			post("/telegraf", `"just a string"`),
			zipped(post("/telegraf", jsonBody, gzipHeader)),
			zipped(post("/telegraf", jsonBody)),
			post("/telegraf", jsonBody, gzipHeader),
		}, time: timeNow},
		{name: "influx", input: in, opts: []string{`data_format = "influx"`}, reqs: []hreq{
			post("/telegraf", influxBody),
			post("/telegraf", "ok v=1i 1700000000000000003\nwild boyz\n"),
			post("/telegraf?precision=s", "p v=1i 1700000000\n"),
			post("/write", influxBody),
		}},
		{name: "paths-methods", input: in, opts: []string{`paths = ["/a", "/b/c"]`, `path_tag = true`, `methods = ["POST", "PATCH"]`, `data_format = "influx"`}, reqs: []hreq{
			post("/a", "m,n=1 v=1i 1700000000000000001\n"),
			{method: "PATCH", target: "/b/c", body: "m,n=2 v=2i 1700000000000000002\n"},
			{method: "PUT", target: "/a", body: "m,n=3 v=3i 1700000000000000003\n"},
			{method: "DELETE", target: "/a"},
			get("/a"),
			post("/a/", "m,n=4 v=4i 1700000000000000004\n"),
			post("/telegraf", "m,n=5 v=5i 1700000000000000005\n"),
		}},
		{name: "data_source-query", input: in, opts: []string{`data_source = "query"`, `methods = ["GET", "POST"]`, `data_format = "form_urlencoded"`, `form_urlencoded_tag_keys = ["tag1"]`}, reqs: []hreq{
			get("/telegraf?tag1=foo&field1=0.42&field2=42"),
			post("/telegraf?field1=1", "field2=2"),
			get("/telegraf?tag1=%zz&field1=1"),
			get("/telegraf"),
		}, time: timeNow},
		{name: "headers", input: in, opts: []string{`data_format = "influx"`, `http_headers = {"X-Served-By" = "telegraf", "Access-Control-Allow-Origin" = "*"}`, `http_header_tags = {"X-Device" = "device", "User-Agent" = "agent"}`, `http_success_code = 202`}, reqs: []hreq{
			post("/telegraf", "h,n=1 v=1i 1700000000000000001\n", "X-Device: sensor-7", "User-Agent: parity/1"),
			post("/telegraf", "h,n=2 v=2i 1700000000000000002\n", "User-Agent: parity/2"),
			post("/nowhere", "h,n=3 v=3i 1700000000000000003\n"),
		}},
		{name: "basic-auth", input: in, opts: []string{`data_format = "influx"`, `basic_username = "user"`, `basic_password = "pass"`}, reqs: []hreq{
			post("/telegraf", "a,n=1 v=1i 1700000000000000001\n", basicGood),
			post("/telegraf", "a,n=2 v=2i 1700000000000000002\n", basicWrong),
			post("/telegraf", "a,n=3 v=3i 1700000000000000003\n"),
			post("/nowhere", "a,n=4 v=4i 1700000000000000004\n"),
		}},
		{name: "max_body_size", input: in, opts: []string{`data_format = "influx"`, `max_body_size = "1KiB"`}, reqs: []hreq{
			post("/telegraf", influxBody),
			post("/telegraf", over(2000)),
			chunked(post("/telegraf", over(2000))),
			// the limit counts the decompressed bytes here
			zipped(post("/telegraf", over(5000), gzipHeader)),
		}},
	}
}

// parallelWrites are n requests, each with a line of its own.
func parallelWrites(target string, n int, header ...string) []hreq {
	var rs []hreq
	for i := range n {
		rs = append(rs, post(target, fmt.Sprintf("par,n=%d v=%di 17000000000000000%02d\n", i, i, i), header...))
	}
	return rs
}

// wrapperCases are where fakegraf's wrapper around the plugins' ServeHTTP
// (httpin) could answer otherwise than Telegraf's own server: the
// connection a request comes on (keep-alive after each kind of answer,
// Connection: close, 100 Continue), bodies read early or cut off, several
// requests at once, TLS and a unix socket.
func wrapperCases() []hcase {
	const v1, v2, hl = "influxdb_listener", "influxdb_v2_listener", "http_listener_v2"
	const w = "/api/v2/write?org=myorg&bucket=mybucket"
	const tok = "Authorization: Token s3cr3t"
	line := func(m string, n int) string { return fmt.Sprintf("%s,n=%d v=%di 17000000000000000%02d\n", m, n, n, n) }
	return []hcase{
		// One keep-alive client: after each kind of answer, does the next
		// request go on the same connection? An unread body under 256 KiB
		// is drained by net/http and the connection kept; a body that hit
		// http.MaxBytesReader closes it (Connection: close).
		{name: "keep-alive", input: v1, opts: []string{`basic_username = "user"`, `basic_password = "pass"`, `max_body_size = "1KiB"`}, reqs: []hreq{
			post("/write", line("ka", 1), basicGood),
			post("/write", line("ka", 2), basicWrong),
			post("/write", line("ka", 3), basicGood),
			post("/write", over(2000), basicGood),
			post("/write", line("ka", 4), basicGood),
			chunked(post("/write", over(2000), basicGood)),
			post("/write", line("ka", 5), basicGood),
			zipped(post("/write", over(5000), basicGood, gzipHeader)),
			post("/nowhere", line("ka", 6), basicGood),
			post("/write", "bad line\n", basicGood),
			post("/write", line("ka", 7), basicGood),
		}},
		{name: "keep-alive", input: v2, opts: []string{`token = "s3cr3t"`, `max_body_size = "1KiB"`}, reqs: []hreq{
			post(w, line("ka", 1), tok),
			post(w, line("ka", 2)),
			post(w, line("ka", 3), tok),
			post(w, over(2000), tok),
			post(w, line("ka", 4), tok),
			chunked(post(w, over(2000), tok)),
			post(w, line("ka", 5), tok),
			post("/api/v2/write", line("ka", 6), tok),
			post(w, line("ka", 7), tok),
		}},
		{name: "keep-alive", input: hl, opts: []string{`data_format = "influx"`, `max_body_size = "1KiB"`}, reqs: []hreq{
			post("/telegraf", line("ka", 1)),
			post("/telegraf", over(2000)),
			post("/telegraf", line("ka", 2)),
			chunked(post("/telegraf", over(2000))), // no limit on a plain body read to its end (collectBody)
			post("/telegraf", line("ka", 3)),
			zipped(post("/telegraf", over(5000), gzipHeader)), // the limit on the gunzipped bytes
			post("/telegraf", line("ka", 4)),
			post("/nowhere", line("ka", 5)),
			get("/telegraf"),
			post("/telegraf", line("ka", 6)),
		}},
		// A body the plugin does not read (401, 404): net/http drains up
		// to 256 KiB of it and keeps the connection, and closes it when
		// more is left; fakegraf has read it before the plugin answered.
		{name: "unread-body", input: v1, opts: []string{`basic_username = "user"`, `basic_password = "pass"`}, reqs: []hreq{
			post("/write", line("ub", 1), basicGood),
			post("/write", over(100<<10), basicWrong),
			post("/write", line("ub", 2), basicGood),
			post("/write", over(300<<10), basicWrong),
			post("/write", line("ub", 3), basicGood),
			chunked(post("/write", over(300<<10), basicWrong)),
			post("/write", line("ub", 4), basicGood),
			chunked(post("/write", over(200<<10), basicWrong)),
			post("/write", line("ub", 5), basicGood),
		}},
		{name: "unread-body", input: hl, opts: []string{`data_format = "influx"`}, reqs: []hreq{
			post("/telegraf", line("ub", 1)),
			post("/nowhere", over(300<<10)),
			post("/telegraf", line("ub", 2)),
			chunked(post("/nowhere", over(300<<10))),
			post("/telegraf", line("ub", 3)),
		}},
		// Expect: 100-continue: the server asks for the body only when the
		// handler reads it.
		{name: "expect-continue", input: v1, opts: []string{`basic_username = "user"`, `basic_password = "pass"`, `max_body_size = "1KiB"`}, reqs: []hreq{
			expecting(post("/write", line("ec", 1), basicGood)),
			expecting(post("/write", line("ec", 2), basicWrong)),
			expecting(post("/write", over(2000), basicGood)),
			expecting(chunked(post("/write", over(2000), basicGood))),
			expecting(post("/nowhere", line("ec", 3), basicGood)),
			expecting(post("/write", line("ec", 4), basicGood)),
		}},
		{name: "expect-continue", input: v2, opts: []string{`token = "s3cr3t"`}, reqs: []hreq{
			expecting(post(w, line("ec", 1), tok)),
			expecting(post(w, line("ec", 2))),
			expecting(post("/api/v2/write?org=myorg", line("ec", 3), tok)),
			expecting(post(w, line("ec", 4), tok)),
		}},
		{name: "expect-continue", input: hl, opts: []string{`data_format = "influx"`, `methods = ["POST"]`}, reqs: []hreq{
			expecting(post("/telegraf", line("ec", 1))),
			expecting(hreq{method: "PUT", target: "/telegraf", body: line("ec", 2)}),
			expecting(post("/nowhere", line("ec", 3))),
			expecting(post("/telegraf", line("ec", 4))),
		}},
		// The sender stops half-way through the body it announced.
		{name: "cut-off", input: v1, reqs: []hreq{
			cutAt(post("/write", line("cut", 1)+line("cut", 2)+line("cut", 3)), 40),
			cutAt(zipped(post("/write", line("cut", 4)+line("cut", 5), gzipHeader)), 20),
			post("/write", line("after", 1)),
		}},
		{name: "cut-off", input: v2, reqs: []hreq{
			cutAt(post(w, line("cut", 1)+line("cut", 2)+line("cut", 3)), 40),
			post(w, line("after", 1)),
		}},
		{name: "cut-off", input: hl, opts: []string{`data_format = "influx"`}, reqs: []hreq{
			cutAt(post("/telegraf", line("cut", 1)+line("cut", 2)+line("cut", 3)), 40),
			post("/telegraf", line("after", 1)),
		}},
		// Requests at once, each on its own connection: each is answered,
		// and each one's metrics are stored once.
		{name: "parallel", input: v1, parallel: true, reqs: parallelWrites("/write?db=x", 12)},
		{name: "parallel", input: v2, parallel: true, reqs: parallelWrites(w, 12)},
		{name: "parallel", input: hl, parallel: true, opts: []string{`data_format = "influx"`}, reqs: parallelWrites("/telegraf", 12)},
		{name: "tls", input: v1, tls: true, reqs: []hreq{
			post("/write", line("tls", 1)),
			get("/ping"),
			zipped(post("/write", line("tls", 2), gzipHeader)),
		}},
		{name: "tls", input: v2, tls: true, reqs: []hreq{
			post(w, line("tls", 1)),
			get("/health"),
		}},
		{name: "tls", input: hl, tls: true, opts: []string{`data_format = "influx"`}, reqs: []hreq{
			post("/telegraf", line("tls", 1)),
			post("/nowhere", line("tls", 2)),
		}},
		{name: "unix", input: hl, unix: true, opts: []string{`data_format = "influx"`, `max_body_size = "1KiB"`}, reqs: []hreq{
			post("/telegraf", line("unix", 1)),
			post("/telegraf", over(2000)),
			zipped(post("/telegraf", line("unix", 2), gzipHeader)),
			post("/nowhere", line("unix", 3)),
			cutAt(post("/telegraf", line("unix", 4)+line("unix", 5)), 30),
		}},
	}
}
