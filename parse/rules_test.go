package parse_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fakegraf/fakegraf/parse"
)

var (
	jsonNamed    = conf{format: "json", options: []string{`json_name_key = "metric_name"`}}
	jsonOverride = conf{format: "json", options: []string{`name_override = "good_metric_name"`}}
	influxUDP    = conf{format: "influx"}
	influxTCP    = conf{format: "influx", addr: "tcp://127.0.0.1:0"}
	wavefrontUDP = conf{format: "wavefront"}
	wavefrontTCP = conf{format: "wavefront", addr: "tcp://127.0.0.1:0"}
	jsonTCP      = conf{format: "json", addr: "tcp://127.0.0.1:0", options: []string{`name_override = "m"`}}
)

func with(c conf, options ...string) conf {
	c.options = append(append([]string{}, c.options...), options...)
	return c
}

func agoNS(d time.Duration) string { return fmt.Sprint(time.Now().Add(-d).UnixNano()) }

// ruleCase feeds records into one pipeline and compares the findings of the
// last one. Marks (∑) in the last record say where findings point.
type ruleCase struct {
	name string
	conf conf
	recs []rec
	want []want
}

func ruleCases() []ruleCase {
	const e, w, i = "error", "warning", "info"
	big := strings.Repeat("x", 1500)
	return []ruleCase{
		// forbidden-char
		{"forbidden-char/json name", jsonNamed, []rec{{data: `{"metric_name": "my∑:metric|name", "value1": 10}`}}, []want{{"forbidden-char", w, 1}}},
		{"forbidden-char/influx tag value with an escaped space", influxUDP, []rec{{data: "cpu,host=my\\∑ host v=1\n"}}, []want{{"forbidden-char", w, 1}}},
		{"forbidden-char/influx string field with a raw newline", influxUDP, []rec{{data: "cpu msg=\"a∑\nb\"\n"}}, []want{{"forbidden-char", w, 1}}},
		{"forbidden-char/influx tag key with a colon", influxUDP, []rec{{data: "cpu,a∑:b=c v=1\n"}}, []want{{"forbidden-char", w, 1}}},
		{"forbidden-char/wavefront unquoted name", wavefrontUDP, []rec{{data: "my∑:metric|name 10 " + nowS() + " source=a\n"}}, []want{{"forbidden-char", e, 1}, {"parse-error", e, anyPos}}},
		{"forbidden-char/near miss: safe names, spaces inside a string field", influxUDP, []rec{{data: "my_metric.name-1,host=web-1 msg=\"a b, c=d\",v=1\n"}}, nil},
		{"forbidden-char/near miss: quoted wavefront tag value", wavefrontUDP, []rec{{data: "a.b 10 " + nowS() + " source=localhost format=\"wavefront\"\n"}}, nil},

		// line-too-long: the error comes from the socket (rules_socket_test.go);
		// a record near the scanner's limit gets a warning while it fits.
		{"line-too-long/a record at 92% of the 64 KiB limit", influxTCP, []rec{{stream: true, data: "cpu s=\"" + strings.Repeat("x", 60000) + "\"∑"}}, []want{{"line-too-long", w, 1}}},
		{"line-too-long/near miss: 61% of the limit", influxTCP, []rec{{stream: true, data: "cpu s=\"" + strings.Repeat("x", 40000) + "\""}}, nil},
		{"line-too-long/near miss: read_buffer_size raises the limit", with(influxTCP, `read_buffer_size = "1MiB"`), []rec{{stream: true, data: "cpu s=\"" + strings.Repeat("x", 60000) + "\""}}, nil},

		// timestamp-unit
		{"timestamp-unit/influx milliseconds", influxUDP, []rec{{data: "good_metric_name,format=influxline value1=10 ∑" + nowMS() + "\n"}}, []want{{"timestamp-unit", e, 1}}},
		{"timestamp-unit/influx seconds", influxUDP, []rec{{data: "cpu v=1 ∑" + nowS() + "\n"}}, []want{{"timestamp-unit", e, 1}}},
		{"timestamp-unit/influx nanoseconds with precision 1s", with(influxUDP, `influx_timestamp_precision = "1s"`), []rec{{data: "cpu v=1 ∑" + nowNS() + "\n"}}, []want{{"timestamp-unit", e, 1}}},
		{"timestamp-unit/json milliseconds with unix", with(jsonNamed, `json_time_key = "t"`, `json_time_format = "unix"`), []rec{{data: `{"metric_name": "m", "v": 1, "t": ∑` + nowMS() + `}`}}, []want{{"timestamp-unit", e, 1}}},
		{"timestamp-unit/near miss: milliseconds with precision 1ms", with(influxUDP, `influx_timestamp_precision = "1ms"`), []rec{{data: "cpu v=1 " + nowMS() + "\n"}}, nil},
		{"timestamp-unit/near miss: nanoseconds", influxUDP, []rec{{data: "cpu v=1 " + nowNS() + "\n"}}, nil},
		{"timestamp-unit/near miss: json unix_ms", with(jsonNamed, `json_time_key = "t"`, `json_time_format = "unix_ms"`), []rec{{data: `{"metric_name": "m", "v": 1, "t": ` + nowMS() + `}`}}, nil},

		// timestamp-skew
		{"timestamp-skew/two years back", influxUDP, []rec{{data: "cpu v=1 ∑" + agoNS(2*365*24*time.Hour) + "\n"}}, []want{{"timestamp-skew", w, 1}}},
		{"timestamp-skew/three hours ahead", influxUDP, []rec{{data: "cpu v=1 ∑" + agoNS(-3*time.Hour) + "\n"}}, []want{{"timestamp-skew", w, 1}}},
		{"timestamp-skew/a counter in the timestamp slot", influxUDP, []rec{{data: "cpu v=1 ∑42\n"}}, []want{{"timestamp-skew", w, 1}}},
		{"timestamp-skew/near miss: a month back", influxUDP, []rec{{data: "cpu v=1 " + agoNS(30*24*time.Hour) + "\n"}}, nil},
		{"timestamp-skew/near miss: ten minutes ahead", influxUDP, []rec{{data: "cpu v=1 " + agoNS(-10*time.Minute) + "\n"}}, nil},

		// timestamp-format
		{"timestamp-format/influx fraction", influxUDP, []rec{{data: "cpu v=1 ∑1700000000.5\n"}}, []want{{"parse-error", e, anyPos}, {"timestamp-format", e, 1}}},
		{"timestamp-format/wavefront fraction", wavefrontUDP, []rec{{data: "a.b 10 ∑1700000000.25 source=a\n"}}, []want{{"parse-error", e, anyPos}, {"timestamp-format", e, 1}}},
		{"timestamp-format/wavefront nine digits", wavefrontUDP, []rec{{data: "a.b 10 ∑999999999 source=a\n"}}, []want{{"parse-error", e, anyPos}, {"timestamp-format", e, 1}}},
		{"timestamp-format/near miss: wavefront zero means now", wavefrontUDP, []rec{{data: "a.b 10 0 source=a\n"}}, nil},

		// wavefront-missing-source
		{"wavefront-missing-source/no source", wavefrontUDP, []rec{{data: "prefix_metric_name.value1 10 " + nowS() + " format=\"wavefront\"∑\n"}}, []want{{"wavefront-missing-source", w, 1}}},
		{"wavefront-missing-source/empty source", wavefrontUDP, []rec{{data: "a.b 10 " + nowS() + " source=\"\"∑\n"}}, []want{{"wavefront-missing-source", w, 1}}},
		{"wavefront-missing-source/near miss: host tag", wavefrontUDP, []rec{{data: "a.b 10 " + nowS() + " host=web1\n"}}, nil},

		// json-string-dropped
		{"json-string-dropped/format without tag_keys", jsonOverride, []rec{{data: `{"value1": 10, "value2": 3, ∑"format": "json"}`}}, []want{{"json-string-dropped", w, 1}}},
		{"json-string-dropped/bool and numeric string", jsonOverride, []rec{{data: `{"value1": 10, ∑"ok": true, "n": "42"}`}}, []want{{"json-string-dropped", w, 1}}},
		{"json-string-dropped/near miss: tag_keys", with(jsonOverride, `tag_keys = ["format"]`), []rec{{data: `{"value1": 10, "value2": 3, "format": "json"}`}}, nil},
		{"json-string-dropped/near miss: json_string_fields glob", with(jsonOverride, `json_string_fields = ["msg*"]`), []rec{{data: `{"value1": 10, "msg_a": "x", "msg_b": "y"}`}}, nil},

		// json-no-fields
		{"json-no-fields/only strings", jsonNamed, []rec{{data: `∑{"metric_name": "status", "state": "ok"}`}}, []want{{"json-no-fields", e, 1}}},
		{"json-no-fields/empty object", jsonOverride, []rec{{data: `∑{}`}}, []want{{"json-no-fields", e, 1}}},
		{"json-no-fields/second array element", jsonNamed, []rec{{data: `[{"metric_name": "a", "v": 1}, ∑{"metric_name": "b", "n": "2"}]`}}, []want{{"json-no-fields", e, 1}}},
		{"json-no-fields/near miss: json_string_fields", with(jsonNamed, `json_string_fields = ["state"]`), []rec{{data: `{"metric_name": "status", "state": "ok"}`}}, nil},

		// default-measurement-name
		{"default-measurement-name/json without name", conf{format: "json"}, []rec{{data: `∑{"value1": 10}`}}, []want{{"default-measurement-name", w, 1}}},
		{"default-measurement-name/json with an unused name member", conf{format: "json"}, []rec{{data: `∑{"metric_name": "speed", "value": 10}`}}, []want{{"default-measurement-name", w, 1}}},
		{"default-measurement-name/value format", conf{format: "value", options: []string{`data_type = "integer"`}}, []rec{{data: "42"}}, []want{{"default-measurement-name", w, 0}}},
		{"default-measurement-name/near miss: name_override", jsonOverride, []rec{{data: `{"value1": 10}`}}, nil},

		// json-name-key-type
		{"json-name-key-type/number", jsonNamed, []rec{{data: `{"metric_name": ∑5, "v": 1}`}}, []want{{"json-name-key-type", w, 1}}},
		{"json-name-key-type/empty string", jsonNamed, []rec{{data: `{"metric_name": ∑"", "v": 1}`}}, []want{{"json-name-key-type", e, 1}}},
		{"json-name-key-type/missing", jsonNamed, []rec{{data: `∑{"v": 1}`}}, []want{{"json-name-key-type", w, 1}}},
		{"json-name-key-type/another name member", jsonNamed, []rec{{data: `∑{"name": "speed", "v": 1}`}}, []want{{"json-name-key-type", w, 1}}},
		{"json-name-key-type/near miss: nested name key", with(conf{format: "json"}, `json_name_key = "meta_name"`), []rec{{data: `{"meta": {"name": "speed"}, "v": 1}`}}, nil},

		// time-key-name
		{"time-key-name/json timestamp member", jsonNamed, []rec{{data: `{"metric_name": "m", "v": 1, ∑"timestamp": ` + nowS() + `}`}}, []want{{"time-key-name", w, 1}}},
		{"time-key-name/json rfc3339 string", jsonNamed, []rec{{data: `{"metric_name": "m", "v": 1, ∑"time": "2026-01-02T03:04:05Z"}`}}, []want{{"time-key-name", w, 1}}},
		{"time-key-name/influx tag time", influxUDP, []rec{{data: "cpu,∑time=a v=1\n"}}, []want{{"time-key-name", e, 1}}},
		{"time-key-name/influx field time beside another", influxUDP, []rec{{data: "cpu v=1,∑time=2\n"}}, []want{{"time-key-name", w, 1}}},
		{"time-key-name/near miss: json_time_key", with(jsonNamed, `json_time_key = "timestamp"`, `json_time_format = "unix"`), []rec{{data: `{"metric_name": "m", "v": 1, "timestamp": ` + nowS() + `}`}}, nil},

		// tag-trailing-backslash
		{"tag-trailing-backslash/influx", influxUDP, []rec{{data: "disk,path=C:∑\\ free=10\n"}}, []want{{"parse-error", e, anyPos}, {"tag-trailing-backslash", e, 1}}},
		{"tag-trailing-backslash/json tag", with(jsonOverride, `tag_keys = ["path"]`), []rec{{data: `{"path": ∑"logs\\", "free": 10}`}}, []want{{"tag-trailing-backslash", w, 1}}},
		{"tag-trailing-backslash/near miss: escaped comma", influxUDP, []rec{{data: "disk,path=C:/\\,x free=10\n"}}, []want{{"forbidden-char", w, anyPos}}},
		{"tag-trailing-backslash/near miss: slash", influxUDP, []rec{{data: "disk,path=C:/ free=10\n"}}, []want{{"forbidden-char", w, anyPos}}},

		// field-type-conflict
		{"field-type-conflict/float then integer", influxUDP, []rec{{data: "cpu value=1\n"}, {data: "cpu value=∑2i\n"}}, []want{{"field-type-conflict", e, 1}}},
		{"field-type-conflict/in one record", influxUDP, []rec{{data: "cpu value=1\ncpu value=∑\"x\"\n"}}, []want{{"field-type-conflict", e, 1}}},
		{"field-type-conflict/json string field then number", with(jsonOverride, `json_string_fields = ["v"]`), []rec{{data: `{"v": "high"}`}, {data: `{"v": ∑3}`}}, []want{{"field-type-conflict", e, 1}}},
		{"field-type-conflict/near miss: floats, and integers elsewhere", influxUDP, []rec{{data: "cpu value=1\n"}, {data: "cpu value=2.5\nmem value=3i\n"}}, nil},

		// connection-churn (the socket test sends over TCP)
		{"connection-churn/a connection per record", influxTCP, churnRecs(5, true), []want{{"connection-churn", w, 0}}},
		{"connection-churn/near miss: one connection", influxTCP, churnRecs(5, false), nil},

		// datagram-truncated
		{"datagram-truncated/cut at the buffer", influxUDP, []rec{{data: "cpu v=1\ncpu v=2∑", truncated: true}}, []want{{"datagram-truncated", e, 1}}},
		{"datagram-truncated/over the path MTU", influxUDP, []rec{{data: "cpu s=\"" + big[:1465] + "∑" + big[1465:] + "\"\n", peer: "192.0.2.10:5000"}}, []want{{"datagram-truncated", w, 1}}},
		{"datagram-truncated/near miss: large on loopback", influxUDP, []rec{{data: "cpu s=\"" + big + "\"\n"}}, nil},
		{"datagram-truncated/near miss: 1472 bytes", influxUDP, []rec{{data: "cpu s=\"" + big[:1472-9] + "\"\n", peer: "192.0.2.10:5000"}}, nil},

		// datagram-split-record
		{"datagram-split-record/timestamp in the next datagram", influxUDP, []rec{{data: "cpu value=1 "}, {data: "∑" + nowNS() + "\n"}}, []want{{"datagram-split-record", e, 1}, {"parse-error", e, anyPos}}},
		{"datagram-split-record/json cut in two", jsonOverride, []rec{{data: `{"value1": 10, `}, {data: `∑"value2": 3}`}}, []want{{"datagram-split-record", e, 1}, {"parse-error", e, anyPos}}},
		{"datagram-split-record/near miss: a whole line, then garbage", influxUDP, []rec{{data: "cpu value=1\n"}, {data: "1700000000\n"}}, []want{{"parse-error", e, anyPos}}},
		{"datagram-split-record/near miss: another peer", influxUDP, []rec{{data: "cpu value=1 "}, {data: nowNS() + "\n", peer: "127.0.0.1:40001"}}, []want{{"parse-error", e, anyPos}}},

		// bad-encoding
		{"bad-encoding/utf-16 json", jsonOverride, []rec{{data: "∑\xff\xfe{\x00\"\x00a\x00\"\x00:\x001\x00}\x00"}}, []want{{"bad-encoding", e, 1}, {"parse-error", e, anyPos}}},
		{"bad-encoding/gzip without content_encoding", influxUDP, []rec{{data: "∑\x1f\x8b\x08\x00\x00\x00\x00\x00"}}, []want{{"bad-encoding", e, 1}, {"parse-error", e, anyPos}}},
		{"bad-encoding/byte-order mark in line protocol", influxUDP, []rec{{data: "∑\xef\xbb\xbfcpu v=1\n"}}, []want{{"bad-encoding", e, 1}}},
		{"bad-encoding/nul terminator", influxTCP, []rec{{stream: true, data: "cpu v=1∑\x00"}}, []want{{"bad-encoding", e, 1}, {"parse-error", e, anyPos}}},
		{"bad-encoding/latin-1", with(jsonOverride, `tag_keys = ["city"]`), []rec{{data: "{\"city\": \"M∑\xfcnchen\", \"v\": 1}"}}, []want{{"bad-encoding", e, 1}}},
		{"bad-encoding/near miss: byte-order mark in json", jsonOverride, []rec{{data: "\xef\xbb\xbf{\"v\": 1}"}}, nil},
		{"bad-encoding/near miss: utf-8 text", with(jsonOverride, `tag_keys = ["city"]`), []rec{{data: `{"city": "München", "v": 1}`}}, nil},

		// wrong-format
		{"wrong-format/json to influx", influxUDP, []rec{{data: `∑{"metric_name": "good_metric_name", "value1": 10}`}}, []want{{"parse-error", e, anyPos}, {"wrong-format", e, 1}}},
		{"wrong-format/wavefront to influx", influxUDP, []rec{{data: "∑prefix_metric_name.value1 10 " + nowS() + " source=localhost\n"}}, []want{{"parse-error", e, anyPos}, {"wrong-format", e, 1}}},
		{"wrong-format/statsd to influx", influxUDP, []rec{{data: "∑my.counter:1|c"}}, []want{{"parse-error", e, anyPos}, {"wrong-format", e, 1}}},
		{"wrong-format/influx to json", jsonOverride, []rec{{data: "∑cpu,host=a usage=1\n"}}, []want{{"parse-error", e, anyPos}, {"wrong-format", e, 1}}},
		{"wrong-format/influx to wavefront", wavefrontUDP, []rec{{data: "∑cpu,host=a usage=1\n"}}, []want{{"parse-error", e, anyPos}, {"wrong-format", e, 1}}},
		{"wrong-format/near miss: broken line protocol", influxUDP, []rec{{data: "cpu usage=\n"}}, []want{{"parse-error", e, anyPos}}},

		// precision-loss
		{"precision-loss/json integer beyond 2^53", jsonOverride, []rec{{data: `{"id": ∑9007199254740993, "v": 1}`}}, []want{{"precision-loss", w, 1}}},
		{"precision-loss/json nanosecond time key", with(jsonOverride, `json_time_key = "t"`, `json_time_format = "unix_ns"`), []rec{{data: `{"v": 1, "t": ∑` + nowNS()[:16] + `123}`}}, []want{{"precision-loss", w, 1}}},
		{"precision-loss/wavefront milliseconds", wavefrontUDP, []rec{{data: "a.b 10 ∑" + nowS() + "123 source=a\n"}}, []want{{"precision-loss", w, 1}}},
		{"precision-loss/wavefront NaN", wavefrontUDP, []rec{{data: "a.b ∑NaN " + nowS() + " source=a\n"}}, []want{{"precision-loss", w, 1}}},
		{"precision-loss/near miss: 2^53 exactly", jsonOverride, []rec{{data: `{"id": 9007199254740992, "v": 1}`}}, nil},
		{"precision-loss/near miss: whole milliseconds", wavefrontUDP, []rec{{data: "a.b 10 " + nowS() + "000 source=a\n"}}, nil},

		// influx-comment-line
		{"influx-comment-line/commented metric", influxUDP, []rec{{data: "cpu v=1\n∑#cpu v=2\n"}}, []want{{"influx-comment-line", w, 1}}},
		{"influx-comment-line/near miss: a real comment", influxUDP, []rec{{data: "# cpu load, sent every second\ncpu v=1\n"}}, nil},

		// json-multiple-documents
		{"json-multiple-documents/ndjson datagram", jsonOverride, []rec{{data: "{\"v\": 1}\n∑{\"v\": 2}\n"}}, []want{{"json-multiple-documents", e, 1}, {"parse-error", e, anyPos}}},
		{"json-multiple-documents/near miss: an array", jsonOverride, []rec{{data: `[{"v": 1}, {"v": 2}]`}}, nil},

		// json-multiline
		{"json-multiline/pretty-printed", jsonTCP, []rec{{stream: true, data: "{"}, {stream: true, data: `  "a": 1,`}, {stream: true, data: `  "b": 2`}, {stream: true, data: "}"}}, []want{{"json-multiline", e, 0}, {"parse-error", e, anyPos}}},
		{"json-multiline/near miss: one line each", jsonTCP, []rec{{stream: true, data: `{"a": 1}`}, {stream: true, data: `{"a": 2}`}}, nil},

		// crlf-line-ending
		{"crlf-line-ending/wavefront datagram", wavefrontUDP, []rec{{data: "a.b 10 " + nowS() + " source=a∑\r\n"}}, []want{{"crlf-line-ending", e, 1}, {"parse-error", e, anyPos}}},
		{"crlf-line-ending/near miss: influx datagram", influxUDP, []rec{{data: "cpu v=1\r\n"}}, nil},

		// missing-newline, extended to line protocol and Wavefront
		{"missing-newline/influx records glued", influxTCP, []rec{{stream: true, data: "good_metric_name,format=influxline value1=10,value2=5∑good_metric_name,format=influxline value1=10,value2=7"}}, []want{{"missing-newline", e, 1}, {"parse-error", e, anyPos}}},
		{"missing-newline/wavefront records glued", wavefrontTCP, []rec{{stream: true, data: "prefix_metric_name.value1 10 " + nowS() + " source=localhost format=\"wavefront\"∑prefix_metric_name.value2 3 " + nowS() + " source=localhost format=\"wavefront\""}}, []want{{"missing-newline", e, 1}, {"parse-error", e, anyPos}}},
		{"missing-newline/near miss: pretty json is not glued", jsonTCP, []rec{{stream: true, data: `  "a": 1,`}}, []want{{"parse-error", e, anyPos}}},
	}
}

// churnRecs are n stream records, each on a connection of its own or all
// on one.
func churnRecs(n int, churn bool) []rec {
	var out []rec
	for i := 1; i <= n; i++ {
		conn := uint64(1)
		if churn {
			conn = uint64(i)
		}
		out = append(out, rec{stream: true, conn: conn, peer: fmt.Sprintf("127.0.0.1:%d", 40000+i), data: "cpu v=1"})
	}
	return out
}

func TestRules(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range ruleCases() {
		t.Run(tc.name, func(t *testing.T) {
			p := newPipeline(t, tc.conf, tc.recs[0].stream)
			now := time.Now()
			var res *parse.Result
			var offs []int
			var data string
			for n, r := range tc.recs {
				data, offs = unmark(r.data)
				r.data = data
				res = p.Process(r.record(tc.conf.url(), uint64(n+1), now))
				checkStyle(t, res.Diagnostics)
			}
			want := expected(t, data, offs, tc.want)
			sortFindings(want)
			got := comparable(findingsOf(res.Diagnostics), tc.want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s\n%s", diff, describe(res.Diagnostics))
			}
			for _, d := range res.Diagnostics {
				seen[d.Rule] = true
			}
		})
	}
	// Every rule with a check has a case that triggers it.
	for _, r := range parse.Rules() {
		if r.Check != nil && !seen[r.ID] && r.ID != "data-format-detected" {
			t.Errorf("rule %s has no triggering case in TestRules", r.ID)
		}
	}
}

func describe(ds []parse.Diagnostic) string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "  %s[%s] %s (%d:%d)\n", d.Severity, d.Rule, d.Message, d.Position.Line, d.Position.Column)
		for _, f := range d.Fixes {
			fmt.Fprintf(&b, "    fix: %s\n", f)
		}
	}
	return b.String()
}
