package parse

import (
	"testing"
)

func TestWording(t *testing.T) {
	tests := []struct{ got, want string }{
		{andList(nil), ""},
		{andList([]string{"a"}), "a"},
		{andList([]string{"a", "b", "c"}), "a, b and c"},
		{tomlList([]string{"a", `b"c`}), `["a", "b\"c"]`},
	}
	for i, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%d: got %q, want %q", i, tc.got, tc.want)
		}
	}
}
