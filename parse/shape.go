package parse

import "math"

// shapeMemo remembers the shape of the last clean record of a pipeline: its
// parsed metrics' names, tag keys and values, field keys, the kind of each
// field's value and the text of string values. The Shape rules (Rule.Shape)
// read nothing else of a record, so a record of the same shape cannot give
// them a finding, and the pipeline skips them: a sender repeats one shape
// record after record, and on such a record these rules were about half of
// what the rules cost.
//
// The memo keeps only what comparing costs less than the rules: records of
// at most shapeMaxMetrics metrics. It refers to the strings of the record
// it remembers (no copy), which keeps them alive until the next clean record
// of another shape replaces it.
type shapeMemo struct {
	ok    bool
	kind  recordKind
	stage *Stage
	// strs are, per metric: the name, each tag's key and value, each
	// field's key, and each string field's value.
	strs []string
	// sizes are, per metric: the number of tags, the number of fields, then
	// each field's valueKind.
	sizes []int
}

const shapeMaxMetrics = 4

// valueKind is what the Shape rules tell field values apart by: the type,
// and for unsigned values whether they fit an int64 (uint-overflow).
type valueKind int

const (
	kindOther valueKind = iota
	kindFloat
	kindInt
	kindUint
	kindBigUint // above math.MaxInt64
	kindBool
	kindString
)

func kindOf(v any) valueKind {
	switch v := v.(type) {
	case float64:
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

// matches says that ms have the remembered shape, for a record of kind k
// parsed by stage.
func (s *shapeMemo) matches(k recordKind, stage *Stage, ms []ParsedMetric) bool {
	if !s.ok || k != s.kind || stage != s.stage || len(ms) == 0 || len(ms) > shapeMaxMetrics {
		return false
	}
	si, ni := 0, 0
	for i := range ms {
		m := &ms[i]
		if ni+2 > len(s.sizes) || s.sizes[ni] != len(m.tags) || s.sizes[ni+1] != len(m.fields) {
			return false
		}
		ni += 2
		if si+1+2*len(m.tags)+len(m.fields) > len(s.strs) || s.strs[si] != m.name {
			return false
		}
		si++
		for _, t := range m.tags {
			if s.strs[si] != t.Key || s.strs[si+1] != t.Value {
				return false
			}
			si += 2
		}
		if ni+len(m.fields) > len(s.sizes) {
			return false
		}
		for _, f := range m.fields {
			k := kindOf(f.Value)
			if s.strs[si] != f.Key || s.sizes[ni] != int(k) {
				return false
			}
			si++
			ni++
			if k == kindString {
				if si >= len(s.strs) || s.strs[si] != f.Value.(string) {
					return false
				}
				si++
			}
		}
	}
	return si == len(s.strs) && ni == len(s.sizes)
}

// remember makes ms, of a record of kind k parsed by stage, the shape to
// match; more than shapeMaxMetrics metrics forget the shape instead.
func (s *shapeMemo) remember(k recordKind, stage *Stage, ms []ParsedMetric) {
	s.ok = len(ms) > 0 && len(ms) <= shapeMaxMetrics
	if !s.ok {
		s.strs, s.sizes = s.strs[:0], s.sizes[:0]
		return
	}
	s.kind, s.stage = k, stage
	s.strs, s.sizes = s.strs[:0], s.sizes[:0]
	for i := range ms {
		m := &ms[i]
		s.sizes = append(s.sizes, len(m.tags), len(m.fields))
		s.strs = append(s.strs, m.name)
		for _, t := range m.tags {
			s.strs = append(s.strs, t.Key, t.Value)
		}
		for _, f := range m.fields {
			k := kindOf(f.Value)
			s.sizes = append(s.sizes, int(k))
			s.strs = append(s.strs, f.Key)
			if k == kindString {
				s.strs = append(s.strs, f.Value.(string))
			}
		}
	}
}

// forget clears the memo: the next record runs every rule.
func (s *shapeMemo) forget() { s.ok = false }
