package parse

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
