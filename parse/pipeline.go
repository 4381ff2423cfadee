package parse

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/influxdata/telegraf"

	"github.com/fakegraf/fakegraf/listener"
)

// MetricMaker is models.RunningInput: it applies name_override, prefixes,
// suffixes, tags, global tags and filters, and drops metrics without fields.
type MetricMaker interface {
	MakeMetric(telegraf.Metric) telegraf.Metric
}

// Stage is one data format's way from bytes to stored metrics, as Telegraf
// builds it for one [[inputs.socket_listener]].
type Stage struct {
	Format    string          // data_format
	Parser    telegraf.Parser // Telegraf's parser, as config.addParser built it (RunningParser or bare)
	Maker     MetricMaker     // the input's RunningInput
	Precision time.Duration   // the input's precision; 0 means no rounding
	// ScanLimit is the longest stream record Telegraf's scanner holds:
	// max(64 KiB, read_buffer_size) (plugins/common/socket/stream.go read).
	// 0 when unknown.
	ScanLimit int
	// Origin is where the input's settings were written: a fix names the
	// flag, or the line of telegraf.conf, that the user changes.
	Origin Origin
	// ParserFor, when set, makes the parser for one record, for an input
	// whose plugin sets its parser up per request (an HTTP request's
	// precision query); Parser is then the record-independent default.
	ParserFor func(listener.Record) telegraf.Parser
	// HTTP is set for one of Telegraf's HTTP inputs: the plugin and the
	// options its answers depend on.
	HTTP *HTTPInput
	// PluginParses says that, when the plugin accepted a request whole
	// (HTTP 204, no error), the metrics it handed its accumulator are
	// exactly what the stage's parser makes of the record's Data, untouched
	// by the plugin: the InfluxDB listeners without database_tag,
	// retention_policy_tag or bucket_tag (httpin.ParsesAsIs). The rules then
	// read those metrics instead of parsing the body a second time, which
	// was half of fakegraf's CPU on a batch of line protocol.
	PluginParses bool

	// copies are copies of Parser for Parse to run concurrently
	// (parserPool); nil when Parser is shared. NewPipeline makes them.
	copies *parserPool
}

// parser is the stage's parser for rec.
func (s *Stage) parser(rec listener.Record) telegraf.Parser {
	if s.ParserFor != nil {
		return s.ParserFor(rec)
	}
	return s.Parser
}

// parse runs p, the stage's parser for a record, over its data. When other
// goroutines may be parsing too (concurrent), and p is the stage's own,
// locking parser, it runs a copy of it that no other goroutine is using
// (parserPool), so that Parse runs in parallel. The rules re-parse with p
// itself: a copy parses as p does.
func (s *Stage) parse(p telegraf.Parser, data []byte, concurrent bool) ([]telegraf.Metric, error) {
	// copies is set only for a pointer to an influx Parser: comparing
	// with it cannot panic on a parser of an uncomparable type.
	if concurrent && s.copies != nil && s.ParserFor == nil && p == s.Parser {
		return s.copies.parse(data)
	}
	return parseRecovering(p, data)
}

// Pipeline processes the records of one listener, in order. It is not safe
// for concurrent use, except for Parse: rules keep state across records.
type Pipeline struct {
	listenerURL string
	stages      []*Stage // one, or the AutoFormats alternatives
	auto        bool
	rules       *RuleSet
	state       *State
	// senderFormat remembers, with --data-format auto, the format each
	// connection (or datagram peer) was first seen sending: a sender keeps
	// to one, and a pretty-printed JSON document's inner lines must stay
	// JSON for the rules to recognise it. Bounded by senderFormatCap.
	senderFormat map[string]*Stage
	ctx          Context // the record's, during Process
	// kinds are the rules for each kind of record seen (rulesFor); a
	// listener sees a handful of kinds, so the map stays small. last
	// memoises the latest, which a stream of records keeps hitting.
	kinds     map[recordKind]*kindRules
	lastKind  recordKind
	lastRules *kindRules
	// shape remembers the shapes of recent clean records: a record of
	// those shapes skips the Shape rules (Rule.Shape).
	shape shapeMemo
	// noShapeMemo turns the memo off, for FuzzShapeMemo's comparison.
	noShapeMemo bool
	// ruleStates are the rules' own states by registry slot (ownState).
	ruleStates []any
	// onFact, when set, hears every fact a rule reads (TestRuleRequires).
	onFact func(rule string, f Fact)
}

const senderFormatCap = 4096

// keepRecordMax is the largest record the pipeline's Context may keep
// referring to after Process returns, until the next record replaces it.
const keepRecordMax = 4 << 10

// NewPipeline returns a pipeline for one listener. With more than one stage
// it detects the format of every record (--data-format auto).
func NewPipeline(listenerURL string, rules *RuleSet, stages ...*Stage) *Pipeline {
	if rules == nil {
		rules = DefaultRules()
	}
	for _, s := range stages {
		if s.copies == nil && s.ParserFor == nil {
			s.copies = newParserPool(s.Parser)
		}
	}
	return &Pipeline{
		listenerURL: listenerURL,
		stages:      stages,
		auto:        len(stages) > 1,
		rules:       rules,
		state:       newState(),
	}
}

// Result is what became of one record.
type Result struct {
	Record listener.Record
	Format string // the data_format that parsed it
	Auto   bool   // Format was detected, not configured
	// Parsed are the parser's metrics before MakeMetric; Metrics are what
	// Telegraf stores (filtered, renamed, tagged, rounded).
	Parsed      []ParsedMetric
	Metrics     []telegraf.Metric
	stage       *Stage
	by          *Stage // the stage Parse ran; nil leaves the parse to Check (auto)
	parsedIndex []int  // for each of Metrics, its index in Parsed
	senderTime  []bool // per parsed metric; computed on first use
	// parser is the stage's parser for this record (Stage.ParserFor): the
	// rules re-parse with it, so that an HTTP body is read at its
	// request's precision, as the plugin read it.
	parser      telegraf.Parser
	Err         error // Telegraf's parse error; the whole record is lost
	Diagnostics []Diagnostic
	room        inline // Parsed, Metrics and parsedIndex of a small record
	// Repeated are findings that only repeat, for the same sender,
	// information a finding in an earlier record gave (what the config of
	// --data-format auto will need). Reports do not print them; the summary
	// counts them with the rest.
	Repeated []Diagnostic
	kept     bool // Keep was called: never reused
}

// resultPool recycles Results: a record's Result was the largest of its
// allocations (about 500 bytes, as much again as Telegraf's parser
// allocates for a line), and most die as soon as the sink has seen them.
var resultPool = sync.Pool{New: func() any { return new(Result) }}

func newResult(rec listener.Record) *Result {
	res := resultPool.Get().(*Result)
	res.Record = rec
	return res
}

// Keep says that the caller holds on to the Result after the sink's call
// returns, or hands it to another goroutine: it is then never reused. A
// sink that keeps a Result must call Keep before its Result method returns.
// The metrics and findings themselves are never reused, so a sink that
// keeps only those (copies of r.Metrics' elements, r.Diagnostics'
// elements) need not call it.
func (r *Result) Keep() { r.kept = true }

// Release hands the Result back for a later record, unless it was kept.
// The one who asked for it (serve.Engine, after the sink) calls it, and
// must not touch the Result afterwards.
func (r *Result) Release() {
	if r == nil || r.kept {
		return
	}
	*r = Result{}
	resultPool.Put(r)
}

// SenderSetTime says whether the sender set the timestamp of Metrics[i]
// (true), or the parser stamped it with the time of arrival. Golden files
// keep only the former. It lexes the record on first use.
func (r *Result) SenderSetTime(i int) bool {
	if r.stage == nil || i < 0 || i >= len(r.parsedIndex) {
		return false
	}
	if r.parsedIndex[i] < 0 {
		return false
	}
	if r.senderTime == nil {
		r.senderTime = senderTimes(r)
	}
	return r.senderTime[r.parsedIndex[i]]
}

// Source is where the record came from.
func (r *Result) Source() Source {
	return Source{Listener: r.Record.Listener, Peer: r.Record.Peer, Conn: r.Record.Conn, Record: r.Record.Seq}
}

// Process parses one record and runs the rules over it: Check(Parse(rec)),
// but with the stage's own parser: the caller processes one record at a
// time, and a copy from the pool (Stage.copies) would only cost its Get
// and Put, about 1 % of a record's instructions.
func (p *Pipeline) Process(rec listener.Record) *Result {
	return p.Check(p.parse(rec, false))
}

// Parse is the first step of Process: Telegraf's parser, rounding and
// MakeMetric, what Telegraf's parse pool does before the agent sees a
// metric (plugins/common/socket/stream.go hands each record to it). Unlike
// the rest of the pipeline it keeps no state across records, so it may be
// called from any goroutine, concurrently with itself and with Check:
// package serve parses ahead of the rules, which stay serial, in a
// goroutine of its own, while a listener's reader may process a record of
// its own inline. Every parser of setup.Formats is safe for that in
// Telegraf v1.37.2: the influx parser locks itself (Parse runs a copy of
// it, so that the goroutines do not queue on its lock: parserPool),
// influx_upstream, json,
// value and form_urlencoded only read their options, wavefront keeps its
// state in a sync.Pool, fakegraf's statsd parser only reads its options,
// and Telegraf's parse pool calls RunningInput.MakeMetric from several
// workers at once (max_parallel_parsers). serve's TestParseConcurrently
// holds it to that.
//
// With --data-format auto it leaves the record to Check: the format is
// the one the sender was first seen sending, which is the pipeline's state.
func (p *Pipeline) Parse(rec listener.Record) *Result {
	return p.parse(rec, true)
}

// parse is Parse; concurrent says that other goroutines may be parsing at
// the same time, so that a parser that locks itself is copied (Stage.parse).
func (p *Pipeline) parse(rec listener.Record, concurrent bool) *Result {
	res := newResult(rec)
	if !p.auto {
		res.by = p.stages[0]
		p.run(res.by, res, concurrent)
	}
	return res
}

// Check is the second step of Process: it runs the rules over a result of
// Parse (parsing it first with --data-format auto) and returns it, with
// its findings. Like Transport, it is called one record at a time, in each
// connection's order.
func (p *Pipeline) Check(res *Result) *Result {
	stage := res.by
	if stage == nil {
		res, stage = p.parseAuto(res)
	}
	// One Context per pipeline, reset for every record: with the facts in
	// it, it is a few hundred bytes a record would otherwise allocate.
	rec := &res.Record
	p.ctx.reset(res, stage, p)
	rules := p.rulesFor(res)
	// The memo is asked only where it can skip a rule: not when no rule
	// of the record's kind is a Shape rule (--enable of a few).
	memo := !p.noShapeMemo && len(rules.unshaped) < len(rules.all) && res.Err == nil && (rec.Plugin == nil || pluginParsed(*rec, stage))
	sameShape := memo && p.shape.matches(p.lastKind, stage, res.Parsed)
	p.ctx.sameShape = sameShape
	if sameShape {
		run(&p.ctx, rules.unshaped)
	} else {
		run(&p.ctx, rules.all)
	}
	if memo && !sameShape && len(res.Diagnostics) == 0 && len(res.Repeated) == 0 {
		p.shape.remember(p.lastKind, stage, res.Parsed)
	}
	if len(res.Record.Data) > keepRecordMax {
		// Keep no large record (an HTTP batch) and its facts alive
		// until the next one. A small one may stay: zeroing the Context
		// costs a GC write barrier on each of its pointers, a tenth of
		// the rules' cost on a one-line record.
		p.ctx = Context{}
	}
	sortDiagnostics(res.Diagnostics)
	return res
}

// parseAuto parses a record with --data-format auto: in the format its
// sender was first seen sending, else the one it looks like, else any
// that parses it.
func (p *Pipeline) parseAuto(res *Result) (*Result, *Stage) {
	rec := res.Record
	res.Auto = true
	stage := p.detectFor(rec)
	p.run(stage, res, false)
	if res.Err != nil {
		// The sniff can be wrong (a wavefront line looks like influx);
		// prefer any format that parses the record.
		for _, alt := range p.stages {
			if alt == stage {
				continue
			}
			try := newResult(rec)
			try.Auto = true
			p.run(alt, try, false)
			if try.Err == nil && len(try.Metrics) > 0 {
				res.Release()
				res, stage = try, alt
				p.senderFormat[senderKey(rec)] = alt
				break
			}
			try.Release()
		}
	}
	return res, stage
}

// kindRules are the rules that can report on one kind of record, in the
// rule set's order (Rule.Only): all of them, and those that are not Shape
// rules for its format, for a record of remembered shapes (shapeMemo).
type kindRules struct {
	all, unshaped []*Rule
}

// rulesFor lists the rules that can report on the record of res, and makes
// its kind the pipeline's lastKind.
func (p *Pipeline) rulesFor(res *Result) *kindRules {
	rec := res.Record
	k := recordKind{format: res.Format, failed: res.Err != nil, stream: rec.Stream, http: rec.HTTP != nil, plugin: rec.Plugin != nil, auto: res.Auto}
	if p.lastRules != nil && k == p.lastKind {
		return p.lastRules
	}
	rules, ok := p.kinds[k]
	if !ok {
		if p.kinds == nil {
			p.kinds = map[recordKind]*kindRules{}
		}
		rules = &kindRules{all: p.rules.forKind(k)}
		for _, r := range rules.all {
			if r.Shape == nil || !r.Shape(k.format) {
				rules.unshaped = append(rules.unshaped, r)
			}
		}
		p.kinds[k] = rules
	}
	p.lastKind, p.lastRules = k, rules
	return rules
}

// Transport runs the rules over an event of the socket itself and returns
// their findings. Like Process, it is called one event at a time.
func (p *Pipeline) Transport(ev listener.Transport) []Diagnostic {
	ctx := &TransportContext{Event: ev, Stage: p.stages[0], Pipeline: p}
	p.rules.runTransport(ctx)
	return ctx.diagnostics
}

func (p *Pipeline) run(stage *Stage, res *Result, concurrent bool) {
	res.Format = stage.Format
	if plugin := res.Record.Plugin; plugin != nil && pluginParsed(res.Record, stage) {
		// The plugin's parse is the parse (Stage.PluginParses): the view
		// and the stored metrics are the same metrics, as for a socket's
		// record below.
		res.stage = stage
		res.Parsed = viewParsed(plugin.Metrics, &res.room)
		res.Metrics, res.parsedIndex = store(stage, plugin.Metrics, len(plugin.Metrics), &res.room)
		return // res.parser stays nil: made only if a rule asks (Context.parser)
	}
	res.parser = stage.parser(res.Record)
	parsed, err := stage.parse(res.parser, res.Record.Data, concurrent)
	if plugin := res.Record.Plugin; plugin != nil {
		// Telegraf's own plugin decided what is stored; the parse above is
		// the rules' view of the same bytes (listener.PluginOutput).
		res.stage = stage
		res.Err = err
		res.Parsed = viewParsed(parsed, &res.room)
		res.Metrics, res.parsedIndex = store(stage, plugin.Metrics, len(parsed), &res.room)
		return
	}
	if err != nil {
		res.Err = err
		return
	}
	res.stage = stage
	res.Parsed = viewParsed(parsed, &res.room)
	res.Metrics, res.parsedIndex = store(stage, parsed, len(parsed), &res.room)
}

// pluginParsed says that the plugin's metrics of rec are what the stage's
// parser makes of its bytes (Stage.PluginParses, for a request accepted
// whole): they are the record's parsed view and its stored metrics alike.
func pluginParsed(rec listener.Record, stage *Stage) bool {
	return stage.PluginParses && acceptedWhole(rec)
}

// acceptedWhole says that an HTTP input's plugin took every line of the
// request's body: it answered 204 No Content (influxdb_listener.go and
// influxdb_v2_listener.go answer it only when the parser returned no error;
// a partial write is a 400) and reported no error.
func acceptedWhole(rec listener.Record) bool {
	return rec.HTTP != nil && rec.HTTP.Status == http.StatusNoContent && len(rec.Plugin.Errors) == 0
}

// store does what agent/accumulator.go AddMetric does with the metrics a
// parser or a plugin made: round to the input's precision, then MakeMetric.
// It returns the stored metrics and, for each, its index in the parsed view
// of nparsed metrics, or -1 for a plugin's metric beyond that view (a line
// Telegraf's stream parser kept after a bad one, which Parse does not
// reach).
func store(stage *Stage, parsed []telegraf.Metric, nparsed int, room *inline) ([]telegraf.Metric, []int) {
	precision := stage.Precision
	if precision <= 0 {
		precision = time.Nanosecond
	}
	metrics, index := room.metrics[:0], room.index[:0]
	if len(parsed) > len(room.metrics) {
		metrics = make([]telegraf.Metric, 0, len(parsed))
		index = make([]int, 0, len(parsed))
	}
	for i, m := range parsed {
		// agent/accumulator.go AddMetric: round, then MakeMetric.
		m.SetTime(m.Time().Round(precision))
		if out := stage.Maker.MakeMetric(m); out != nil {
			metrics = append(metrics, out)
			if i >= nparsed {
				i = -1
			}
			index = append(index, i)
		}
	}
	return metrics, index
}

// ErrParserPanic marks a record on which Telegraf's parser panicked.
var ErrParserPanic = errors.New("the parser panicked on this record (a bug in Telegraf's parser)")

// parseRecovering calls the parser and turns a panic into an error. Some
// inputs crash Telegraf's own parsers (the influx parser on a name that ends
// in a backslash at the end of the buffer, `a\`, handler.go:42). Telegraf
// survives because its parse pool (github.com/alitto/pond) recovers and
// prints "Worker exits from a panic" on stdout; the record is lost.
// fakegraf must survive too, and say so.
func parseRecovering(p telegraf.Parser, data []byte) (ms []telegraf.Metric, err error) {
	defer func() {
		if r := recover(); r != nil {
			ms, err = nil, fmt.Errorf("%w (Telegraf's parse pool recovers and the record is lost): %v", ErrParserPanic, r)
		}
	}()
	return p.Parse(data)
}

// safeParse runs a stage's parser on bytes a rule made up (a line without
// its '#', two datagrams joined). Telegraf's influx parser panics on some
// input (a measurement ending in a backslash at the end of the buffer,
// plugins/parsers/influx/handler.go Metric); Telegraf's parse pool survives
// that (pond's panic handler) and so must the rules.
//
// The bytes are cut to their length first: they are often a piece of the
// record (a line of it), and Telegraf's wavefront parser appends a '\n' to
// input without one (plugins/parsers/wavefront/parser.go), which would
// otherwise write into the record's next byte. FuzzShapeMemo found a record
// shown and stored with its ':' turned into a newline.
func safeParse(p telegraf.Parser, data []byte) ([]telegraf.Metric, error) {
	return parseRecovering(p, data[:len(data):len(data)])
}

// detectFor picks the stage for a record with --data-format auto: the
// format its sender was first seen sending, else the one it looks like.
func (p *Pipeline) detectFor(rec listener.Record) *Stage {
	key := senderKey(rec)
	if s, ok := p.senderFormat[key]; ok {
		return s
	}
	s := p.detect(rec.Data)
	if len(bytes.TrimSpace(rec.Data)) == 0 {
		return s
	}
	if p.senderFormat == nil || len(p.senderFormat) >= senderFormatCap {
		p.senderFormat = map[string]*Stage{} // forget old senders wholesale
	}
	p.senderFormat[key] = s
	return s
}

// senderKey names a record's sender: its connection, or its peer.
func senderKey(rec listener.Record) string {
	if rec.Stream {
		return fmt.Sprintf("conn %d", rec.Conn)
	}
	return rec.Peer
}

// detect picks the AutoFormats stage a record most plausibly belongs to;
// formats fakegraf cannot parse (statsd) get influx, Telegraf's default.
func (p *Pipeline) detect(data []byte) *Stage {
	want := sniff(data)
	if want != "json" && want != "wavefront" {
		want = "influx"
	}
	for _, s := range p.stages {
		if s.Format == want {
			return s
		}
	}
	return p.stages[0]
}
