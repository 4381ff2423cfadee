package parse

import (
	"slices"
	"strings"
	"testing"
)

// The words forbidden-char uses in its messages and fixes.
func TestForbiddenCharWording(t *testing.T) {
	tests := []struct{ got, want string }{
		{safeName("my:metric|name"), "my_metric_name"},
		{safeName(`"cpu load"`), "cpu_load"},
		{breaks([]rune{':'}), "statsd, Wavefront and Prometheus labels"},
		{breaks([]rune{' '}), "statsd, Graphite, Wavefront and Prometheus"},
		{strings.Join(troubleStrings("a\tb:c"), ","), "\t,:"},
	}
	for i, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%d: got %q, want %q", i, tc.got, tc.want)
		}
	}
}

func troubleStrings(s string) []string {
	var out []string
	for _, r := range troubleChars(s, false) {
		out = append(out, string(r))
	}
	return out
}

// troubleChars' byte table agrees with the rune-decoding definition for
// every byte, alone and inside a name.
func TestTroubleCharsFastPathAgrees(t *testing.T) {
	for c := 0; c < 256; c++ {
		for _, s := range []string{string([]byte{byte(c)}), "cpu" + string([]byte{byte(c)}) + "load", "é" + string([]byte{byte(c)})} {
			for _, value := range []bool{false, true} {
				want := troubleCharsSlow(s, value)
				if got := troubleChars(s, value); !slices.Equal(got, want) {
					t.Errorf("troubleChars(%q, %v) = %q, want %q", s, value, got, want)
				}
				if len(want) > 0 && !mayHaveTroubleChars(s, value) {
					t.Errorf("mayHaveTroubleChars(%q, %v) = false, but it has %q", s, value, want)
				}
			}
		}
	}
}
