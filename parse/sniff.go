package parse

import (
	"bytes"
	"regexp"
)

// sniff guesses the data format of a record: json, wavefront or influx (the
// default, like Telegraf's), or statsd/graphite for formats fakegraf can
// only name.
func sniff(data []byte) string {
	t := bytes.TrimLeft(data, " \t\r\n\ufeff")
	t = bytes.TrimPrefix(t, []byte("\xef\xbb\xbf"))
	if len(t) == 0 {
		return "influx"
	}
	if t[0] == '{' || t[0] == '[' {
		return "json"
	}
	line := t
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimRight(line, "\r")
	fields := bytes.Fields(line)
	if len(fields) >= 2 && !bytes.ContainsAny(fields[0], "=") && isNumber(fields[1]) {
		// name value [timestamp] [k=v ...]: wavefront (graphite has no tags
		// and always a timestamp, but the wavefront parser reads it too).
		return "wavefront"
	}
	if len(fields) == 1 && isStatsd(fields[0]) {
		return "statsd"
	}
	return "influx"
}

func isNumber(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	digits := 0
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '-' || c == '+':
			if i != 0 && b[i-1] != 'e' && b[i-1] != 'E' {
				return false
			}
		case c == '.' || c == 'e' || c == 'E':
		default:
			return false
		}
	}
	return digits > 0
}

var statsdLine = regexp.MustCompile(`^[^\s:|]+(:[^\s:|]+\|(c|g|ms|h|s|d|m|st)(\|@[0-9.]+)?(\|#\S*)?)+$`)

// isStatsd reports whether a line is statsd: name:value|type, with an
// optional sample rate and DogStatsD tags, several values allowed. sniff
// uses it for --data-format auto and wrong-format alike.
func isStatsd(line []byte) bool { return statsdLine.Match(line) }
