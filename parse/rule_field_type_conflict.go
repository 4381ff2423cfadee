package parse

import (
	"fmt"
	"slices"

	"github.com/influxdata/telegraf"
)

const ruleFieldTypeConflict = "field-type-conflict"

func init() {
	Register(&Rule{
		ID:       ruleFieldTypeConflict,
		Severity: Error,
		Title:    "one measurement's field arrives as different types",
		Doc: "InfluxDB fixes a field's type (float, integer, string, boolean) with its first write; later writes " +
			"of another type are refused (\"partial write: field type conflict: input field \\\"value\\\" on " +
			"measurement \\\"cpu\\\" is type integer, already exists as type float dropped=1\", influxdb#3460). " +
			"In line protocol 1 is a float and 1i an integer; a sender that formats whole numbers with i, or " +
			"sends a number as a string sometimes, loses every point of the other type. fakegraf remembers " +
			"the first type of up to 10 000 fields (least recently used forgotten first).",
		Bad:      "cpu value=1\ncpu value=2i",
		Good:     "cpu value=1\ncpu value=2",
		Requires: []Fact{FactParts},
		Check:    checkFieldTypeConflict,
		Cases: []Case{
			{Name: "float then integer", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu value=1\n"}, {Data: "cpu value=∑2i\n"}}, Want: []Want{{"field-type-conflict", Error, 1}}},
			{Name: "in one record", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu value=1\ncpu value=∑\"x\"\n"}}, Want: []Want{{"field-type-conflict", Error, 1}}},
			{Name: "json string field then number", Config: caseJSONOverride + "\n" + `json_string_fields = ["v"]`, Records: []Rec{{Data: `{"v": "high"}`}, {Data: `{"v": ∑3}`}}, Want: []Want{{"field-type-conflict", Error, 1}}},
			{Name: "a batch after a clean batch of the same shape", HTTP: caseV2, Records: []Rec{{Query: "org=o&bucket=b", Data: "cpu,host=a v=1\ncpu,host=b v=2\n"}, {Query: "org=o&bucket=b", Data: "cpu,host=a v=1\ncpu,host=b v=∑2i\n"}}, Want: []Want{{"field-type-conflict", Error, 1}}},
			{Name: "near miss: floats, and integers elsewhere", Config: caseInfluxUDP, Records: []Rec{{Data: "cpu value=1\n"}, {Data: "cpu value=2.5\nmem value=3i\n"}}},
		},
	})
}

type firstType struct {
	typ  fieldType
	seq  uint64
	conn uint64
}

// fieldTypesCap bounds the memory of field-type-conflict: 10 000 fields of
// (measurement, field) at about 100 bytes each. The least recently seen
// field is forgotten first.
const fieldTypesCap = 10000

// fieldType is a field value's type as InfluxDB tells them apart: a small
// number, so that the fast path compares types without comparing strings.
type fieldType uint8

const (
	typeOther fieldType = iota // none: Telegraf's metrics hold only the four below
	typeFloat
	typeInteger
	typeString
	typeBoolean
)

func (t fieldType) String() string {
	return [...]string{"another type", "float", "integer", "string", "boolean"}[t]
}

func typeOf(v interface{}) fieldType {
	switch v.(type) {
	case float64:
		return typeFloat
	case int64, uint64:
		// Telegraf's influx output writes unsigned values as integers unless
		// influx_uint_support is set (plugins/serializers/influx/influx.go).
		return typeInteger
	case string:
		return typeString
	case bool:
		return typeBoolean
	}
	return typeOther
}

// fieldKey is a field of a measurement. A struct, not name+"\x00"+key: the
// lookup then costs no allocation.
type fieldKey struct{ measurement, field string }

func checkFieldTypeConflict(ctx *Context) {
	if len(ctx.Metrics) == 0 {
		return
	}
	st := ownState(ctx, func() *fieldTypes { return &fieldTypes{types: newLRU[fieldKey, firstType](fieldTypesCap)} })
	types := st.types
	var reported map[fieldKey]bool
	for i, m := range ctx.Metrics {
		if st.sameAsLast(m) {
			continue
		}
		conflicts := 0
		for _, f := range m.FieldList() {
			key := fieldKey{m.Name(), f.Key}
			t := typeOf(f.Value)
			first, ok := types.Get(key)
			if !ok {
				types.Put(key, firstType{typ: t, seq: ctx.Record.Seq, conn: ctx.Record.Conn})
				continue
			}
			if first.typ == t || reported[key] {
				continue
			}
			if reported == nil {
				reported = map[fieldKey]bool{}
			}
			reported[key] = true
			where := fmt.Sprintf("record #%d", first.seq)
			if first.seq == ctx.Record.Seq {
				where = "an earlier line of this record"
			}
			pos := Position{}
			if len(ctx.Metrics) == len(ctx.Parsed) {
				if off := ctx.partOffset(i, partFieldValue, f.Key); off >= 0 {
					pos = offsetPosition(ctx.Record.Data, off)
				}
			}
			ctx.Report(fmt.Sprintf("field %q of measurement %q arrives as %s, but %s sent it as %s: InfluxDB refuses the write (field type conflict) and the point is lost",
				f.Key, m.Name(), t, where, first.typ),
				pos, typeFixes(ctx, f.Key, first.typ.String(), t.String())...).Token = fmt.Sprintf("%s.%s %s then %s", m.Name(), f.Key, first.typ, t)
			conflicts++
		}
		if conflicts == 0 {
			st.remember(m)
		}
	}
}

// fieldTypes is field-type-conflict's memory: the first type of each field,
// and the shape of the last metric that agreed with them. A sender repeats
// one shape; a metric of that shape cannot conflict (first types never
// change), so it skips the lookups.
type fieldTypes struct {
	types      *lru[fieldKey, firstType]
	lastName   string
	lastFields []fieldSig
}

type fieldSig struct {
	key string
	typ fieldType
}

// sameAsLast says that m has the last metric's name and fields, with the
// same types, in any order: Telegraf's JSON parser makes the fields from a
// map, so that their order changes from one record to the next.
func (st *fieldTypes) sameAsLast(m telegraf.Metric) bool {
	fields := m.FieldList()
	if m.Name() != st.lastName || len(fields) != len(st.lastFields) {
		return false
	}
	for i, f := range fields {
		sig := &st.lastFields[i]
		if f.Key != sig.key {
			// A metric's keys are distinct, so that each of the last
			// metric's is matched once.
			j := slices.IndexFunc(st.lastFields, func(s fieldSig) bool { return s.key == f.Key })
			if j < 0 {
				return false
			}
			sig = &st.lastFields[j]
		}
		if typeOf(f.Value) != sig.typ {
			return false
		}
	}
	return true
}

func (st *fieldTypes) remember(m telegraf.Metric) {
	st.lastName = m.Name()
	st.lastFields = st.lastFields[:0]
	for _, f := range m.FieldList() {
		st.lastFields = append(st.lastFields, fieldSig{f.Key, typeOf(f.Value)})
	}
}

func typeFixes(ctx *Context, key, want, got string) []string {
	numeric := func(t string) bool { return t == "float" || t == "integer" }
	switch {
	case numeric(want) && numeric(got) && isInflux(ctx.Format):
		if want == "float" {
			return []string{fmt.Sprintf("write every value of %q as a float: %s=10, not %s=10i", key, key, key)}
		}
		return []string{fmt.Sprintf("write every value of %q as an integer, with the i suffix: %s=10i", key, key)}
	case numeric(want) && got == "string":
		return []string{fmt.Sprintf("send %q as a number every time, never as a string", key)}
	case want == "string" && numeric(got):
		return []string{fmt.Sprintf("send %q as a string every time (or as a number every time)", key)}
	}
	return []string{fmt.Sprintf("send %q as one type (%s) every time", key, want)}
}
