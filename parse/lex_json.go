package parse

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// jsonLeaf is one scalar of a JSON object, under the key Telegraf's
// json_flattener.go gives it (parent_child, array_0).
type jsonLeaf struct {
	Key       string
	Kind      byte   // 's' string, 'n' number, 'b' bool, 'z' null
	Raw       string // the literal as written
	Str       string // the decoded string, for 's'
	KeyOff    int    // the innermost member name (its opening quote), or the value for array items
	ValueOff  int
	TopMember bool // a member of the object itself, not nested
}

// jsonObject is one object that becomes one metric: the document, or one
// element of a top-level array.
type jsonObject struct {
	Off    int
	Leaves []jsonLeaf
	// Repeated are the member names written twice in one object, at any
	// depth: encoding/json, which the json parser unmarshals with, keeps
	// the last value of each.
	Repeated []jsonRepeat
}

// jsonRepeat is a member name written again in the same object.
type jsonRepeat struct {
	Key         string // the member's flattened name (parent_child)
	First, Last string // the values as written, the first and the one kept
	KeyOff      int    // the name's last occurrence
}

type jsonDoc struct {
	Objects []jsonObject
}

// lexJSON walks the JSON the json parser would parse (after json_query, the
// whitespace and BOM trim of plugins/parsers/json/parser.go Parse) with
// gjson, which keeps every value's offset (Result.Index). It returns nil for
// invalid JSON or a shape the parser rejects.
func lexJSON(data []byte, query string) *jsonDoc {
	base := 0
	buf := data
	if query != "" {
		r := gjson.GetBytes(data, query)
		if !r.IsObject() && !r.IsArray() {
			return nil
		}
		buf = []byte(r.Raw)
		base = r.Index
		if base <= 0 || base+len(buf) > len(data) || !bytes.Equal(data[base:base+len(buf)], buf) {
			base = 0 // a computed result (a gjson modifier) has no place in the record
		}
	}
	start := jsonStart(buf)
	if !json.Valid(bytes.TrimSpace(buf[start:])) {
		return nil
	}
	root := gjson.Parse(string(buf[start:])) // skips the blanks after a BOM
	base += start
	doc := &jsonDoc{}
	switch {
	case root.IsObject():
		doc.Objects = append(doc.Objects, jsonObjectAt(root, base))
	case root.IsArray():
		ok := true
		root.ForEach(func(_, v gjson.Result) bool {
			if ok = v.IsObject(); ok {
				doc.Objects = append(doc.Objects, jsonObjectAt(v, base))
			}
			return ok
		})
		if !ok {
			return nil
		}
	default:
		return nil
	}
	return doc
}

// jsonObjectAt is the object o, whose offsets count from base.
func jsonObjectAt(o gjson.Result, base int) jsonObject {
	obj := jsonObject{Off: base + o.Index}
	jsonMembers(o, "", true, base, &obj)
	return obj
}

// jsonMembers adds the leaves of object o's members to obj, and notes the
// member names o repeats.
func jsonMembers(o gjson.Result, parent string, top bool, base int, obj *jsonObject) {
	var names []string
	var values []gjson.Result
	o.ForEach(func(k, m gjson.Result) bool {
		name := jsonString(k)
		for i, n := range names { // objects are small; a repeat is rare
			if n == name {
				obj.Repeated = append(obj.Repeated, jsonRepeat{Key: flatKey(parent, name), First: values[i].Raw, Last: m.Raw, KeyOff: base + k.Index})
				values[i] = m
				break
			}
		}
		names, values = append(names, name), append(values, m)
		jsonLeaves(m, flatKey(parent, name), base+k.Index, top, base, obj)
		return true
	})
}

// jsonLeaves adds the scalars in v under the keys json_flattener.go
// gives them (parent_child, array_0). keyOff is the offset of v's member
// name, -1 for an array item; top says v is a member of the metric object.
func jsonLeaves(v gjson.Result, key string, keyOff int, top bool, base int, obj *jsonObject) {
	off := base + v.Index
	switch {
	case v.IsObject():
		jsonMembers(v, key, false, base, obj)
		return
	case v.IsArray():
		n := 0
		v.ForEach(func(_, item gjson.Result) bool {
			jsonLeaves(item, flatKey(key, strconv.Itoa(n)), -1, false, base, obj)
			n++
			return true
		})
		return
	}
	if keyOff < 0 {
		keyOff = off
	}
	leaf := jsonLeaf{Key: key, Raw: v.Raw, KeyOff: keyOff, ValueOff: off, TopMember: top}
	switch v.Type {
	case gjson.String:
		leaf.Kind, leaf.Str = 's', jsonString(v)
	case gjson.Number:
		leaf.Kind = 'n'
	case gjson.True, gjson.False:
		leaf.Kind = 'b'
	default:
		leaf.Kind = 'z'
	}
	obj.Leaves = append(obj.Leaves, leaf)
}

// flatKey is json_flattener.go's name for member k of parent.
func flatKey(parent, k string) string {
	if parent == "" {
		return k
	}
	return parent + "_" + k
}

// jsonString is a string's value as encoding/json (which Telegraf's json
// parser uses) decodes it: gjson's own decoding differs on invalid UTF-8
// and lone surrogates, so anything but plain text goes through encoding/json.
func jsonString(r gjson.Result) string {
	if strings.IndexByte(r.Raw, '\\') < 0 && utf8.ValidString(r.Raw) {
		return r.Str
	}
	var s string
	_ = json.Unmarshal([]byte(r.Raw), &s)
	return s
}
