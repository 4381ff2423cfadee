package parse

import (
	"math"
	"slices"
)

// shapeMemo remembers the shapes of the metrics of recent clean records, so
// that a record whose metrics all have a remembered shape skips the Shape
// rules (Rule.Shape). A metric's shape is its measurement name, its tag
// keys, its field keys and the kind of each field's value (shapeKind); a
// metric matches a remembered shape when those are equal and each tag value
// and string field value is plain (plainByte). A sender repeats a handful
// of shapes, with varying tag values (host=web1, host=web2), and on such a
// record the Shape rules were about half of what the rules cost.
//
// The memo holds one shape per measurement name, at most shapeEntries of
// them: a new shape of a name replaces the old one. It refers to the
// strings of the metrics it remembers, without copying them.
type shapeMemo struct {
	entries [shapeEntries]shapeEntry
	next    int // the entry a new name replaces, round robin
	hit     int // the entry found last: a sender repeats a name
}

const shapeEntries = 8

type shapeEntry struct {
	ok    bool
	kind  recordKind
	stage *Stage
	name  string
	tags  []string // keys
	// values are the tag values: one equal to the remembered value is
	// plain without a look at each byte, and a sender's tags mostly stay.
	values []string
	// fields are the field keys, kinds their values' kinds.
	fields []string
	kinds  []shapeKind
}

// shapeKind is what the Shape rules tell field values apart by: the type,
// whether a float is a number, and whether an unsigned value fits an int64.
type shapeKind uint8

const (
	kindOther shapeKind = iota
	kindFloat
	kindBadFloat // NaN or ±Inf (precision-loss)
	kindInt
	kindUint
	kindBigUint // above math.MaxInt64
	kindBool
	kindString
)

func kindOf(v any) shapeKind {
	switch v := v.(type) {
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return kindBadFloat
		}
		return kindFloat
	case int64:
		return kindInt
	case uint64:
		if v > math.MaxInt64 {
			return kindBigUint
		}
		return kindUint
	case bool:
		return kindBool
	case string:
		return kindString
	}
	return kindOther
}

// plainByte are the bytes of a plain value: printable ASCII but for the
// characters a name or value can be wrong with (forbidden-char's ':', '|',
// ',', '=', ' ', quotes) and the backslash (tag-trailing-backslash).
var plainByte = func() (t [256]bool) {
	for c := 0x21; c < 0x7f; c++ {
		t[c] = true
	}
	for _, c := range []byte(":|,= \"'\\") {
		t[c] = false
	}
	return t
}()

func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if !plainByte[s[i]] {
			return false
		}
	}
	return true
}

// matches says that every metric of ms has a remembered shape, for a
// record of kind k parsed by stage.
func (s *shapeMemo) matches(k recordKind, stage *Stage, ms []ParsedMetric) bool {
	if len(ms) == 0 {
		return false
	}
	for i := range ms {
		e := s.find(k, stage, ms[i].name)
		if e == nil || !e.matches(&ms[i]) {
			return false
		}
	}
	return true
}

func (s *shapeMemo) find(k recordKind, stage *Stage, name string) *shapeEntry {
	if e := &s.entries[s.hit]; e.is(k, stage, name) {
		return e
	}
	for i := range s.entries {
		if e := &s.entries[i]; e.is(k, stage, name) {
			s.hit = i
			return e
		}
	}
	return nil
}

func (e *shapeEntry) is(k recordKind, stage *Stage, name string) bool {
	return e.ok && e.stage == stage && e.name == name && e.kind == k
}

func (e *shapeEntry) matches(m *ParsedMetric) bool {
	if len(m.tags) != len(e.tags) || len(m.fields) != len(e.fields) {
		return false
	}
	for i, t := range m.tags {
		if t.Key != e.tags[i] || t.Value != e.values[i] && !plain(t.Value) {
			return false
		}
	}
	for i, f := range m.fields {
		j := i
		if f.Key != e.fields[i] {
			// Telegraf's JSON parser makes fields from a map, in random
			// order (tags are kept sorted).
			if j = slices.Index(e.fields, f.Key); j < 0 {
				return false
			}
		}
		k := kindOf(f.Value)
		if k != e.kinds[j] || k == kindString && !plain(f.Value.(string)) {
			return false
		}
	}
	return true
}

// remember adds the shapes of ms, the metrics of a clean record of kind k
// parsed by stage, replacing any shape of the same name.
func (s *shapeMemo) remember(k recordKind, stage *Stage, ms []ParsedMetric) {
	for i := range ms {
		m := &ms[i]
		e := s.find(k, stage, m.name)
		if e != nil && e.matches(m) {
			continue
		}
		if e == nil {
			for j := range s.entries {
				if s.entries[j].ok && s.entries[j].name == m.name {
					e = &s.entries[j] // the name's shape of another kind
					break
				}
			}
		}
		if e == nil {
			e = &s.entries[s.next]
			s.next = (s.next + 1) % shapeEntries
		}
		*e = shapeEntry{ok: true, kind: k, stage: stage, name: m.name, tags: e.tags[:0], values: e.values[:0], fields: e.fields[:0], kinds: e.kinds[:0]}
		for _, t := range m.tags {
			e.tags = append(e.tags, t.Key)
			e.values = append(e.values, t.Value)
		}
		for _, f := range m.fields {
			e.fields = append(e.fields, f.Key)
			e.kinds = append(e.kinds, kindOf(f.Value))
		}
	}
}
