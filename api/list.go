package api

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/influxdata/telegraf"

	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/report"
)

// metricFilter selects metrics: every condition given must hold.
type metricFilter struct {
	name     string
	tags     []tagCond
	field    string
	listener string
	since    time.Time
	limit    int // the newest N; 0: all
}

// tagCond is tag=k:v, or tag=k for a tag that is present.
type tagCond struct {
	key, value string
	any        bool
}

func parseMetricFilter(q url.Values) (metricFilter, error) {
	f := metricFilter{name: q.Get("name"), field: q.Get("field"), listener: q.Get("listener")}
	for _, t := range q["tag"] {
		k, v, ok := strings.Cut(t, ":")
		if k == "" {
			return f, fmt.Errorf("tag=%q: want tag=key:value, or tag=key for any value", t)
		}
		f.tags = append(f.tags, tagCond{key: k, value: v, any: !ok})
	}
	var err error
	if f.since, err = parseSince(q.Get("since")); err != nil {
		return f, err
	}
	f.limit, err = parseLimit(q.Get("limit"))
	return f, err
}

func (f *metricFilter) match(m telegraf.Metric) bool {
	if f.name != "" && m.Name() != f.name {
		return false
	}
	for _, t := range f.tags {
		v, ok := m.GetTag(t.key)
		if !ok || !t.any && v != t.value {
			return false
		}
	}
	if f.field != "" && !m.HasField(f.field) {
		return false
	}
	return f.since.IsZero() || !m.Time().Before(f.since)
}

// metricRef is a kept metric with where it came from.
type metricRef struct {
	id       uint64 // the record's
	listener string
	seq      uint64
	m        telegraf.Metric
}

// selectMetrics returns the kept metrics that match f, newest last: the
// newest f.limit of them when it is set, with how many matched in all. It
// holds the lock only to collect references; encoding happens outside it.
func (s *Store) selectMetrics(f metricFilter) (refs []metricRef, matched int, win window) {
	s.mu.Lock()
	defer s.mu.Unlock()
	win = s.windowLocked()
	for i := s.records.n - 1; i >= 0; i-- {
		e := s.records.at(i)
		if f.listener != "" && e.rec.Listener != f.listener {
			continue
		}
		for j := len(e.metrics) - 1; j >= 0; j-- {
			if !f.match(e.metrics[j]) {
				continue
			}
			matched++
			if f.limit == 0 || len(refs) < f.limit {
				refs = append(refs, metricRef{e.id, e.rec.Listener, e.rec.Seq, e.metrics[j]})
			}
		}
	}
	slices.Reverse(refs)
	return refs, matched, win
}

// listHead is what every listing says besides its items.
type listHead struct {
	Matched  int `json:"matched"`  // items that match the filters among those kept
	Returned int `json:"returned"` // items in this response (limit)
	window
}

// writeList streams a JSON object: head's fields, then key with n items,
// each encoded as it is made, so that a long listing is never held whole.
func writeList(w http.ResponseWriter, head any, key string, n int, item func(i int) any) {
	w.Header().Set("Content-Type", "application/json")
	bw := bufio.NewWriterSize(w, 64<<10)
	b, _ := json.Marshal(head)
	bw.Write(b[:len(b)-1])
	fmt.Fprintf(bw, ",%q:[", key)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range n {
		if i > 0 {
			bw.WriteByte(',')
		}
		_ = enc.Encode(item(i))
	}
	bw.WriteString("]}\n")
	_ = bw.Flush()
}

// apiMetric is a metric in a listing: the metric event's object with the
// id of its record in this API.
type apiMetric struct {
	RecordID uint64 `json:"record_id"`
	report.WireMetric
}

func metricObject(r metricRef) apiMetric {
	return apiMetric{r.id, report.MetricEvent(r.listener, r.seq, r.m)}
}

func (h *handler) metrics(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := parseMetricFilter(q)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "lp" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("format=%q: use json (the default) or lp (line protocol)", format))
		return
	}
	refs, matched, win := h.store.selectMetrics(f)
	if format == "lp" {
		// What [[outputs.file]] with data_format = "influx" writes;
		// a metric Telegraf's serializer refuses is left out, as there.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Fakegraf-Dropped-Metrics", strconv.FormatUint(win.DroppedMetrics, 10))
		bw := bufio.NewWriterSize(w, 64<<10)
		mw, err := report.NewMetricsWriter(bw)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		for _, ref := range refs {
			_ = mw.Write([]telegraf.Metric{ref.m})
		}
		_ = bw.Flush()
		return
	}
	writeList(w, listHead{matched, len(refs), win}, "metrics", len(refs), func(i int) any { return metricObject(refs[i]) })
}

// timeJSON writes a time both ways: nanoseconds since the epoch, and RFC
// 3339 with nanoseconds.
func timeNS(t time.Time) int64   { return t.UnixNano() }
func timeRFC(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
func seriesKey(m telegraf.Metric) string {
	var b strings.Builder
	b.WriteString(m.Name())
	for _, t := range m.TagList() {
		b.WriteByte(0)
		b.WriteString(t.Key)
		b.WriteByte(0)
		b.WriteString(t.Value)
	}
	return b.String()
}

// jsonValue is a field value JSON can hold: NaN and infinities become
// strings, as in the metric event.
func jsonValue(v any) any {
	if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return v
}

type seriesField struct {
	Type  string   `json:"type"`            // the type of its last value
	Types []string `json:"types,omitempty"` // every type seen, when it changed
	Last  any      `json:"last"`            // its last value
}

type series struct {
	Name             string                  `json:"name"`
	Tags             map[string]string       `json:"tags"`
	Listeners        []string                `json:"listeners"`
	Count            int                     `json:"count"`
	FirstTime        int64                   `json:"first_time"`
	FirstTimeRFC3339 string                  `json:"first_time_rfc3339"`
	LastTime         int64                   `json:"last_time"`
	LastTimeRFC3339  string                  `json:"last_time_rfc3339"`
	Fields           map[string]*seriesField `json:"fields"`
	first, last      time.Time
}

func (h *handler) series(w http.ResponseWriter, r *http.Request) {
	f, err := parseMetricFilter(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	refs, matched, win := h.store.selectMetrics(f)
	byKey := map[string]*series{}
	var keys []string
	for _, ref := range refs {
		k := seriesKey(ref.m)
		s := byKey[k]
		t := ref.m.Time()
		if s == nil {
			s = &series{Name: ref.m.Name(), Tags: ref.m.Tags(), Fields: map[string]*seriesField{}, first: t, last: t}
			byKey[k] = s
			keys = append(keys, k)
		}
		s.Count++
		if !slices.Contains(s.Listeners, ref.listener) {
			s.Listeners = append(s.Listeners, ref.listener)
		}
		if t.Before(s.first) {
			s.first = t
		}
		if !t.Before(s.last) {
			s.last = t
		}
		for _, fl := range ref.m.FieldList() {
			typ := report.TypeName(fl.Value)
			sf := s.Fields[fl.Key]
			if sf == nil {
				sf = &seriesField{Type: typ}
				s.Fields[fl.Key] = sf
			}
			if typ != sf.Type {
				if len(sf.Types) == 0 {
					sf.Types = []string{sf.Type}
				}
				if !slices.Contains(sf.Types, typ) {
					sf.Types = append(sf.Types, typ)
				}
			}
			sf.Type, sf.Last = typ, jsonValue(fl.Value)
		}
	}
	slices.Sort(keys)
	writeList(w, listHead{matched, len(keys), win}, "series", len(keys), func(i int) any {
		s := byKey[keys[i]]
		s.FirstTime, s.FirstTimeRFC3339 = timeNS(s.first), timeRFC(s.first)
		s.LastTime, s.LastTimeRFC3339 = timeNS(s.last), timeRFC(s.last)
		return s
	})
}

type point struct {
	Time        int64  `json:"time"`
	TimeRFC3339 string `json:"time_rfc3339"`
	Value       any    `json:"value"`
}

type pointSeries struct {
	Tags   map[string]string `json:"tags"`
	Points []point           `json:"points"`
}

func (h *handler) points(w http.ResponseWriter, r *http.Request) {
	f, err := parseMetricFilter(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if f.name == "" || f.field == "" {
		writeError(w, http.StatusBadRequest, "series/points wants name= and field=, e.g. ?name=cpu&field=usage_idle&tag=host:web1")
		return
	}
	limit := f.limit // per series
	f.limit = 0
	refs, matched, win := h.store.selectMetrics(f)
	byKey := map[string]*pointSeries{}
	var keys []string
	for _, ref := range refs {
		k := seriesKey(ref.m)
		s := byKey[k]
		if s == nil {
			s = &pointSeries{Tags: ref.m.Tags()}
			byKey[k] = s
			keys = append(keys, k)
		}
		v, _ := ref.m.GetField(f.field)
		t := ref.m.Time()
		s.Points = append(s.Points, point{timeNS(t), timeRFC(t), jsonValue(v)})
	}
	slices.Sort(keys)
	head := struct {
		Name  string `json:"name"`
		Field string `json:"field"`
		listHead
	}{f.name, f.field, listHead{matched, 0, win}}
	for _, k := range keys {
		s := byKey[k]
		if limit > 0 && len(s.Points) > limit {
			s.Points = s.Points[len(s.Points)-limit:]
		}
		head.Returned += len(s.Points)
	}
	writeList(w, head, "series", len(keys), func(i int) any { return byKey[keys[i]] })
}

// apiFinding is a finding in a listing, with the id of its record (none
// for a finding about the socket).
type apiFinding struct {
	RecordID uint64 `json:"record_id,omitempty"`
	report.WireDiagnostic
}

func (h *handler) listFindings(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rule, listener := q.Get("rule"), q.Get("listener")
	var sev parse.Severity
	if v := q.Get("severity"); v != "" {
		var err error
		if sev, err = parse.ParseSeverity(v); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("severity=%q: use info, warning or error", v))
			return
		}
	}
	limit, err := parseLimit(q.Get("limit"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	match := func(d *parse.Diagnostic) bool {
		return (rule == "" || d.Rule == rule) && (sev == 0 || d.Severity == sev) && (listener == "" || d.Source.Listener == listener)
	}
	s := h.store
	var out []apiFinding
	matched := 0
	s.mu.Lock()
	win := s.windowLocked()
	add := func(id uint64, d *parse.Diagnostic) {
		if match(d) {
			matched++
			out = append(out, apiFinding{id, report.Wire(*d)})
			if limit > 0 && len(out) > limit {
				out = out[1:] // the newest limit
			}
		}
	}
	j := 0
	for i := range s.records.n {
		e := s.records.at(i)
		for ; j < s.socket.n && s.socket.at(j).after < e.id; j++ {
			add(0, &s.socket.at(j).d)
		}
		for k := range e.findings {
			add(e.id, &e.findings[k])
		}
	}
	for ; j < s.socket.n; j++ {
		add(0, &s.socket.at(j).d)
	}
	s.mu.Unlock()
	writeList(w, listHead{matched, len(out), win}, "findings", len(out), func(i int) any { return out[i] })
}

// apiRecord is a record in this API: the record event's object with its
// id, Telegraf's error when the record was rejected, and its findings'
// number.
type apiRecord struct {
	ID uint64 `json:"id"`
	report.WireRecord
	Error    string `json:"error,omitempty"`
	Findings int    `json:"findings"`
}

func recordObject(e *entry) apiRecord {
	rec := report.RecordEvent(&parse.Result{Record: e.rec, Format: e.format, Metrics: e.metrics})
	o := apiRecord{ID: e.id, WireRecord: rec, Findings: len(e.findings)}
	if e.err != nil {
		o.Error = e.err.Error()
	}
	return o
}

func (h *handler) listRecords(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	listener := q.Get("listener")
	since, err := parseSince(q.Get("since"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	limit, err := parseLimit(q.Get("limit"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s := h.store
	var out []entry
	matched := 0
	s.mu.Lock()
	win := s.windowLocked()
	for i := s.records.n - 1; i >= 0; i-- {
		e := s.records.at(i)
		if listener != "" && e.rec.Listener != listener || !since.IsZero() && e.rec.Received.Before(since) {
			continue
		}
		matched++
		if limit == 0 || len(out) < limit {
			out = append(out, *e)
		}
	}
	s.mu.Unlock()
	slices.Reverse(out)
	writeList(w, listHead{matched, len(out), win}, "records", len(out), func(i int) any { return recordObject(&out[i]) })
}

func (h *handler) record(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("record id %q: want a whole number from 1, as the id of a record in /api/v1/records", r.PathValue("id")))
		return
	}
	s := h.store
	s.mu.Lock()
	var found *entry
	if s.records.n > 0 {
		if first := s.records.at(0).id; id >= first && id-first < uint64(s.records.n) {
			e := *s.records.at(int(id - first))
			found = &e
		}
	}
	last, keep := s.lastID, s.keep
	s.mu.Unlock()
	if found == nil {
		msg := fmt.Sprintf("no record %d yet: the last is %d", id, last)
		if id <= last {
			msg = fmt.Sprintf("record %d is no longer kept: fakegraf keeps the newest %d records and metrics (--keep), and forgets all of them on a reset", id, keep)
		}
		writeError(w, http.StatusNotFound, msg)
		return
	}
	out := struct {
		Record   apiRecord               `json:"record"`
		Metrics  []apiMetric             `json:"metrics"`
		Findings []report.WireDiagnostic `json:"findings"`
	}{Record: recordObject(found), Metrics: []apiMetric{}, Findings: []report.WireDiagnostic{}}
	for _, m := range found.metrics {
		out.Metrics = append(out.Metrics, metricObject(metricRef{found.id, found.rec.Listener, found.rec.Seq, m}))
	}
	for _, d := range found.findings {
		out.Findings = append(out.Findings, report.Wire(d))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) summary(w http.ResponseWriter, _ *http.Request) {
	s := h.store
	s.mu.Lock()
	sum := s.coll.Summary().Since(s.base)
	win := s.windowLocked()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, struct {
		*report.Summary
		window
	}{sum, win})
}

func (h *handler) reset(w http.ResponseWriter, r *http.Request) {
	var body struct{}
	if !readJSON(w, r, &body) {
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Cleared Cleared `json:"cleared"`
	}{h.store.Reset()})
}

// maxTimeout bounds a wait's timeout.
const maxTimeout = 10 * time.Minute

func (h *handler) wait(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Expect  []string `json:"expect"`
		Timeout string   `json:"timeout"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	if len(body.Expect) == 0 {
		writeError(w, http.StatusBadRequest, `"expect" is empty: give lines in --expect syntax, e.g. {"expect": ["at-least 1 cpu,host=web1 usage_idle:float"], "timeout": "5s"}`)
		return
	}
	timeout := 5 * time.Second
	if body.Timeout != "" {
		d, err := time.ParseDuration(body.Timeout)
		if err != nil || d < 0 || d > maxTimeout {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("timeout %q: want a duration from 0s to %s, such as 5s", body.Timeout, maxTimeout))
			return
		}
		timeout = d
	}
	exp, err := report.NewExpectLines("expect", body.Expect)
	if err != nil {
		writeError(w, http.StatusBadRequest, "expect: "+err.Error())
		return
	}
	res, err := h.store.Wait(r.Context(), exp, timeout)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, res)
}
