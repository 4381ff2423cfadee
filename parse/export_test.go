package parse

import "github.com/fakegraf/fakegraf/listener"

// OnFact makes the pipeline tell f every fact a rule reads, for
// TestRuleRequires.
func (p *Pipeline) OnFact(f func(rule string, fact Fact)) { p.onFact = f }

// NoShapeMemo turns the shape memo off: every record runs every rule.
func (p *Pipeline) NoShapeMemo() { p.noShapeMemo = true }

// ShapeRemembered says the pipeline remembers a shape of measurement name,
// so that a record of that shape skips the Shape rules.
func (p *Pipeline) ShapeRemembered(name string) bool {
	for _, e := range p.shape.entries {
		if e.ok && e.name == name {
			return true
		}
	}
	return false
}

// ProcessFloor is the least of Process that a pipeline showing the sender's
// view must do: Telegraf's parser, rounding and MakeMetric (store), the
// views of the parsed metrics, the pooled Result, and a Context for the
// record handed to one rule, check. No rule set, no shape memo, no sort.
// BenchmarkPipelineFloor measures it.
func (p *Pipeline) ProcessFloor(rec listener.Record, check func(*Context)) *Result {
	res := newResult(rec)
	res.by = p.stages[0]
	p.run(res.by, res, false)
	p.ctx.reset(res, res.by, p)
	check(&p.ctx)
	return res
}
