package parse

import "testing"

// mayHaveTimeKey may say yes too often, never too rarely: for every name
// of jsonTimeNames, in any case, and for names spelt in escapes.
func TestMayHaveTimeKey(t *testing.T) {
	docs := []string{`{"Time": 1}`, `{"TIMESTAMP": 1}`, `{"TS": 1}`, `{"Epoch_ms": 1}`, `{"a": {"b": 1}, "ts": 2}`, `{"\u0074ime": 1}`}
	for name := range jsonTimeNames {
		docs = append(docs, `{"`+name+`": 1}`)
	}
	for _, doc := range docs {
		if !mayHaveTimeKey([]byte(doc)) {
			t.Errorf("mayHaveTimeKey(%s) = false", doc)
		}
	}
	if mayHaveTimeKey([]byte(`{"metric_name": "cpu", "value1": 10, "format": "json"}`)) {
		t.Error("mayHaveTimeKey is true for a document without a time-like key")
	}
}
