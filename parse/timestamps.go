package parse

import (
	"bytes"

	"github.com/influxdata/telegraf/plugins/parsers/json"
)

// senderTimes says, for each metric a record parsed into, whether the sender
// set its timestamp (true) or the parser stamped it with the time of arrival.
// Golden files keep only the former: the latter changes every run.
func senderTimes(stage *Stage, data []byte, n int) []bool {
	out := make([]bool, n)
	switch stage.Format {
	case "json":
		if p, ok := BareParser(stage.Parser).(*json.Parser); ok && p.TimeKey != "" {
			for i := range out {
				out[i] = true
			}
		}
	case "influx", "influx_upstream", "wavefront":
		// One metric per non-blank, non-comment line, in order.
		i := 0
		for _, line := range bytes.Split(data, []byte("\n")) {
			line = bytes.TrimSpace(line)
			if len(line) == 0 || line[0] == '#' {
				continue
			}
			if i >= n {
				break
			}
			if stage.Format == "wavefront" {
				out[i] = wavefrontHasTimestamp(line)
			} else {
				out[i] = influxSections(line) >= 3
			}
			i++
		}
	}
	return out
}

// influxSections counts the space-separated sections of a line-protocol line
// (measurement+tags, fields, timestamp), minding escapes and quoted strings.
func influxSections(line []byte) int {
	sections, inQuote, escaped, prevSpace := 1, false, false, false
	for _, c := range line {
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"' && sections >= 2:
			inQuote = !inQuote
		case c == ' ' && !inQuote:
			if !prevSpace {
				sections++
			}
			prevSpace = true
			continue
		}
		prevSpace = false
	}
	return sections
}

// wavefrontHasTimestamp reports whether the token after the value is a
// number: `name value [timestamp] [tags]`.
func wavefrontHasTimestamp(line []byte) bool {
	fields := bytes.Fields(line)
	if len(fields) < 3 {
		return false
	}
	ts := fields[2]
	if bytes.ContainsRune(ts, '=') {
		return false
	}
	for _, c := range ts {
		if c < '0' || c > '9' {
			return false
		}
	}
	return !bytes.Equal(ts, []byte("0")) // 0 means now
}
