package suggest_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fakegraf/fakegraf/internal/suggest"
)

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"format", "format", 0},
		{"fromat", "format", 1}, // a transposition is one edit
		{"socket_listner", "socket_listener", 1},
		{"servce_address", "service_address", 1},
		{"SOCKET_LISTENER", "socket_listener", 0},
		{"", "abc", 3},
		{"socket_writer", "socket_listener", 5},
	}
	for _, tt := range tests {
		t.Run(tt.a+"/"+tt.b, func(t *testing.T) {
			if got := suggest.Distance(tt.a, tt.b); got != tt.want {
				t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestClosest(t *testing.T) {
	rules := []string{"timestamp-unit", "timestamp-skew", "timestamp-format", "missing-newline", "parse-error"}
	tests := []struct {
		name, word string
		candidates []string
		want       []string
	}{
		{"one typo", "timestamp-unti", rules, []string{"timestamp-unit"}},
		{"a prefix", "timestamp", rules, []string{"timestamp-format", "timestamp-skew", "timestamp-unit"}},
		{"nothing close", "cpu", rules, nil},
		{"not the word itself", "parse-error", rules, nil},
		{"flags", "data-fromat", []string{"data-format", "duration", "count"}, []string{"data-format"}},
		{"short words need to be closer", "qq", []string{"q", "quiet"}, []string{"q"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, suggest.Closest(tt.word, tt.candidates)); diff != "" {
				t.Errorf("Closest(%q) (-want +got):\n%s", tt.word, diff)
			}
		})
	}
}

func TestOr(t *testing.T) {
	for _, tt := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"a"}, "a"},
		{[]string{"a", "b"}, "a or b"},
		{[]string{"a", "b", "c"}, "a, b or c"},
	} {
		if got := suggest.Or(tt.in); got != tt.want {
			t.Errorf("Or(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
