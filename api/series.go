package api

import (
	"slices"
	"strings"

	"github.com/influxdata/telegraf"
)

// seriesIndex keeps one aggregate per series (measurement and tag set) of
// every metric since the last reset, updated as each record is stored.
//
// Why not compute /series from the kept records: that decodes every kept
// metric (up to --keep) on each call, and the page asks every few seconds
// under traffic, which cost an open page some 15 % of ingest CPU. Updating
// an aggregate costs a map lookup per metric. It also makes the counts
// exact since the reset rather than bounded by --keep.
//
// Memory is bounded like the records': beyond the most series or bytes the
// least recently seen series is let go and counted in dropped, so a sender
// with a unique tag per metric cannot grow fakegraf without limit.
type seriesIndex struct {
	byKey    map[string]*seriesAgg
	newest   *seriesAgg // the recency list, newest first
	oldest   *seriesAgg
	bytes    int
	maxN     int
	maxBytes int
	dropped  uint64 // series let go since the reset
	// For the record being encoded (codec.go): a metric's key, and the
	// series of its metrics, in case it is encoded again elsewhere.
	key   []byte
	seen  []*seriesAgg
	order []int // a metric's fields' order in its template (templateOrder)
}

// seriesAgg is what is known of one series.
type seriesAgg struct {
	key          string
	name         string
	tags         []telegraf.Tag
	listeners    []string
	count        uint64
	first, last  int64
	lastRecord   uint64 // the id of the newest record with a metric of it
	fields       []aggField
	size         int // its share of seriesIndex.bytes
	newer, older *seriesAgg
	tmpl         template
}

// template is the metric of a series last written in full (codec.go):
// where, and its fields, each as the index of its aggField and its type.
type template struct {
	chunk  uint64
	off    int
	ok     bool
	fields []tmplField
}

type tmplField struct {
	index int32
	typ   uint8
}

// aggField is one field of a series: the type of its last value, every
// type it has had (only once that changed), and the last value.
type aggField struct {
	key      string
	typ      uint8
	types    []uint8
	last     any
	lastSize int // the bytes of last, when a string
}

// seriesOverhead approximates what a series costs beyond its strings:
// the aggregate, its map entry and slices.
const seriesOverhead = 256

func newSeriesIndex(maxN, maxBytes int) seriesIndex {
	return seriesIndex{byKey: map[string]*seriesAgg{}, maxN: maxN, maxBytes: maxBytes}
}

// add counts m, of record id, which arrived on listener, in its series,
// and returns the series; t is its time. The caller records its fields
// (setField, setValue) and then calls trim.
func (x *seriesIndex) add(m telegraf.Metric, t int64, listener string, id uint64) *seriesAgg {
	x.key = appendKey(x.key[:0], m)
	s := x.lookup(x.key, m, t, listener)
	if s != x.newest {
		x.unlink(s)
		x.pushNewest(s)
	}
	s.count++
	s.lastRecord = id
	s.first, s.last = min(s.first, t), max(s.last, t)
	if listener != s.listeners[len(s.listeners)-1] && !slices.Contains(s.listeners, listener) {
		s.listeners = append(s.listeners, listener)
	}
	return s
}

// lookup is the series of key, the encoded name and tags of m, which it
// creates (with nothing counted yet) if there is none.
func (x *seriesIndex) lookup(key []byte, m telegraf.Metric, t int64, listener string) *seriesAgg {
	s := x.byKey[string(key)]
	if s == nil {
		tags := m.TagList()
		s = &seriesAgg{key: string(key), name: strings.Clone(m.Name()), first: t, last: t, listeners: []string{listener}}
		s.tags = make([]telegraf.Tag, len(tags))
		for i, tg := range tags {
			s.tags[i] = telegraf.Tag{Key: strings.Clone(tg.Key), Value: strings.Clone(tg.Value)}
		}
		s.size = seriesOverhead + 2*len(s.key)
		x.bytes += s.size
		x.byKey[s.key] = s
		x.pushNewest(s)
	}
	return s
}

// trim lets go of the least recently seen series beyond the bounds, but
// not s, the one just seen.
func (x *seriesIndex) trim(s *seriesAgg) {
	for x.oldest != nil && x.oldest != s && (len(x.byKey) > x.maxN || x.bytes > x.maxBytes) {
		x.drop(x.oldest)
	}
}

// setField records field f, the i-th of its metric, of type typ, and says
// which of s.fields it is: a sender writes its fields in the same order
// each time, so the i-th is looked at first.
func (x *seriesIndex) setField(s *seriesAgg, i int, f *telegraf.Field, typ uint8) int {
	k := -1
	if i < len(s.fields) && s.fields[i].key == f.Key {
		k = i
	} else {
		for j := range s.fields {
			if s.fields[j].key == f.Key {
				k = j
				break
			}
		}
	}
	if k < 0 {
		s.fields = append(s.fields, aggField{key: strings.Clone(f.Key), typ: typ})
		k = len(s.fields) - 1
		// Its aggField and its slot in the template.
		s.size += len(f.Key) + 40
		x.bytes += len(f.Key) + 40
	}
	x.setValue(s, &s.fields[k], typ, f.Value)
	return k
}

// setValue records v, of type typ, as the last value of af, of s.
func (x *seriesIndex) setValue(s *seriesAgg, af *aggField, typ uint8, v any) {
	if typ != af.typ {
		if len(af.types) == 0 {
			af.types = []uint8{af.typ}
		}
		if !slices.Contains(af.types, typ) {
			af.types = append(af.types, typ)
		}
		af.typ = typ
	}
	// A string value is kept as it came; its bytes count against the bound.
	if typ == typeString || af.lastSize > 0 {
		str, _ := v.(string)
		s.size += len(str) - af.lastSize
		x.bytes += len(str) - af.lastSize
		af.lastSize = len(str)
	}
	af.last = v
}

func valueType(v any) uint8 {
	switch v.(type) {
	case float64:
		return typeFloat
	case int64:
		return typeInt
	case uint64:
		return typeUint
	case bool:
		return typeBool
	default:
		return typeString
	}
}

func (x *seriesIndex) pushNewest(s *seriesAgg) {
	s.newer, s.older = nil, x.newest
	if x.newest != nil {
		x.newest.newer = s
	}
	x.newest = s
	if x.oldest == nil {
		x.oldest = s
	}
}

func (x *seriesIndex) unlink(s *seriesAgg) {
	if s.newer != nil {
		s.newer.older = s.older
	} else {
		x.newest = s.older
	}
	if s.older != nil {
		s.older.newer = s.newer
	} else {
		x.oldest = s.newer
	}
	s.newer, s.older = nil, nil
}

func (x *seriesIndex) drop(s *seriesAgg) {
	x.unlink(s)
	delete(x.byKey, s.key)
	x.bytes -= s.size
	x.dropped++
}

func (x *seriesIndex) reset() {
	*x = newSeriesIndex(x.maxN, x.maxBytes)
}

// seriesFilter selects series: every condition given must hold.
func (f *metricFilter) matchSeries(s *seriesAgg) bool {
	if f.name != "" && s.name != f.name {
		return false
	}
	for _, c := range f.tags {
		i := slices.IndexFunc(s.tags, func(t telegraf.Tag) bool { return t.Key == c.key })
		if i < 0 || !c.any && s.tags[i].Value != c.value {
			return false
		}
	}
	if f.field != "" && !slices.ContainsFunc(s.fields, func(a aggField) bool { return a.key == f.field }) {
		return false
	}
	if f.listener != "" && !slices.Contains(s.listeners, f.listener) {
		return false
	}
	return f.since.IsZero() || s.last >= f.since.UnixNano()
}

// seriesLocked copies the series f selects, sorted by measurement and then
// tags, for encoding outside the lock. The caller holds s.mu.
func (s *Store) seriesLocked(f *metricFilter) []series {
	s.flushLocked()
	var out []*seriesAgg
	for _, a := range s.series.byKey {
		if f.matchSeries(a) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, compareSeries)
	list := make([]series, len(out))
	for i, a := range out {
		tags := make(map[string]string, len(a.tags))
		for _, t := range a.tags {
			tags[t.Key] = t.Value
		}
		fields := make(map[string]*seriesField, len(a.fields))
		for _, af := range a.fields {
			sf := &seriesField{Type: typeNames[af.typ], Last: jsonValue(af.last)}
			for _, t := range af.types {
				sf.Types = append(sf.Types, typeNames[t])
			}
			fields[af.key] = sf
		}
		list[i] = series{Name: a.name, Tags: tags, Listeners: slices.Clone(a.listeners), Count: int(a.count),
			FirstTime: a.first, FirstTimeRFC3339: timeRFC(a.first), LastTime: a.last, LastTimeRFC3339: timeRFC(a.last), Fields: fields}
	}
	return list
}

// pointsNeededLocked says, for a points listing of the newest limit points
// per series, which series have metrics among the kept records: each is
// done once it has limit points. It is nil when the listing must read
// everything kept: no limit, or series were let go (one of them may still
// have metrics kept). The caller holds s.mu.
func (s *Store) pointsNeededLocked(f *metricFilter, limit int) map[string]struct{} {
	s.flushLocked()
	if limit <= 0 || s.series.dropped > 0 || s.records.n == 0 {
		return nil
	}
	oldest := s.records.at(0).id
	need := map[string]struct{}{}
	for _, a := range s.series.byKey {
		if a.lastRecord >= oldest && f.matchSeries(a) {
			need[a.key] = struct{}{}
		}
	}
	return need
}

// compareSeries orders series by measurement, then tags.
func compareSeries(a, b *seriesAgg) int {
	if c := strings.Compare(a.name, b.name); c != 0 {
		return c
	}
	for i := range min(len(a.tags), len(b.tags)) {
		if c := strings.Compare(a.tags[i].Key, b.tags[i].Key); c != 0 {
			return c
		}
		if c := strings.Compare(a.tags[i].Value, b.tags[i].Value); c != 0 {
			return c
		}
	}
	return len(a.tags) - len(b.tags)
}
