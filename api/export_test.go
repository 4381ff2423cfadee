package api

import (
	"encoding/json"
	"strings"
	"time"
)

// Example is an example answer of the OpenAPI document with the request it
// answers.
type Example struct {
	Name, Method, Path, Body string
	Answer                   json.RawMessage
}

// Shape is shape, for the tests of package api_test.
func Shape(v any) any { return shape(v, false) }

// JSONExamples lists the JSON example answers of the OpenAPI document.
func JSONExamples() ([]Example, error) {
	d, err := parseOpenAPI()
	if err != nil {
		return nil, err
	}
	var out []Example
	for _, rt := range routes {
		op := d.Paths[rt.path][strings.ToLower(rt.method)]
		m := op.Responses["200"].Content["application/json"]
		if m == nil || op.ExampleRequest == "" {
			continue
		}
		body := ""
		if op.RequestBody != nil {
			body = string(op.RequestBody.Content["application/json"].Example)
		}
		if len(m.Example) > 0 {
			out = append(out, Example{rt.path, rt.method, op.ExampleRequest, body, m.Example})
		}
		for name, ex := range m.Examples {
			out = append(out, Example{rt.path + " " + name, rt.method, op.ExampleRequest, ex.Summary, ex.Value})
		}
	}
	return out, nil
}

// SetWriteTimeout sets how long a write to an event stream may take, and
// returns what restores it.
func SetWriteTimeout(d time.Duration) func() {
	old := writeTimeout
	writeTimeout = d
	return func() { writeTimeout = old }
}
