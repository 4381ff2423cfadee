package parse

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/influxdata/telegraf"

	"github.com/fakegraf/fakegraf/listener"
)

// Rule is one entry of the gotcha catalogue. Its metadata is data:
// `fakegraf rules` and docs/rules.md are generated from it.
type Rule struct {
	ID       string   // stable kebab-case ID; never renamed or reused
	Severity Severity // default severity
	Title    string   // one line
	Doc      string   // what Telegraf/InfluxDB do with such input and why it hurts
	Bad      string   // an example that triggers the rule
	Good     string   // the same, fixed
	// AlsoAt are the severities the rule reports at besides Severity, each
	// with when: `fakegraf rules` and docs/rules.md print them with the doc,
	// so that every severity a rule reports at is documented.
	// TestRuleSeverities holds them to the rule's cases and its ReportAs
	// calls.
	AlsoAt []Level
	// Requires are the per-record facts Check reads (facts.go), as an
	// analyzer's Requires in golang.org/x/tools/go/analysis.
	Requires []Fact
	// Only names the records Check can report on, when it cannot report
	// on every record: the pipeline calls Check for those alone
	// (Pipeline.rulesFor), so that a clean record costs only the rules
	// that could still find something in it. The zero value is every
	// record. Check may test the same condition again; Only is what spares
	// the others the call. A rule whose Only leaves out a record it should
	// see fails its triggering Cases.
	Only Only
	// Shape, when set, says for which data formats Check, on a record
	// Telegraf's parser took, reads nothing of the record but its parsed
	// metrics' shapes (shapeMemo: names, tag keys, field keys and value
	// kinds) and values, such that plain tag and string values (plainByte)
	// cannot give it a finding; and keeps no state across records (a rule
	// with an LRU would forget other entries when the memo spares it a
	// lookup: FuzzShapeMemo found that of field-type-conflict, which keeps
	// its own last-shape fast path). The pipeline then skips the rule on a record
	// whose metrics all have the shape of a recent clean record's metric.
	// FuzzShapeMemo holds the rules that say so to it.
	Shape func(format string) bool
	// Check inspects one processed record and reports through ctx.Report.
	Check func(ctx *Context)
	// CheckTransport inspects one event of the socket itself (a refused
	// connection, a scanner error, datagrams the kernel dropped) and
	// reports through ctx.Report. Transport events reach the rules the way
	// records do, so --enable, --disable and --fail-on act on both alike.
	CheckTransport func(ctx *TransportContext)
	// Cases trigger the rule, or are near misses that must not: its tests.
	Cases []Case

	slot int // the rule's index in the registry: its place in Pipeline.ruleStates
	// requires is Requires as a bit set (1<<Fact): Context.uses checks
	// each fact read against it, which the slice cost a search of.
	requires uint32
}

// Only is the kind of record a rule's Check can report on. Every condition
// that is set must hold; the zero value is every record.
type Only struct {
	// Formats are the data_formats of the records (Context.Format); none
	// means every format.
	Formats []string
	Parsed  bool // records Telegraf's parser took (Err nil)
	Failed  bool // records Telegraf's parser rejected (Err set)
	Stream  bool // records of a stream socket (Record.Stream)
	// Datagram is records of a datagram socket, or of anything else that
	// is not a stream (!Record.Stream).
	Datagram bool
	HTTP     bool // requests to one of Telegraf's HTTP inputs (Record.HTTP set)
	Plugin   bool // records a Telegraf plugin handled itself (Record.Plugin set)
	Auto     bool // records whose format was detected (--data-format auto)
}

// recordKind is what Only tells records apart by: a pipeline keeps the
// rules for each kind it has seen (Pipeline.rulesFor).
type recordKind struct {
	format                             string
	failed, stream, http, plugin, auto bool
}

// admits says whether a record of kind k can get a finding from the rule.
func (o *Only) admits(k recordKind) bool {
	switch {
	case len(o.Formats) > 0 && !slices.Contains(o.Formats, k.format),
		o.Parsed && k.failed,
		o.Failed && !k.failed,
		o.Stream && !k.stream,
		o.Datagram && k.stream,
		o.HTTP && !k.http,
		o.Plugin && !k.plugin,
		o.Auto && !k.auto:
		return false
	}
	return true
}

// forKind lists the rules whose Check can report on a record of kind k.
func (rs *RuleSet) forKind(k recordKind) []*Rule {
	var out []*Rule
	for _, r := range rs.rules {
		if r.Check != nil && r.Only.admits(k) {
			out = append(out, r)
		}
	}
	return out
}

// Level is a severity a rule reports at besides its default, and when.
type Level struct {
	Severity Severity
	// When completes "also reported as <severity> ...": "when a record
	// still fits but is within 20 % of the limit".
	When string
}

var (
	registryMu sync.Mutex
	registry   []*Rule
)

// Register adds a rule to the catalogue. It panics on a duplicate ID, which
// is a programming error.
func Register(r *Rule) {
	registryMu.Lock()
	defer registryMu.Unlock()
	for _, have := range registry {
		if have.ID == r.ID {
			panic("parse: duplicate rule " + r.ID)
		}
	}
	for _, f := range r.Requires {
		if f <= 0 || f >= factCount {
			panic(fmt.Sprintf("parse: rule %s requires unknown %v", r.ID, f))
		}
	}
	r.requires = 0
	for _, f := range r.Requires {
		r.requires |= 1 << f
	}
	r.slot = len(registry)
	registry = append(registry, r)
}

// Rules returns the catalogue sorted by ID.
func Rules() []*Rule {
	registryMu.Lock()
	defer registryMu.Unlock()
	out := slices.Clone(registry)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Lookup finds a rule by ID.
func Lookup(id string) *Rule {
	for _, r := range Rules() {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// RuleSet is the rules one run applies, and their options.
type RuleSet struct {
	rules []*Rule
	// TimestampWindow is how far from the arrival time a sender's
	// timestamp may lie before timestamp-skew reports it.
	TimestampWindow Window
}

// Window is how far from the time a record arrived a sender's timestamp may
// lie before timestamp-skew reports it.
type Window struct {
	Past, Future time.Duration
}

// defaultTimestampWindow is a year back (backfilled data is normal) and an
// hour ahead (clocks drift, but not by an hour).
var defaultTimestampWindow = Window{Past: 365 * 24 * time.Hour, Future: time.Hour}

// DefaultRules enables every rule in the catalogue.
func DefaultRules() *RuleSet {
	return &RuleSet{rules: Rules(), TimestampWindow: defaultTimestampWindow}
}

// NewRuleSet enables every rule, then applies --enable and --disable lists.
// enable, when not empty, restricts the set to those IDs.
func NewRuleSet(enable, disable []string) (*RuleSet, error) {
	all := Rules()
	for _, id := range append(slices.Clone(enable), disable...) {
		if Lookup(id) == nil {
			return nil, fmt.Errorf("unknown rule %q: `fakegraf rules` lists them", id)
		}
	}
	rs := &RuleSet{TimestampWindow: defaultTimestampWindow}
	for _, r := range all {
		if len(enable) > 0 && !slices.Contains(enable, r.ID) && r.ID != ruleParseError {
			continue
		}
		if slices.Contains(disable, r.ID) {
			continue
		}
		rs.rules = append(rs.rules, r)
	}
	return rs, nil
}

// run calls, in order, the Check of each of rules, the rules for the
// record in ctx. The running rule is an index into the list, not a pointer:
// written once a rule into the pipeline's Context, a pointer costs a GC
// write barrier each time, which was a seventh of the rules' time.
func run(ctx *Context, rules []*Rule) {
	ctx.rules = rules
	for i, r := range rules {
		ctx.running = i
		r.Check(ctx)
	}
}

func (rs *RuleSet) runTransport(ctx *TransportContext) {
	for _, r := range rs.rules {
		if r.CheckTransport != nil {
			ctx.rule = r
			r.CheckTransport(ctx)
		}
	}
	ctx.rule = nil
}

// TransportContext is what a rule sees of one transport event.
type TransportContext struct {
	Event    listener.Transport
	Stage    *Stage
	Pipeline *Pipeline

	rule        *Rule
	diagnostics []Diagnostic
}

// Report records a finding of the running rule at its default severity.
func (c *TransportContext) Report(msg string, fixes ...string) {
	c.ReportAs(c.rule.Severity, msg, fixes...)
}

// ReportAs records a finding of the running rule at a given severity.
func (c *TransportContext) ReportAs(sev Severity, msg string, fixes ...string) {
	ev := c.Event
	c.diagnostics = append(c.diagnostics, Diagnostic{
		Rule:     c.rule.ID,
		Severity: sev,
		Message:  msg,
		Source:   Source{Listener: ev.Listener, Peer: ev.Peer, Conn: ev.Conn, Record: ev.Record},
		Fixes:    fixes,
		Count:    ev.Dropped,
	})
}

// Context is what a rule sees of one record: the record and what Telegraf
// made of it, read-only, and the facts about it that rules share (the
// record lexed, the timestamps its sender wrote), which a rule reads through
// the Context's fact methods after declaring them in Rule.Requires
// (facts.go). A rule does not see other rules' findings.
type Context struct {
	Record  *listener.Record // the Result's: read, never written
	Format  string           // the data_format that parsed it
	Auto    bool             // Format was detected, not configured
	Parsed  []ParsedMetric
	Metrics []telegraf.Metric
	Err     error // Telegraf's parse error

	Stage    *Stage
	Pipeline *Pipeline
	State    *State
	Rules    *RuleSet // the rule set's options (TimestampWindow)

	result *Result
	// sameShape says the record's metrics have the shapes of recent clean
	// records (shapeMemo): a rule that is Shape for some formats only may
	// skip its shape-only part on it in the others.
	sameShape bool
	rules     []*Rule // the rules for this record (Pipeline.rulesFor)
	running   int     // the index in rules of the running rule
	facts     facts   // the record's facts, computed as the rules read them
}

// everyFormat and notJSON are values of Rule.Shape. JSON is lexed by the
// rules that read more of it than the json parser keeps.
func everyFormat(string) bool    { return true }
func notJSON(format string) bool { return format != "json" }

// rule is the running rule.
func (c *Context) rule() *Rule { return c.rules[c.running] }

func (c *Context) reset(res *Result, stage *Stage, p *Pipeline) {
	*c = Context{
		Record: &res.Record, Format: res.Format, Auto: res.Auto, Parsed: res.Parsed, Metrics: res.Metrics, Err: res.Err,
		Stage: stage, Pipeline: p, State: p.state, Rules: p.rules, result: res,
		facts: facts{data: res.Record.Data, format: res.Format, stage: stage, parser: res.parser, parsed: res.Parsed, err: res.Err},
	}
}

// parser is the stage's parser for this record: Stage.Parser, or for an
// HTTP input the parser its plugin made for the request (its precision
// query). Rules that re-parse part of a record use it.
func (c *Context) parser() telegraf.Parser {
	if c.facts.parser != nil {
		return c.facts.parser
	}
	return c.Stage.parser(*c.Record)
}

// Report records a finding of the running rule at its default severity.
// It returns the finding, so that the rule can name its Token:
// ctx.Report(...).Token = key.
func (c *Context) Report(msg string, pos Position, fixes ...string) *Diagnostic {
	return c.ReportAs(c.rule().Severity, msg, pos, fixes...)
}

// ReportAs records a finding of the running rule at a given severity.
func (c *Context) ReportAs(sev Severity, msg string, pos Position, fixes ...string) *Diagnostic {
	c.result.Diagnostics = append(c.result.Diagnostics, c.diagnostic(sev, msg, pos, fixes))
	return &c.result.Diagnostics[len(c.result.Diagnostics)-1]
}

func (c *Context) diagnostic(sev Severity, msg string, pos Position, fixes []string) Diagnostic {
	return Diagnostic{
		Rule:     c.rule().ID,
		Severity: sev,
		Message:  msg,
		Source:   c.result.Source(),
		Position: pos,
		Fixes:    fixes,
	}
}

// reportConfigDependent reports a finding that depends on parser options.
// With --data-format auto nobody has written those options yet, so the
// finding is information about the config to write, not a sender mistake;
// and since it would come again with every record a sender sends, it is
// said once per sender and advice, and the repeats are only counted.
func reportConfigDependent(ctx *Context, msg string, pos Position, fixes ...string) *Diagnostic {
	if !ctx.Auto {
		return ctx.Report(msg, pos, fixes...)
	}
	return reportOncePerSender(ctx, Info, strings.Join(fixes, "\n"), msg, pos, fixes...)
}

// reportOncePerSender reports a finding the first time a sender gets this
// advice, and from then on only counts it (Result.Repeated): for what a
// sender repeats in every record by design, where a finding per record
// would bury the others (and cost as much to print as to find).
func reportOncePerSender(ctx *Context, sev Severity, advice, msg string, pos Position, fixes ...string) *Diagnostic {
	said := stateOf(ctx.State, ctx.rule().ID+"/said", func() *lru[saidKey, bool] { return newLRU[saidKey, bool](saidCap) })
	key := saidKey{sender: senderKey(*ctx.Record), advice: advice}
	if _, ok := said.Get(key); ok {
		ctx.result.Repeated = append(ctx.result.Repeated, ctx.diagnostic(sev, msg, pos, fixes))
		return &ctx.result.Repeated[len(ctx.result.Repeated)-1]
	}
	said.Put(key, true)
	return ctx.ReportAs(sev, msg+onceNote, pos, fixes...)
}

// autoModeWhen says when a config-dependent rule reports at Info.
const autoModeWhen = "with --data-format auto, where nobody has written the parser options yet: then it is about the config to write, and said once per sender"

// onceNote ends a finding that is said once per sender.
const onceNote = " (said once per sender: its repeats are counted in the summary)"

// saidKey is a sender and the advice it was given; saidCap bounds how many
// a rule remembers.
type saidKey struct{ sender, advice string }

const saidCap = 4096

// State is memory a pipeline's rules keep across records. Every map in it
// is bounded by its rule.
type State struct {
	mu   sync.Mutex
	data map[string]interface{}
}

func newState() *State { return &State{data: map[string]interface{}{}} }

// Get returns the rule's state, creating it with mk the first time.
func (s *State) Get(key string, mk func() interface{}) interface{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[key]
	if !ok {
		v = mk()
		s.data[key] = v
	}
	return v
}

// ownState is stateOf for the running rule's own state, kept under its ID.
// The pipeline also keeps the state by the rule's registry slot, so that a
// rule that reads its state for every record finds it without the State's
// lock and map lookup (a tenth of a clean record's rule time). The State
// still owns it: stateOf with the rule's ID returns the same value.
func ownState[T any](ctx *Context, mk func() T) T {
	r, p := ctx.rule(), ctx.Pipeline
	if r.slot < len(p.ruleStates) {
		if v, ok := p.ruleStates[r.slot].(T); ok {
			return v
		}
	}
	v := stateOf(ctx.State, r.ID, mk)
	if r.slot >= len(p.ruleStates) {
		p.ruleStates = append(p.ruleStates, make([]any, r.slot+1-len(p.ruleStates))...)
	}
	p.ruleStates[r.slot] = v
	return v
}

// stateOf is State.Get typed: the type a rule's state is made with is the
// type it is read as, checked by the compiler instead of an assertion.
func stateOf[T any](s *State, key string, mk func() T) T {
	return s.Get(key, func() interface{} { return mk() }).(T)
}

func sortDiagnostics(ds []Diagnostic) {
	if len(ds) < 2 {
		return // the common case; sort.SliceStable allocates even then
	}
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.Position.Offset != b.Position.Offset {
			return a.Position.Offset < b.Position.Offset
		}
		return strings.Compare(a.Rule, b.Rule) < 0
	})
}
