package parse

import "testing"

// mayHaveTimeKey may say yes too often, never too rarely.
func TestMayHaveTimeKey(t *testing.T) {
	for _, doc := range []string{`{"time": 1}`, `{"Time": 1}`, `{"TIMESTAMP": 1}`, `{"ts": 1}`, `{"TS": 1}`, `{"epoch": 1}`, `{"Epoch_ms": 1}`, `{"event_time": 1}`} {
		if !mayHaveTimeKey([]byte(doc)) {
			t.Errorf("mayHaveTimeKey(%s) = false", doc)
		}
	}
	if mayHaveTimeKey([]byte(`{"metric_name": "cpu", "value1": 10, "format": "json"}`)) {
		t.Error("mayHaveTimeKey is true for a document without a time-like key")
	}
}
