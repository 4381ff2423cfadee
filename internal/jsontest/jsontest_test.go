package jsontest

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDrop(t *testing.T) {
	var v any
	if err := json.Unmarshal([]byte(`{"peer": "a", "x": [{"peer": "b", "y": 1}], "z": {"peer": "c", "w": 2}}`), &v); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"x": []any{map[string]any{"y": 1.0}}, "z": map[string]any{"w": 2.0}}
	if diff := cmp.Diff(want, Drop(v, "peer")); diff != "" {
		t.Error(diff)
	}
}
