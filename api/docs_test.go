package api

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite docs/api.md from api/openapi.json")

// Every route the handler serves is in the OpenAPI document with the query
// parameters it takes, and the document describes nothing else.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	d, err := parseOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var served, described []string
	for _, rt := range routes {
		served = append(served, rt.method+" "+rt.path)
		op := d.Paths[rt.path][strings.ToLower(rt.method)]
		if op == nil {
			continue
		}
		var params []string
		for _, p := range op.Parameters {
			if p = d.param(p); p == nil {
				t.Errorf("%s %s: a parameter refers to nothing", rt.method, rt.path)
			} else if p.In == "query" {
				params = append(params, p.Name)
			}
		}
		slices.Sort(params)
		want := slices.Sorted(slices.Values(rt.params))
		if d := cmp.Diff(want, params); d != "" {
			t.Errorf("%s %s: query parameters (-served +described):\n%s", rt.method, rt.path, d)
		}
		if op.Responses["200"] == nil {
			t.Errorf("%s %s: no 200 answer described", rt.method, rt.path)
		}
	}
	for path, ops := range d.Paths {
		for method := range ops {
			described = append(described, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(served)
	slices.Sort(described)
	if d := cmp.Diff(served, described); d != "" {
		t.Errorf("routes (-served +described):\n%s", d)
	}
}

// docs/api.md is generated from the OpenAPI document; -update (make docs)
// rewrites it.
func TestAPIDoc(t *testing.T) {
	got, err := Markdown()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "docs", "api.md")
	if *update {
		if err := os.WriteFile(path, got, 0o666); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("docs/api.md is stale: run make docs (go test ./api -run TestAPIDoc -update)\n%s", cmp.Diff(string(want), string(got)))
	}
	// Every path of the document is in the page.
	d, _ := parseOpenAPI()
	for path := range d.Paths {
		if !bytes.Contains(got, []byte(" "+path+"`")) {
			t.Errorf("docs/api.md lacks %s", path)
		}
	}
}

// shape is a JSON value with its values left out: what an example must
// share with a real answer. Objects whose keys are data (tags, fields,
// counts by name) are "map"; an array is the shape of its first item.
func shape(v any, dynamic bool) any {
	switch v := v.(type) {
	case map[string]any:
		if dynamic {
			return "map"
		}
		out := map[string]any{}
		for k, x := range v {
			out[k] = shape(x, dynamicKeys[k])
		}
		return out
	case []any:
		if len(v) == 0 {
			return []any{}
		}
		return []any{shape(v[0], false)}
	case float64:
		return "number"
	case string:
		return "string"
	case bool:
		return "bool"
	}
	return "null"
}

var dynamicKeys = map[string]bool{"tags": true, "fields": true, "field_types": true, "metrics_by_measurement": true,
	"findings_by_rule": true, "findings_by_severity": true}
