package parse_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
)

// Every severity a rule reports at is documented: its default Severity or
// one of its AlsoAt levels, which the docs print with when. The test holds
// the declaration to what the rule does, both ways: every finding of every
// case, and every severity the rule's file passes to ReportAs (or Info, for
// reportConfigDependent), is declared; and every declared severity has a
// case that shows it.
func TestRuleSeverities(t *testing.T) {
	declared := map[string][]parse.Severity{}
	for _, r := range parse.Rules() {
		declared[r.ID] = []parse.Severity{r.Severity}
		for _, l := range r.AlsoAt {
			if slices.Contains(declared[r.ID], l.Severity) {
				t.Errorf("%s: AlsoAt lists %s twice, or its default severity", r.ID, l.Severity)
			}
			if strings.TrimSpace(l.When) == "" {
				t.Errorf("%s: AlsoAt %s does not say when", r.ID, l.Severity)
			}
			declared[r.ID] = append(declared[r.ID], l.Severity)
		}
	}
	told := map[string]bool{}
	undeclared := func(where, rule string, sev parse.Severity) {
		if declared[rule] != nil && !slices.Contains(declared[rule], sev) && !told[rule+sev.String()] {
			told[rule+sev.String()] = true
			t.Errorf("%s: rule %s reports at %s, which neither its Severity nor its AlsoAt says: add an AlsoAt level that says when", where, rule, sev)
		}
	}

	// What the cases give.
	shown := map[string]map[parse.Severity]bool{}
	for _, r := range parse.Rules() {
		for _, c := range r.Cases {
			for _, w := range c.Want {
				if shown[w.Rule] == nil {
					shown[w.Rule] = map[parse.Severity]bool{}
				}
				shown[w.Rule][w.Severity] = true
			}
			p := casePipeline(t, c)
			var ds []parse.Diagnostic
			if c.Transport != nil {
				ds = p.Transport(listener.Transport{Listener: c.Address(), Err: c.Transport})
			}
			now := time.Now()
			for _, cr := range caseRecords(t, c, now) {
				res := p.Process(cr.rec)
				ds = append(append(ds, res.Diagnostics...), res.Repeated...)
			}
			for _, d := range ds {
				undeclared("case "+r.ID+"/"+c.Name, d.Rule, d.Severity)
			}
		}
	}
	for _, r := range parse.Rules() {
		for _, sev := range declared[r.ID] {
			if !shown[r.ID][sev] {
				t.Errorf("rule %s reports at %s, but no case wants it: add one", r.ID, sev)
			}
		}
	}

	// What the rules' files ask for.
	files, err := filepath.Glob("rule_*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files: %v", err)
	}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		id := strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(file, "rule_"), ".go"), "_", "-")
		if parse.Lookup(id) == nil {
			t.Errorf("%s holds no rule %s", file, id)
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				if fn.Sel.Name == "ReportAs" && len(call.Args) > 0 {
					sev, ok := severityNamed(call.Args[0])
					if !ok {
						t.Errorf("%s: ReportAs with a severity that is not Info, Warning or Error: name it, so that it can be documented", file)
					}
					undeclared(file, id, sev)
				}
			case *ast.Ident:
				if fn.Name == "reportConfigDependent" {
					undeclared(file, id, parse.Info) // with --data-format auto
				}
			}
			return true
		})
	}
}

func severityNamed(e ast.Expr) (parse.Severity, bool) {
	id, ok := e.(*ast.Ident)
	if !ok {
		return 0, false
	}
	switch id.Name {
	case "Info":
		return parse.Info, true
	case "Warning":
		return parse.Warning, true
	case "Error":
		return parse.Error, true
	}
	return 0, false
}
