package parse_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// parseErrorFixes runs one datagram through a pipeline for c and returns
// the fixes of its parse-error finding.
func parseErrorFixes(t *testing.T, c conf, data string) []string {
	t.Helper()
	p := newPipeline(t, c, false)
	res := p.Process(rec{data: data}.record(c.url(), 1, time.Now()))
	for _, d := range res.Diagnostics {
		if d.Rule == "parse-error" {
			return d.Fixes
		}
	}
	t.Fatalf("no parse-error finding for %q; findings: %v", data, findingsOf(res.Diagnostics))
	return nil
}

// A parse error shows the record its sender meant, written so that the
// stage's own parser takes it, and why: the usual mistakes of Python
// senders (f-strings, str(), json.dumps) first.
func TestParseErrorShowsTheCorrectedRecord(t *testing.T) {
	influx := conf{format: "influx"}
	upstream := conf{format: "influx", options: []string{`influx_parser_type = "upstream"`}}
	json := conf{format: "json", options: []string{`json_name_key = "name"`}}
	tests := []struct {
		name string
		conf conf
		data string
		want []string
	}{
		// The five.
		{"space in a tag value", influx, "cpu,region=us east value=1\n",
			[]string{`send: cpu,region=us\ east value=1`, `escape the space in the value of tag "region" as "\ "`}},
		{"bare string field", influx, "app status=ok\n",
			[]string{`send: app status="ok"`, `put the string value of field "status" in double quotes`}},
		{"comma in a tag value", influx, "cpu,host=a,b value=1\n",
			[]string{`send: cpu,host=a\,b value=1`, `escape the comma in the value of tag "host" as "\,"`}},
		{"json.dumps NaN and Infinity", json, `{"name": "cpu", "value": NaN, "peak": -Infinity, "n": 2}`,
			[]string{`send: {"name": "cpu", "value": null, "peak": null, "n": 2}`,
				"send null (Telegraf skips the field) or leave the key out: JSON has no NaN or Infinity, which Python's json.dumps writes unless allow_nan=False"}},
		{"str() of a dict", json, `{'name': 'cpu', 'up': True, 'value': 1.5, 'note': None}`,
			[]string{`send: {"name": "cpu", "up": true, "value": 1.5, "note": null}`,
				"this is Python's str() of a dict, not JSON: send json.dumps(d), which writes double quotes, true, false and null"}},

		// Their cousins.
		{"True and None in JSON", json, `{"name": "cpu", "up": True, "value": None, "n": 1}`,
			[]string{`send: {"name": "cpu", "up": true, "value": null, "n": 1}`,
				"write true, false and null: True, False and None are Python, not JSON (json.dumps writes them right)"}},
		{"equals sign in a tag value", influx, "http,url=/q?a=b code=200i\n",
			[]string{`send: http,url=/q?a\=b code=200i`, `escape the '=' in the value of tag "url" as "\="`}},
		{"space in the measurement", influx, "disk usage,host=a free=1\n",
			[]string{`send: disk\ usage,host=a free=1`, `escape the space in the measurement name as "\ "`}},
		{"bare string with a space", influx, "app msg=hello world,v=1\n",
			[]string{`send: app msg="hello world",v=1`, `put the string value of field "msg" in double quotes`}},
		{"repr's single quotes", influx, "app status='ok'\n",
			[]string{`send: app status="ok"`, `write the string value of field "status" in double quotes: line protocol has no '...' strings (Python's repr writes them)`}},
		{"None beside another field", influx, "app value=None,n=1i\n",
			[]string{`send: app n=1i`, `leave out field "value": line protocol has no null, and None is Python's (skip fields whose value is None)`}},
		{"None alone", influx, "app value=None\n",
			[]string{`leave out field "value": line protocol has no null, and None is Python's (skip fields whose value is None); with no field left, leave the point out`}},
		{"str(float('nan'))", influx, "app value=nan,n=1\n",
			[]string{`send: app n=1`, `leave out field "value": line protocol cannot carry NaN or infinity (check math.isfinite before sending)`}},
		{"quoted tag value with a space", influx, "cpu,host=\"my host\" v=1\n",
			[]string{`send: cpu,host=my\ host v=1`, `drop the quotes around the value of tag "host" and escape its blanks: tag values are never quoted`}},
		{"backslash in a string", influx, `app path="C:\temp"` + "\n",
			[]string{`send: app path="C:\\temp"`, `double the backslashes in the string value of field "path": a single one escapes the next character, and Telegraf's influx parser takes only \" and \\`}},
		{"two mistakes in one line", influx, "cpu,region=us east,zone=a status=running hot,v=1\n",
			[]string{`send: cpu,region=us\ east,zone=a status="running hot",v=1`,
				`escape the space in the value of tag "region" as "\ "; put the string value of field "status" in double quotes`}},
		{"the bad line of a datagram", influx, "cpu v=1\ncpu,host=a b v=2\n",
			[]string{`send: cpu,host=a\ b v=2`, `escape the space in the value of tag "host" as "\ "`,
				"fix the bad line: Telegraf drops the whole record when one line in it is bad",
				"send one record per datagram, so that a bad one loses only itself"}},

		// influx_upstream rejects what the internal parser takes, and says
		// other things: the corrected line is the same.
		{"upstream: space in a tag value", upstream, "cpu,region=us east value=1\n",
			[]string{`send: cpu,region=us\ east value=1`, `escape the space in the value of tag "region" as "\ "`}},
		{"upstream: bare string field", upstream, "app status=ok\n",
			[]string{`send: app status="ok"`, `put the string value of field "status" in double quotes`}},
		{"upstream: tabs", upstream, "cpu\tv=1\n",
			[]string{`send: cpu v=1`, `separate the parts with spaces, not tabs (influx_upstream rejects tabs)`}},

		// No guess where the record is something else, or the mistake is
		// another rule's.
		{"no guess: json to an influx socket", influx, `{"name": "cpu", "value": 1}`, []string{"make the record valid influx line protocol"}},
		{"no guess: records glued", influx, "cpu v=5cpu v=6\n", []string{"make the record valid influx line protocol"}},
		{"no guess: a second number after the value", influx, "cpu v=1 1cpu v=2\n", []string{"make the record valid influx line protocol"}},
		{"no guess: a fractional timestamp", influx, "cpu v=1 1700000000.5\n", []string{"make the record valid influx line protocol"}},
		{"no guess: no fields", influx, "wild boyz\n", []string{"make the record valid influx line protocol"}},
		{"no guess: two json documents", json, `{"v": 1}{"v": NaN}`, []string{"make the record valid JSON"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := parseErrorFixes(t, tc.conf, tc.data)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("fixes for %q (-want +got):\n%s", tc.data, diff)
			}
		})
	}
}

// A long line is shown cut around the change, and a line with bytes a
// terminal would act on is quoted.
func TestParseErrorShownRecordIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("app,host=web1 ")
	for i := range 80 {
		if i == 40 {
			b.WriteString("status=ok,")
		}
		b.WriteString("f" + strings.Repeat("x", i%7) + "=1,")
	}
	b.WriteString("last=1\n")
	fixes := parseErrorFixes(t, conf{format: "influx"}, b.String())
	send := strings.TrimPrefix(fixes[0], "send: ")
	if !strings.HasPrefix(fixes[0], "send: ") || !strings.Contains(send, `status="ok"`) || len(send) > 110 ||
		!strings.HasPrefix(send, "…") || !strings.HasSuffix(send, "…") {
		t.Errorf("shown record %q: want it cut to about 100 bytes around status=\"ok\", with … at both ends", fixes[0])
	}

	fixes = parseErrorFixes(t, conf{format: "influx"}, "app,k=a\x1bb status=ok\n")
	if want := `send: "app,k=a\x1bb status=\"ok\""`; fixes[0] != want {
		t.Errorf("got %q, want %q", fixes[0], want)
	}
}
