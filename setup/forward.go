package setup

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/influxdata/telegraf/config"
)

// fakegraf's own options in a telegraf.conf are comments, because Telegraf
// fails on any key it does not use: an unknown key in an input's table is
// "configuration specified the fields [...], but they were not used", and an
// unknown top-level table such as [fakegraf] is taken for a legacy input
// and fails as an undefined plugin (config/config.go LoadConfigData). A
// comment is the one form the same file can carry to the real Telegraf.
//
//	[[inputs.socket_listener]]
//	  service_address = "tcp://:8094"
//	  # fakegraf: forward = "tcp://telegraf:8094"
//	  # fakegraf: forward_buffer = "16MiB"
//
//	[[inputs.influxdb_v2_listener]]
//	  service_address = ":8086"
//	  # fakegraf: forward = "http://telegraf:8086"
//	  # fakegraf: forward_timeout = "5s"
var (
	fakegrafComment = regexp.MustCompile(`^\s*#\s*fakegraf\s*:\s*(.*)$`)
	tableHeader     = regexp.MustCompile(`^\s*\[`)
)

// forwardComments reads the `# fakegraf:` comments of data and sets them on
// the input whose table they are in.
func forwardComments(data []byte, source string, inputs []*Input) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	header := 0
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if tableHeader.MatchString(text) {
			header = line
			continue
		}
		m := fakegrafComment.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		where := fmt.Sprintf("%s:%d", source, line)
		key, raw, ok := strings.Cut(m[1], "=")
		key, raw = strings.TrimSpace(key), strings.TrimSpace(raw)
		if !ok {
			return fmt.Errorf("%s: want # fakegraf: forward = \"URL\", got %q", where, text)
		}
		value, err := strconv.Unquote(raw)
		if err != nil {
			return fmt.Errorf("%s: the value of fakegraf's %s must be a quoted string, such as %s = \"tcp://telegraf:8094\"", where, key, key)
		}
		var in *Input
		for _, cand := range inputs {
			if header > 0 && cand.Origin.Line == header {
				in = cand
			}
		}
		if in == nil {
			return fmt.Errorf("%s: a # fakegraf: %s comment goes inside the table of an input fakegraf serves ([[inputs.socket_listener]], [[inputs.statsd]], [[inputs.influxdb_listener]], [[inputs.influxdb_v2_listener]], [[inputs.http_listener_v2]]), after its header", where, key)
		}
		switch key {
		case "forward":
			in.Forward = value
		case "forward_buffer":
			var size config.Size
			if err := size.UnmarshalText([]byte(value)); err != nil || size == 0 {
				return fmt.Errorf("%s: forward_buffer %q: want a size such as \"16MiB\"", where, value)
			}
			in.ForwardBuffer = int64(size)
		case "forward_timeout":
			d, err := time.ParseDuration(value)
			if err != nil || d <= 0 {
				return fmt.Errorf("%s: forward_timeout %q: want a duration such as \"5s\"", where, value)
			}
			if !in.HTTP() {
				return fmt.Errorf("%s: forward_timeout bounds the wait for an HTTP upstream's answer; %s forwards bytes and waits for no answer: remove it", where, in.Name)
			}
			in.ForwardTimeout = d
		default:
			return fmt.Errorf("%s: unknown fakegraf option %q: fakegraf reads forward, forward_buffer and forward_timeout", where, key)
		}
	}
	return nil
}
