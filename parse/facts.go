package parse

// recordSyntax caches the lexing of the record being processed, so that the
// rules of one record lex it once. It lives in the pipeline's State and holds
// only the last record.
type recordSyntax struct {
	res *Result

	lpDone bool
	lp     []lpLine
	wfDone bool
	wf     []wfLine
	jsDone bool
	js     *jsonDoc
}

func syntaxOf(ctx *Context) *recordSyntax {
	s := stateOf(ctx.State, "syntax", func() *recordSyntax { return &recordSyntax{} })
	if s.res != ctx.result {
		*s = recordSyntax{res: ctx.result}
	}
	return s
}

func (s *recordSyntax) influx() []lpLine {
	if !s.lpDone {
		s.lp, s.lpDone = lexInflux(s.res.Record.Data), true
	}
	return s.lp
}

// influxMetricLines are the lines that give a metric, in order: what the
// parser's output maps to one to one when the record parsed.
func (s *recordSyntax) influxMetricLines() []lpLine {
	var out []lpLine
	for _, l := range s.influx() {
		if !l.Comment {
			out = append(out, l)
		}
	}
	return out
}

func (s *recordSyntax) wavefront() []wfLine {
	if !s.wfDone {
		s.wf, s.wfDone = lexWavefront(s.res.Record.Data), true
	}
	return s.wf
}

// json lexes the record as JSON the way the json parser reads it, honouring
// json_query. It is nil when the record is not valid JSON.
func (s *recordSyntax) json(st *Stage) *jsonDoc {
	if !s.jsDone {
		s.jsDone = true
		query := ""
		if p := jsonOptions(st); p != nil {
			query = p.Query
		}
		s.js = lexJSON(s.res.Record.Data, query)
	}
	return s.js
}
