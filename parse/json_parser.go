package parse

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/influxdata/telegraf/filter"
	jsonparser "github.com/influxdata/telegraf/plugins/parsers/json"
)

// What Telegraf's json parser (plugins/parsers/json/parser.go) does with a
// record, where several rules need the same answer: which member names the
// metric or looks like its time, which strings and bools it keeps or drops,
// and how many documents a record holds.

// jsonNameCandidate finds a string member that looks like it names the
// measurement, for the json_name_key suggestion.
func jsonNameCandidate(data []byte) string {
	var obj map[string]interface{}
	if json.Unmarshal(bytes.TrimSpace(data), &obj) != nil {
		return ""
	}
	for _, k := range []string{"metric_name", "measurement", "metric", "name"} {
		if _, ok := obj[k].(string); ok {
			return k
		}
	}
	return ""
}

// countJSONValues counts the top-level JSON values in data and returns the
// offset where the second one starts.
func countJSONValues(data []byte) (n, second int) {
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		var v json.RawMessage
		start := dec.InputOffset()
		if err := dec.Decode(&v); err != nil {
			return n, second
		}
		n++
		if n == 2 {
			second = int(start)
			// InputOffset is the end of the previous value; skip blanks.
			for second < len(data) && (data[second] == ' ' || data[second] == '\t' || data[second] == '\r' || data[second] == '\n') {
				second++
			}
		}
	}
}

// jsonNameKeys are member names that senders use for the measurement.
var jsonNameKeys = map[string]bool{"metric_name": true, "measurement": true, "metric": true, "name": true}

type jsonFate struct {
	leaf    jsonLeaf
	dropped bool
	tag     bool
}

// jsonFates says what the json parser did with an object's strings and bools
// (switchFieldToTag): kept as tags or fields, or dropped.
func jsonFates(jp *jsonparser.Parser, o jsonObject) []jsonFate {
	tagF, _ := filter.Compile(jp.TagKeys)
	strF, _ := filter.Compile(jp.StringFields)
	var out []jsonFate
	for _, lf := range o.Leaves {
		switch {
		case jp.TimeKey != "" && lf.Key == jp.TimeKey:
			continue
		case tagF != nil && tagF.Match(lf.Key) && lf.Kind != 'z':
			out = append(out, jsonFate{leaf: lf, tag: true})
		case lf.Kind != 's' && lf.Kind != 'b':
			continue
		case jp.NameKey != "" && lf.Key == jp.NameKey && lf.Kind == 's':
			continue
		case strF != nil && strF.Match(lf.Key):
			continue
		default:
			out = append(out, jsonFate{leaf: lf, dropped: true})
		}
	}
	return out
}

var jsonTimeNames = map[string]bool{"time": true, "timestamp": true, "ts": true, "@timestamp": true, "datetime": true, "epoch": true, "time_stamp": true}

// guessTimeFormat proposes the json_time_format for a time member.
func guessTimeFormat(lf jsonLeaf) (string, bool) {
	text := lf.Raw
	if lf.Kind == 's' {
		text = lf.Str
	}
	if isNumber([]byte(text)) {
		digits := strings.IndexAny(text, ".eE")
		if digits < 0 {
			digits = len(strings.TrimLeft(text, "+-"))
		}
		switch {
		case digits <= 11:
			return "unix", true
		case digits <= 14:
			return "unix_ms", true
		case digits <= 17:
			return "unix_us", true
		}
		return "unix_ns", true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", time.RFC1123Z, time.RFC1123} {
		if _, err := time.Parse(layout, text); err == nil {
			if layout == time.RFC3339Nano {
				return "rfc3339", true
			}
			return layout, true
		}
	}
	return "", false
}
