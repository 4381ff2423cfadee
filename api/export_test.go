package api

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/fakegraf/fakegraf/parse"
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

// FloorStore is a Store whose Result keeps only the parts of a record that
// the API cannot answer without, record by record: its header and data in
// the arena and the ring (/records, /findings) and, with Series, each
// metric counted in its series (/series). It keeps no values (/metrics,
// /points) and batches nothing. BenchmarkAPIOwnCost measures it beside the
// real store: what the store costs beyond it is the values and the store's
// own bookkeeping. Its other methods are the Store's.
//
// It keeps the header with keepLocked's arena and ring steps written out,
// not with keepLocked itself: keepLocked with no metric still encodes an
// empty body and looks the listener's name up, and measured that way the
// two floors read about 3 points higher (11.0 and 18.0 % against 7.8 to
// 8.0 and 14.7 %), the second above the real store. Keep the steps in
// step with keepLocked.
type FloorStore struct {
	*Store
	Series bool
}

// Result is part of serve.Sink.
func (f FloorStore) Result(r *parse.Result) {
	s := f.Store
	s.mu.Lock()
	defer s.mu.Unlock()
	s.coll.Result(r)
	s.lastID++
	s.hdr = appendHeader(s.hdr[:0], r, &s.names)
	if f.Series {
		for _, m := range r.Metrics {
			s.series.trim(s.series.add(m, m.Time().UnixNano(), r.Record.Listener, s.lastID))
		}
	}
	at, room := s.arena.room()
	b := append(room, s.hdr...)
	s.makeRoom(len(b), len(r.Metrics))
	var chunk uint64
	var off uint32
	if s.arena.wrote(at, b) {
		chunk, off = s.arena.grow(len(b))
	} else {
		chunk, off = s.arena.add(s.hdr)
	}
	s.records.push(entry{id: s.lastID, chunk: chunk, off: off, n: uint32(len(b)), metrics: uint32(len(r.Metrics)), received: unixNano(r.Record.Received)}, s.keep)
	s.metrics += len(r.Metrics)
	s.bytes += len(b)
}
