package parse

import "testing"

// scanJSON's timeKey may say yes too often, never too rarely: for every
// name of jsonTimeNames, in any case, and for names spelt in escapes.
func TestScanJSONTimeKey(t *testing.T) {
	docs := []string{`{"Time": 1}`, `{"TIMESTAMP": 1}`, `{"TS": 1}`, `{"Epoch_ms": 1}`, `{"a": {"b": 1}, "ts": 2}`, `{"\u0074ime": 1}`}
	for name := range jsonTimeNames {
		docs = append(docs, `{"`+name+`": 1}`)
	}
	for _, doc := range docs {
		if !scanJSON([]byte(doc)).timeKey {
			t.Errorf("scanJSON(%s).timeKey = false", doc)
		}
	}
	if scanJSON([]byte(`{"metric_name": "cpu", "value1": 10, "format": "json"}`)).timeKey {
		t.Error("scanJSON's timeKey is true for a document without a time-like key")
	}
}

// scanJSON counts what can become a tag, a field or a name, and finds the
// longest number.
func TestScanJSON(t *testing.T) {
	for _, c := range []struct {
		doc            string
		values, digits int
	}{
		{`{"metric_name": "cpu", "value1": 10, "format": "json"}`, 3, 2},
		{`[{"a": 12345678901234567, "b": true}, {"c": -1.5e10, "d": null}]`, 3, 17},
		{`{"s": "12345678901234567890", "n": 1.25}`, 2, 2},
		{`{"a" : "x", "b":{"c":"y"}}`, 2, 0},
	} {
		s := scanJSON([]byte(c.doc))
		if s.values != c.values || s.digits != c.digits {
			t.Errorf("scanJSON(%s) = %d values, %d digits; want %d, %d", c.doc, s.values, s.digits, c.values, c.digits)
		}
	}
}
