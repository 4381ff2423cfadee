package serve

import (
	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
)

// Engine is the one path every event takes: a record through its listener's
// pipeline (Telegraf's parser, MakeMetric, the rules), a transport event
// through the same rules, and everything on to the sink. Server feeds it from
// sockets, `fakegraf check` from files. It implements listener.Handler but is
// not safe for concurrent use: rules keep state across records, so the
// caller hands it one event at a time.
type Engine struct {
	sink      Sink
	pipelines map[string]*parse.Pipeline
	// last is the pipeline of the last record Record or Check handled, of
	// listener lastURL: records come in runs from one listener, and the
	// map lookup hashed its URL for each (a seventieth of fakegraf's CPU on
	// tcp/influx). Parse, which may run concurrently, does not use it.
	last    *parse.Pipeline
	lastURL string
}

// NewEngine returns an engine that delivers to sink.
func NewEngine(sink Sink) *Engine {
	return &Engine{sink: sink, pipelines: map[string]*parse.Pipeline{}}
}

// Add routes the events of the listener named url through p, and announces
// the listener to the sink. Several names may share one pipeline (check's
// files share their input's rule state, as one socket's connections do).
func (e *Engine) Add(url, dataFormat string, p *parse.Pipeline) {
	e.pipelines[url] = p
	e.last, e.lastURL = nil, ""
	e.sink.Listening(url, dataFormat)
}

// Record processes one record: Check(Parse(rec)), in the caller's
// goroutine alone (parse.Pipeline.Process).
func (e *Engine) Record(rec listener.Record) {
	if p := e.pipelineOf(rec.Listener); p != nil {
		e.deliver(p.Process(rec))
	}
}

// Parse is the first step of Record: Telegraf's parser and MakeMetric
// (parse.Pipeline.Parse). Unlike the engine's other methods it may be
// called from any goroutine, concurrently with them, once every listener
// is added: Server parses ahead of the rules, as Telegraf's parse pool
// does. It returns nil for a listener the engine does not know.
func (e *Engine) Parse(rec listener.Record) *parse.Result {
	if p := e.pipelines[rec.Listener]; p != nil {
		return p.Parse(rec)
	}
	return nil
}

// Check is the second step of Record: it runs the rules over a result of
// Parse and passes it on. The Result is reused for a later record once the
// sink has seen it, unless a sink kept it (parse.Result.Keep).
func (e *Engine) Check(res *parse.Result) {
	if res == nil {
		return
	}
	if p := e.pipelineOf(res.Record.Listener); p != nil {
		e.deliver(p.Check(res))
	}
}

// pipelineOf is the pipeline of the listener url, or nil.
func (e *Engine) pipelineOf(url string) *parse.Pipeline {
	if e.last != nil && url == e.lastURL {
		return e.last
	}
	p := e.pipelines[url]
	if p != nil {
		e.last, e.lastURL = p, url
	}
	return p
}

// deliver hands a checked result to the sink, and then back to the pool.
func (e *Engine) deliver(res *parse.Result) {
	e.sink.Result(res)
	res.Release()
}

// Conn passes a connection event on.
func (e *Engine) Conn(ev listener.ConnEvent) { e.sink.Conn(ev) }

// Transport runs the rules over a transport event and passes on their
// findings.
func (e *Engine) Transport(ev listener.Transport) {
	if p := e.pipelines[ev.Listener]; p != nil {
		for _, d := range p.Transport(ev) {
			e.sink.Finding(d)
		}
	}
}
