package jsontest

// Drop removes keys from every object in a decoded JSON value (map[string]any
// and []any, as encoding/json decodes into any), however deep, and returns
// the value. Tests use it to leave out what differs between two runs of the
// same traffic: times, peers, ports.
func Drop(v any, keys ...string) any {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range keys {
			delete(v, k)
		}
		for k, x := range v {
			v[k] = Drop(x, keys...)
		}
	case []any:
		for i, x := range v {
			v[i] = Drop(x, keys...)
		}
	}
	return v
}
