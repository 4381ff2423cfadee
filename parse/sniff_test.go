package parse

import (
	"testing"
)

// sniff is the one format sniffer: --data-format auto and wrong-format ask
// it alike.
func TestSniff(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "influx"},
		{"  \n", "influx"},
		{"\xef\xbb\xbf{\"a\": 1}", "json"},
		{"[{\"a\": 1}]", "json"},
		{"cpu,host=a v=1 1700000000000000000\n", "influx"},
		{"a.b 10 1700000000 source=h\n", "wavefront"},
		{"a.b 10\n", "wavefront"},
		{"my.counter:1|c\n", "statsd"},
		{"my.timer:320|ms|@0.1|#env:prod,k:v", "statsd"},
		{"multi:1|c:2|g", "statsd"},
		{"a:b|zzz", "influx"}, // no statsd type: not statsd
		{"cpu:x|y v=1", "influx"},
	}
	for _, tc := range tests {
		if got := sniff([]byte(tc.in)); got != tc.want {
			t.Errorf("Sniff(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
