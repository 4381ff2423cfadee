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

// metricLevel says whether f looks inside metrics; without that, every
// metric of a record it keeps matches.
func (f *metricFilter) metricLevel() bool {
	return f.name != "" || len(f.tags) > 0 || f.field != "" || !f.since.IsZero()
}

func (f *metricFilter) match(m *rawMetric) bool {
	if f.name != "" && string(m.name) != f.name {
		return false
	}
	for _, t := range f.tags {
		v, ok := m.tag(t.key)
		if !ok || !t.any && string(v) != t.value {
			return false
		}
	}
	if f.field != "" && m.field(f.field) == nil {
		return false
	}
	return f.since.IsZero() || m.time >= f.since.UnixNano()
}

// metricsView copies, under the lock, the entries with metrics that f's
// listener keeps.
func (s *Store) metricsView(f *metricFilter) *view {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.metricsViewLocked(f)
}

func (s *Store) metricsViewLocked(f *metricFilter) *view {
	s.flushLocked()
	return s.metricsViewNewestLocked(f, s.records.n)
}

// metricsViewNewestLocked is metricsViewLocked for the newest n records;
// the view's older fetches the ones before.
func (s *Store) metricsViewNewestLocked(f *metricFilter, n int) *view {
	lid, known := s.names.index[f.listener]
	return s.viewNewestLocked(func(e *entry) bool {
		return e.metrics > 0 && (f.listener == "" || known && e.listener == lid)
	}, n)
}

// count is how many kept metrics match f.
func (v *view) count(f *metricFilter) int {
	n := 0
	if !f.metricLevel() {
		for i := range v.entries {
			n += int(v.entries[i].metrics)
		}
		return n
	}
	v.scan(f, 0, func(*header, uint64, *rawMetric) { n++ })
	return n
}

// scan calls fn with every kept metric that matches f, oldest first, after
// skipping the first skip of them. The header and metric are valid only
// during the call: they are read into buffers scan reuses.
func (v *view) scan(f *metricFilter, skip int, fn func(h *header, id uint64, m *rawMetric)) {
	var m rawMetric
	for i := range v.entries {
		e := &v.entries[i]
		if !f.metricLevel() && skip >= int(e.metrics) {
			skip -= int(e.metrics)
			continue
		}
		r := v.reader(e)
		h := r.readHeader()
		r.metricsLen()
		for k := 0; k < h.metrics && r.err == nil; k++ {
			r.readMetric(&m)
			if r.err != nil || !f.match(&m) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			fn(&h, e.id, &m)
		}
	}
}

// scanNewest calls fn with the kept metrics that match f, newest first,
// until fn says stop. Like scan's, the header and metric are valid only
// during the call.
//
// It reads the view's entries, then asks the store for older ones, batch
// by batch: a listing that needs the newest few hundred metrics copies a
// few thousand entries, not every one kept.
func (v *view) scanNewest(f *metricFilter, batch int, fn func(h *header, id uint64, m *rawMetric) (more bool)) {
	var ms []rawMetric // one record's, read in order, handed out in reverse
	for {
		for i := len(v.entries) - 1; i >= 0; i-- {
			e := &v.entries[i]
			r := v.reader(e)
			h := r.readHeader()
			r.metricsLen()
			n := 0
			for k := 0; k < h.metrics && r.err == nil; k++ {
				if n == len(ms) {
					ms = append(ms, rawMetric{})
				}
				r.readMetric(&ms[n])
				if r.err == nil && f.match(&ms[n]) {
					n++
				}
			}
			for k := n - 1; k >= 0; k-- {
				if !fn(&h, e.id, &ms[k]) {
					return
				}
			}
		}
		if !v.older(batch) {
			return
		}
	}
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
	writeStream(w, head, key, func(emit func(any)) {
		for i := range n {
			emit(item(i))
		}
	})
}

// writeStream is writeList for items that a callback emits.
func writeStream(w http.ResponseWriter, head any, key string, each func(item func(any))) {
	w.Header().Set("Content-Type", "application/json")
	bw := bufio.NewWriterSize(w, 64<<10)
	b, _ := json.Marshal(head)
	bw.Write(b[:len(b)-1])
	fmt.Fprintf(bw, ",%q:[", key)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	first := true
	each(func(v any) {
		if !first {
			bw.WriteByte(',')
		}
		first = false
		_ = enc.Encode(v)
	})
	bw.WriteString("]}\n")
	_ = bw.Flush()
}

// apiMetric is a metric in a listing: the metric event's object with the
// id of its record in this API.
type apiMetric struct {
	RecordID uint64 `json:"record_id"`
	report.WireMetric
}

func metricObject(h *header, id uint64, m telegraf.Metric) apiMetric {
	return apiMetric{id, report.MetricEvent(h.listener, h.seq, m)}
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
	v := h.store.metricsView(&f)
	defer v.close()
	matched := v.count(&f)
	skip, returned := 0, matched
	if f.limit > 0 && matched > f.limit {
		skip, returned = matched-f.limit, f.limit
	}
	if format == "lp" {
		// What [[outputs.file]] with data_format = "influx" writes;
		// a metric Telegraf's serializer refuses is left out, as there.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Fakegraf-Dropped-Metrics", strconv.FormatUint(v.win.DroppedMetrics, 10))
		bw := bufio.NewWriterSize(w, 64<<10)
		mw, err := report.NewMetricsWriter(bw)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		v.scan(&f, skip, func(_ *header, _ uint64, m *rawMetric) { _ = mw.Write([]telegraf.Metric{m.metric()}) })
		_ = bw.Flush()
		return
	}
	writeStream(w, listHead{matched, returned, v.win}, "metrics", func(item func(any)) {
		v.scan(&f, skip, func(h *header, id uint64, m *rawMetric) { item(metricObject(h, id, m.metric())) })
	})
}

func timeRFC(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }

var typeNames = [...]string{typeFloat: "float", typeInt: "int", typeUint: "uint", typeString: "string", typeBool: "bool"}

// seriesKey appends the measurement and the tags, which identify a series.
func (m *rawMetric) seriesKey(b []byte) []byte {
	b = append(b, m.name...)
	for _, t := range m.tags {
		b = append(append(append(append(b, 0), t[0]...), 0), t[1]...)
	}
	return b
}

func (m *rawMetric) tagMap() map[string]string {
	tags := make(map[string]string, len(m.tags))
	for _, t := range m.tags {
		tags[string(t[0])] = string(t[1])
	}
	return tags
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
}

func (h *handler) series(w http.ResponseWriter, r *http.Request) {
	f, err := parseMetricFilter(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	h.store.mu.Lock()
	list := h.store.seriesLocked(&f)
	head := struct {
		listHead
		DroppedSeries uint64 `json:"dropped_series"`
	}{listHead{0, len(list), h.store.windowLocked()}, h.store.series.dropped}
	h.store.mu.Unlock()
	for i := range list {
		head.Matched += list[i].Count
	}
	writeList(w, head, "series", len(list), func(i int) any { return &list[i] })
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
	h.store.mu.Lock()
	need := h.store.pointsNeededLocked(&f, limit)
	var v *view
	batch := 2 * limit * max(len(need), 1) // records hold one metric or more
	if need == nil {
		v = h.store.metricsViewLocked(&f)
	} else {
		v = h.store.metricsViewNewestLocked(&f, batch)
	}
	h.store.mu.Unlock()
	defer v.close()
	byKey := map[string]*pointSeries{}
	var keys []string
	matched := 0
	var key []byte
	add := func(m *rawMetric) *pointSeries {
		key = m.seriesKey(key[:0])
		s := byKey[string(key)]
		if s == nil {
			s = &pointSeries{Tags: m.tagMap()}
			byKey[string(key)] = s
			keys = append(keys, string(key))
		}
		if limit == 0 || len(s.Points) < limit {
			s.Points = append(s.Points, point{m.time, timeRFC(m.time), jsonValue(m.field(f.field).value())})
		}
		return s
	}
	if need == nil {
		v.scan(&f, 0, func(_ *header, _ uint64, m *rawMetric) { matched++; add(m) })
		for _, s := range byKey {
			if limit > 0 && len(s.Points) > limit {
				s.Points = s.Points[len(s.Points)-limit:]
			}
		}
	} else if len(need) > 0 {
		// Newest first, until every series that has metrics among those kept
		// has its limit: the page's plots and sparklines ask for the newest
		// points of a few fields every few seconds, and reading all that is
		// kept for them cost a tenth of ingest CPU under a flood.
		remaining := len(need)
		v.scanNewest(&f, batch, func(_ *header, _ uint64, m *rawMetric) bool {
			matched++
			if s := add(m); len(s.Points) == limit {
				if _, ok := need[string(m.key)]; ok {
					delete(need, string(m.key))
					remaining--
				}
			}
			return remaining > 0
		})
		for _, s := range byKey {
			slices.Reverse(s.Points)
		}
	}
	slices.Sort(keys)
	head := struct {
		Name  string `json:"name"`
		Field string `json:"field"`
		listHead
	}{f.name, f.field, listHead{matched, 0, v.win}}
	for _, k := range keys {
		head.Returned += len(byKey[k].Points)
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
	s.mu.Lock()
	v := s.viewLocked(func(e *entry) bool { return e.findings > 0 })
	socket := make([]socketNote, s.socket.n)
	for i := range socket {
		socket[i] = *s.socket.at(i)
	}
	s.mu.Unlock()
	defer v.close()
	var out []apiFinding
	matched := 0
	add := func(id uint64, d *parse.Diagnostic) {
		if match(d) {
			matched++
			out = append(out, apiFinding{id, report.Wire(*d)})
			if limit > 0 && len(out) >= 2*limit {
				out = append(out[:0], out[len(out)-limit:]...) // the newest limit, in bounded room
			}
		}
	}
	j := 0
	for i := range v.entries {
		e := &v.entries[i]
		for ; j < len(socket) && socket[j].after < e.id; j++ {
			add(0, &socket[j].d)
		}
		r := v.reader(e)
		r.readHeader()
		r.skipMetrics()
		for n := r.uvarint(); n > 0 && r.err == nil; n-- {
			d := r.readDiagnostic()
			add(e.id, &d)
		}
	}
	for ; j < len(socket); j++ {
		add(0, &socket[j].d)
	}
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	win := v.win
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

func recordObject(id uint64, h *header, findings int) apiRecord {
	rec := h.record()
	o := apiRecord{ID: id, WireRecord: report.RecordEvent(&parse.Result{Record: rec, Format: h.format}), Findings: findings}
	o.WireRecord.Metrics = h.metrics
	if h.flags&flagRejected != 0 {
		o.Error = string(h.err)
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
	s.mu.Lock()
	lid, known := s.names.index[listener]
	v := s.viewLocked(func(e *entry) bool {
		return (listener == "" || known && e.listener == lid) && (since.IsZero() || e.received >= since.UnixNano())
	})
	s.mu.Unlock()
	defer v.close()
	matched, list := len(v.entries), v.entries
	if limit > 0 && len(list) > limit {
		list = list[len(list)-limit:]
	}
	writeList(w, listHead{matched, len(list), v.win}, "records", len(list), func(i int) any {
		r := v.reader(&list[i])
		hd := r.readHeader()
		return recordObject(list[i].id, &hd, int(list[i].findings))
	})
}

func (h *handler) record(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("record id %q: want a whole number from 1, as the id of a record in /api/v1/records", r.PathValue("id")))
		return
	}
	s := h.store
	s.mu.Lock()
	s.flushLocked()
	var v *view
	if s.records.n > 0 {
		if first := s.records.at(0).id; id >= first && id-first < uint64(s.records.n) {
			v = s.viewLocked(func(e *entry) bool { return e.id == id })
		}
	}
	last, keep := s.lastID, s.keep
	s.mu.Unlock()
	if v != nil {
		defer v.close()
	}
	if v == nil || len(v.entries) != 1 {
		msg := fmt.Sprintf("no record %d yet: the last is %d", id, last)
		if id <= last {
			msg = fmt.Sprintf("record %d is no longer kept: fakegraf keeps the newest %d records and metrics (--keep), and forgets all of them on a reset", id, keep)
		}
		writeError(w, http.StatusNotFound, msg)
		return
	}
	e := &v.entries[0]
	rd := v.reader(e)
	hd := rd.readHeader()
	out := struct {
		Record   apiRecord               `json:"record"`
		Metrics  []apiMetric             `json:"metrics"`
		Findings []report.WireDiagnostic `json:"findings"`
	}{Record: recordObject(id, &hd, int(e.findings)), Metrics: []apiMetric{}, Findings: []report.WireDiagnostic{}}
	rd.metricsLen()
	var m rawMetric
	for k := 0; k < hd.metrics && rd.err == nil; k++ {
		rd.readMetric(&m)
		out.Metrics = append(out.Metrics, metricObject(&hd, id, m.metric()))
	}
	for n := rd.uvarint(); n > 0 && rd.err == nil; n-- {
		out.Findings = append(out.Findings, report.Wire(rd.readDiagnostic()))
	}
	if rd.err != nil {
		writeError(w, http.StatusInternalServerError, rd.err.Error())
		return
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
