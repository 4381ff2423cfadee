package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// The OpenAPI document, as much of it as docs/api.md shows.
type openAPIDoc struct {
	Info struct {
		Title       string `json:"title"`
		Summary     string `json:"summary"`
		Description string `json:"description"`
	} `json:"info"`
	Paths      map[string]map[string]*operation `json:"paths"`
	Components struct {
		Parameters map[string]*parameter `json:"parameters"`
		Responses  map[string]*response  `json:"responses"`
		Schemas    map[string]*schema    `json:"schemas"`
	} `json:"components"`
}

type operation struct {
	Summary     string       `json:"summary"`
	Description string       `json:"description"`
	Parameters  []*parameter `json:"parameters"`
	RequestBody *struct {
		Description string            `json:"description"`
		Content     map[string]*media `json:"content"`
	} `json:"requestBody"`
	Responses      map[string]*response `json:"responses"`
	ExampleRequest string               `json:"x-fakegraf-example-request"`
}

type parameter struct {
	Ref         string `json:"$ref"`
	Name        string `json:"name"`
	In          string `json:"in"`
	Description string `json:"description"`
	Required    bool   `json:"required"`
}

type response struct {
	Ref         string            `json:"$ref"`
	Description string            `json:"description"`
	Content     map[string]*media `json:"content"`
}

type media struct {
	// ExampleRequest, when set, is the request of this media type's
	// example; otherwise the operation's.
	ExampleRequest string          `json:"x-fakegraf-example-request"`
	Example        json.RawMessage `json:"example"`
	Examples       map[string]struct {
		Summary string          `json:"summary"`
		Value   json.RawMessage `json:"value"`
	} `json:"examples"`
}

type schema struct {
	Description string             `json:"description"`
	Type        any                `json:"type"`
	Properties  map[string]*schema `json:"properties"`
	Items       *schema            `json:"items"`
	Ref         string             `json:"$ref"`
	Enum        []string           `json:"enum"`
	AllOf       []*schema          `json:"allOf"`
}

func parseOpenAPI() (*openAPIDoc, error) {
	var d openAPIDoc
	if err := json.Unmarshal(openAPI, &d); err != nil {
		return nil, fmt.Errorf("api/openapi.json: %w", err)
	}
	return &d, nil
}

// resolve follows a parameter's $ref.
func (d *openAPIDoc) param(p *parameter) *parameter {
	if name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/"); ok {
		return d.Components.Parameters[name]
	}
	return p
}

func (d *openAPIDoc) response(r *response) *response {
	if name, ok := strings.CutPrefix(r.Ref, "#/components/responses/"); ok {
		return d.Components.Responses[name]
	}
	return r
}

// Markdown renders the OpenAPI document (api/openapi.json) as docs/api.md:
// the endpoints in the order the handler lists them, each with its
// parameters and an example, then the objects.
func Markdown() ([]byte, error) {
	d, err := parseOpenAPI()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n\n", d.Info.Title)
	b.WriteString("<!-- Generated from api/openapi.json (served at /api/v1/openapi.json) by `make docs`; edit that file, not this one. -->\n\n")
	fmt.Fprintf(&b, "%s\n\n%s\n\n", d.Info.Summary, d.Info.Description)
	b.WriteString("| endpoint | answers |\n|---|---|\n")
	for _, rt := range routes {
		op := d.Paths[rt.path][strings.ToLower(rt.method)]
		if op == nil {
			return nil, fmt.Errorf("api/openapi.json does not describe %s %s", rt.method, rt.path)
		}
		title := rt.method + " " + rt.path
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s |\n", title, slug(title), op.Summary)
	}
	for _, rt := range routes {
		op := d.Paths[rt.path][strings.ToLower(rt.method)]
		fmt.Fprintf(&b, "\n## `%s %s`\n\n%s\n", rt.method, rt.path, op.Summary)
		if op.Description != "" {
			fmt.Fprintf(&b, "\n%s\n", op.Description)
		}
		if len(op.Parameters) > 0 {
			b.WriteString("\n| parameter | in | meaning |\n|---|---|---|\n")
			for _, p := range op.Parameters {
				p = d.param(p)
				req := ""
				if p.Required {
					req = " (required)"
				}
				fmt.Fprintf(&b, "| `%s`%s | %s | %s |\n", p.Name, req, p.In, p.Description)
			}
		}
		if rb := op.RequestBody; rb != nil {
			b.WriteString("\nBody")
			if rb.Description != "" {
				fmt.Fprintf(&b, ": %s", strings.TrimSuffix(rb.Description, "."))
			}
			b.WriteString(", for example:\n")
			for _, m := range sortedMedia(rb.Content) {
				writeExample(&b, m.typ, m.media.Example)
			}
		}
		ok := op.Responses["200"]
		for _, m := range sortedMedia(ok.Content) {
			if len(m.media.Example) == 0 && len(m.media.Examples) == 0 {
				continue
			}
			req := op.ExampleRequest
			if m.media.ExampleRequest != "" {
				req = m.media.ExampleRequest
			}
			fmt.Fprintf(&b, "\n`%s %s` answers (%s):\n", rt.method, req, m.typ)
			if len(m.media.Example) > 0 {
				writeExample(&b, m.typ, m.media.Example)
			}
			names := make([]string, 0, len(m.media.Examples))
			for name := range m.media.Examples {
				names = append(names, name)
			}
			slices.Sort(names)
			for _, name := range names {
				ex := m.media.Examples[name]
				fmt.Fprintf(&b, "\n%s, for `%s`:\n", name, ex.Summary)
				writeExample(&b, m.typ, ex.Value)
			}
		}
		var others []string
		for code := range op.Responses {
			if code != "200" {
				others = append(others, code)
			}
		}
		if len(others) > 0 {
			slices.Sort(others)
			b.WriteString("\nOther answers, each `{\"error\": \"...\"}`:\n\n")
			for _, code := range others {
				fmt.Fprintf(&b, "- %s: %s\n", code, d.response(op.Responses[code]).Description)
			}
		}
	}
	b.WriteString("\n## Objects\n")
	for _, name := range []string{"Metric", "Record", "Finding", "Series", "Points", "Summary", "Window", "Listing", "WaitResult", "Error"} {
		s := d.Components.Schemas[name]
		if s == nil {
			return nil, fmt.Errorf("api/openapi.json has no schema %s", name)
		}
		fmt.Fprintf(&b, "\n### %s\n", name)
		if s.Description != "" {
			fmt.Fprintf(&b, "\n%s\n", s.Description)
		}
		props := s.Properties
		if len(s.AllOf) > 0 {
			var parts []string
			props = map[string]*schema{}
			for _, part := range s.AllOf {
				if ref, ok := strings.CutPrefix(part.Ref, "#/components/schemas/"); ok {
					parts = append(parts, ref)
				}
				for k, v := range part.Properties {
					props[k] = v
				}
			}
			fmt.Fprintf(&b, "\nThe fields of %s, and:\n", strings.Join(parts, ", "))
		}
		if name == "WaitResult" {
			props = withNested(props, s.Properties["expectations"].Items.Properties, "expectations[].")
		}
		writeProperties(&b, props)
	}
	return b.Bytes(), nil
}

// withNested adds the properties of a nested object under a prefix.
func withNested(props, nested map[string]*schema, prefix string) map[string]*schema {
	out := map[string]*schema{}
	for k, v := range props {
		out[k] = v
	}
	for k, v := range nested {
		out[prefix+k] = v
	}
	return out
}

func writeProperties(b *bytes.Buffer, props map[string]*schema) {
	if len(props) == 0 {
		return
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b.WriteString("\n| field | type | meaning |\n|---|---|---|\n")
	for _, k := range keys {
		p := props[k]
		typ := ""
		switch t := p.Type.(type) {
		case string:
			typ = t
			if t == "array" && p.Items != nil {
				if ref, ok := strings.CutPrefix(p.Items.Ref, "#/components/schemas/"); ok {
					typ = "array of " + ref
				} else if it, ok := p.Items.Type.(string); ok {
					typ = "array of " + it
				}
			}
		case nil:
			if ref, ok := strings.CutPrefix(p.Ref, "#/components/schemas/"); ok {
				typ = ref
			} else {
				typ = "any"
			}
		}
		if len(p.Enum) > 0 {
			typ += ": " + strings.Join(p.Enum, ", ")
		}
		fmt.Fprintf(b, "| `%s` | %s | %s |\n", k, typ, p.Description)
	}
}

type namedMedia struct {
	typ   string
	media *media
}

func sortedMedia(m map[string]*media) []namedMedia {
	var out []namedMedia
	for typ, md := range m {
		out = append(out, namedMedia{typ, md})
	}
	slices.SortFunc(out, func(a, b namedMedia) int { return strings.Compare(a.typ, b.typ) })
	return out
}

func writeExample(b *bytes.Buffer, typ string, raw json.RawMessage) {
	if strings.HasPrefix(typ, "application/json") {
		var out bytes.Buffer
		if json.Indent(&out, raw, "", "  ") == nil {
			fmt.Fprintf(b, "\n```json\n%s\n```\n", out.String())
			return
		}
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(raw)
	}
	fmt.Fprintf(b, "\n```text\n%s\n```\n", strings.TrimRight(s, "\n"))
}

// slug is the anchor GitHub gives a heading.
func slug(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}
