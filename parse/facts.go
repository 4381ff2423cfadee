package parse

import (
	"fmt"

	"github.com/influxdata/telegraf"
)

// Facts are what the rules share about one record, computed at most once
// for it: the record lexed as line protocol, Wavefront or JSON, the
// timestamps its sender wrote, and where each metric's parts were written.
// They play the part of golang.org/x/tools/go/analysis's Requires: a rule
// names the facts it reads in Rule.Requires and reads them through the
// Context (ctx.influx(), ctx.wavefront(), ctx.json(), ctx.sentStamps(),
// ctx.partOffset()), which computes each on first use and keeps it for the
// other rules of the record. The Context holds them, so they live exactly
// as long as the record.
//
// Reading a fact the running rule did not declare panics: it is a
// programming error, and TestRuleCases, which runs every rule's cases,
// catches it. TestRuleRequires catches the opposite, a declared fact that
// none of the rule's cases reads.
//
// A fact may build on others (the sender's timestamps come from the lexing
// of the record's format); a rule declares only the facts it reads itself.
type Fact int

const (
	_ Fact = iota
	// FactInflux is the record lexed as line protocol: ctx.influx().
	FactInflux
	// FactWavefront is the record lexed as Wavefront lines: ctx.wavefront().
	FactWavefront
	// FactJSON is the record lexed as JSON the way the json parser reads
	// it, honouring json_query: ctx.json().
	FactJSON
	// FactSentStamps are the timestamps the sender wrote: ctx.sentStamps().
	FactSentStamps
	// FactParts is where each metric's name, tags and fields were written
	// in the record: ctx.partOffset().
	FactParts
	// FactJSONScan is one pass over the record's JSON text (jsonScan): how
	// many of its values could become a tag, a field or a name, its longest
	// number, whether a member may name a time. ctx.jsonScan(). Four rules
	// let a clean JSON record go unlexed on it.
	FactJSONScan
	// FactAllNear says that every parsed metric's time lies inside the
	// timestamp window around the record's arrival: ctx.allNear(). Two
	// rules let a record go on it.
	FactAllNear

	factCount
)

// Rule.requires holds the facts as bits of a uint32: this fails to compile
// once there are more facts than bits.
const _ uint32 = 1 << (factCount - 1)

var factNames = [...]string{
	FactInflux:     "FactInflux",
	FactWavefront:  "FactWavefront",
	FactJSON:       "FactJSON",
	FactSentStamps: "FactSentStamps",
	FactParts:      "FactParts",
	FactJSONScan:   "FactJSONScan",
	FactAllNear:    "FactAllNear",
}

func (f Fact) String() string {
	if f > 0 && f < factCount {
		return factNames[f]
	}
	return fmt.Sprintf("Fact(%d)", int(f))
}

// uses checks that the running rule declared the fact it is about to read.
// It is small enough to inline: a clean JSON record reads a dozen facts.
func (c *Context) uses(f Fact) {
	if c.rules[c.running].requires&(1<<f) == 0 || c.Pipeline.onFact != nil {
		c.usesSlow(f)
	}
}

// usesSlow panics on an undeclared fact, and tells the tests which rule
// read which fact (Pipeline.onFact).
func (c *Context) usesSlow(f Fact) {
	r := c.rule()
	if r.requires&(1<<f) == 0 {
		panic(fmt.Sprintf("parse: rule %s reads %v but does not list it in Requires", r.ID, f))
	}
	c.Pipeline.onFact(r.ID, f)
}

func (c *Context) influx() []lpLine { c.uses(FactInflux); return c.facts.influx() }

func (c *Context) wavefront() []wfLine { c.uses(FactWavefront); return c.facts.wavefront() }

// json is nil when the record is not valid JSON.
func (c *Context) json() *jsonDoc { c.uses(FactJSON); return c.facts.json() }

// sentStamps lists the timestamps the record shows the sender wrote, for
// records that parsed. Metrics without one got the time Telegraf parsed them.
func (c *Context) sentStamps() []stamp { c.uses(FactSentStamps); return c.facts.sentStamps() }

// jsonScan is one pass over the record's JSON text (scanJSON).
func (c *Context) jsonScan() jsonScan { c.uses(FactJSONScan); return c.facts.jsonScan() }

// allNear says that every parsed metric's time lies inside the rule set's
// TimestampWindow around the time the record arrived (receiveTime).
func (c *Context) allNear() bool {
	c.uses(FactAllNear)
	if !c.facts.nearDone {
		c.facts.near, c.facts.nearDone = allNear(c, receiveTime(c)), true
	}
	return c.facts.near
}

// partOffset finds where metric i's part was written, or -1.
func (c *Context) partOffset(i int, p part, key string) int {
	c.uses(FactParts)
	return c.facts.partOffset(i, p, key)
}

// facts holds the facts of one record, each computed on first use. Facts
// read each other through it directly: only rules declare what they read.
type facts struct {
	data   []byte
	format string
	stage  *Stage
	parser telegraf.Parser // the stage's parser for this record
	parsed []ParsedMetric
	err    error

	lpDone, lpMetricDone, wfDone, jsDone, sentDone, jvDone, nearDone bool

	lp       []lpLine
	lpMetric []lpLine
	wf       []wfLine
	js       *jsonDoc
	sent     []stamp
	jv       jsonScan
	near     bool
}

func (f *facts) jsonScan() jsonScan {
	if !f.jvDone {
		f.jv, f.jvDone = scanJSON(f.data), true
	}
	return f.jv
}

func (f *facts) influx() []lpLine {
	if !f.lpDone {
		f.lp, f.lpDone = lexInflux(f.data), true
	}
	return f.lp
}

// influxMetricLines are the lines that give a metric, in order: what the
// parser's output maps to one to one when the record parsed.
func (f *facts) influxMetricLines() []lpLine {
	if !f.lpMetricDone {
		f.lpMetricDone = true
		for _, l := range f.influx() {
			if !l.Comment {
				f.lpMetric = append(f.lpMetric, l)
			}
		}
	}
	return f.lpMetric
}

func (f *facts) wavefront() []wfLine {
	if !f.wfDone {
		f.wf, f.wfDone = lexWavefront(f.data), true
	}
	return f.wf
}

func (f *facts) json() *jsonDoc {
	if !f.jsDone {
		f.jsDone = true
		query := ""
		if p := jsonOptions(f.stage); p != nil {
			query = p.Query
		}
		f.js = lexJSON(f.data, query)
	}
	return f.js
}

func (f *facts) sentStamps() []stamp {
	if f.sentDone {
		return f.sent
	}
	f.sentDone = true
	if f.err != nil || len(f.parsed) == 0 {
		return nil
	}
	for _, st := range f.senderStamps() {
		if st.set && st.raw != "" {
			f.sent = append(f.sent, st)
		}
	}
	return f.sent
}

// parserOrStage is the record's parser, or the stage's when the facts were
// made without one.
func (f *facts) parserOrStage() telegraf.Parser {
	if f.parser != nil || f.stage == nil {
		return f.parser
	}
	return f.stage.Parser
}
