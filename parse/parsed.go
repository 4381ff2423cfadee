package parse

import (
	"time"

	"github.com/influxdata/telegraf"
)

// ParsedMetric is a parser's metric as it was before MakeMetric renamed,
// tagged, filtered and rounded it: what the sender's bytes said. It is a
// read-only view that shares the parser's Tag and Field values with the
// stored metric instead of copying them. That is safe because MakeMetric
// (models/running_input.go, models/makemetric.go) only adds tags that are
// absent, removes tags and fields from its own lists and renames the
// metric; it never changes a Tag or Field in place. A full Copy of every
// metric was 6 % of fakegraf's CPU per record.
type ParsedMetric struct {
	name   string
	tags   []*telegraf.Tag
	fields []*telegraf.Field
	time   time.Time
}

// Name is the measurement name the parser gave.
func (m *ParsedMetric) Name() string { return m.name }

// TagList is the parser's tags, sorted by key.
func (m *ParsedMetric) TagList() []*telegraf.Tag { return m.tags }

// FieldList is the parser's fields, in the parser's order.
func (m *ParsedMetric) FieldList() []*telegraf.Field { return m.fields }

// Time is the parser's timestamp, before the agent's rounding.
func (m *ParsedMetric) Time() time.Time { return m.time }

// GetTag returns the value of a tag.
func (m *ParsedMetric) GetTag(key string) (string, bool) {
	for _, t := range m.tags {
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

// GetField returns the value of a field.
func (m *ParsedMetric) GetField(key string) (interface{}, bool) {
	for _, f := range m.fields {
		if f.Key == key {
			return f.Value, true
		}
	}
	return nil, false
}

// viewParsed takes the views of a record's metrics before MakeMetric
// changes them, in three allocations for the whole record, or none when
// they fit in the record's inline room.
func viewParsed(ms []telegraf.Metric, room *inline) []ParsedMetric {
	if len(ms) == 0 {
		return nil
	}
	nTags, nFields := 0, 0
	for _, m := range ms {
		nTags += len(m.TagList())
		nFields += len(m.FieldList())
	}
	tags := room.tags[:0]
	if nTags > len(room.tags) {
		tags = make([]*telegraf.Tag, 0, nTags)
	}
	fields := room.fields[:0]
	if nFields > len(room.fields) {
		fields = make([]*telegraf.Field, 0, nFields)
	}
	out := room.parsed[:]
	if len(ms) > len(room.parsed) {
		out = make([]ParsedMetric, len(ms))
	}
	out = out[:len(ms)]
	for i, m := range ms {
		t, f := len(tags), len(fields)
		tags = append(tags, m.TagList()...)
		fields = append(fields, m.FieldList()...)
		out[i] = ParsedMetric{name: m.Name(), tags: tags[t:len(tags):len(tags)], fields: fields[f:len(fields):len(fields)], time: m.Time()}
	}
	return out
}

// inline is room in a Result for the views and the stored metrics of a
// record of one metric, the usual socket record: one allocation, the
// Result's, instead of five. Larger records allocate their own.
type inline struct {
	parsed  [1]ParsedMetric
	tags    [4]*telegraf.Tag
	fields  [4]*telegraf.Field
	metrics [1]telegraf.Metric
	index   [1]int
}
