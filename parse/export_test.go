package parse

// OnFact makes the pipeline tell f every fact a rule reads, for
// TestRuleRequires.
func (p *Pipeline) OnFact(f func(rule string, fact Fact)) { p.onFact = f }
