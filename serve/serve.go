package serve

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/plugins/inputs/http_listener_v2"
	"github.com/influxdata/telegraf/plugins/inputs/influxdb_listener"
	"github.com/influxdata/telegraf/plugins/inputs/influxdb_v2_listener"

	"github.com/fakegraf/fakegraf/forward"
	"github.com/fakegraf/fakegraf/httpin"
	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/setup"
	"github.com/fakegraf/fakegraf/statsdin"
)

// Listening describes one bound socket.
type Listening struct {
	Name       string // inputs.socket_listener, or with its alias
	URL        string // scheme://address with the real port
	DataFormat string
	Stream     bool
	HTTP       bool // one of Telegraf's HTTP inputs (package httpin)
}

// Server is a running set of listeners.
type Server struct {
	statsd    []*statsdRun // the [[inputs.statsd]] plugins, fed by their listeners
	engine    *Engine
	listeners []*listener.Listener
	https     []*httpin.Server
	forwards  map[*listener.Listener]*forward.Handler // --forward, by the listener it wraps
	httpFwds  map[*httpin.Server]*forward.Handler     // --forward of the HTTP inputs
	bound     []Listening
	events    *queue
	done      chan struct{}
	closeOnce sync.Once

	// proc is held while events are processed: by the loop for a whole
	// batch, or by a listener's goroutine that processes its own event
	// inline because nothing is queued (deliver). Holding it with an empty
	// queue (none queued, every batch taken done: queue.empty) means every
	// earlier event has been processed, so inline processing keeps each
	// connection's order.
	proc sync.Mutex

	last atomic.Int64 // unix nanoseconds of the last event, for LastEvent
	// streams counts the open connections of the stream sockets: the
	// reader of the only one waits to process its records itself (deliver).
	streams atomic.Int64

	// workers is how many goroutines parse ahead of the rules; 0 means
	// parseWorkers(). Tests set it.
	workers int

	drops     map[string]uint64 // kernel drop counts last reported, per UDP listener
	stopDrops chan struct{}
	dropsDone chan struct{}
}

// dropsInterval is how often the kernel's UDP drop counters are read.
const dropsInterval = 500 * time.Millisecond

type event struct {
	isRec     bool
	rec       listener.Record // by value: a pointer would cost an allocation per record
	res       *parse.Result   // rec parsed ahead (Server.parseChunks); nil: not yet
	conn      *listener.ConnEvent
	transport *listener.Transport
}

// Options tune a server.
type Options struct {
	Rules *parse.RuleSet // nil: every rule
	// Log receives Telegraf's own socket warnings ("Setting read buffer on
	// socket failed"), prefixed with the input's name.
	Log func(msg string)
	// Wrap, when set, wraps the handler of every listener: the handler
	// gets what the socket hands out before the engine does (package
	// capture records it there). n is the input's position in the
	// config, from 1.
	Wrap func(n int, in *setup.Input, h listener.Handler) listener.Handler
}

// ErrBind wraps the error of a socket that could not be bound.
var ErrBind = errors.New("cannot listen")

// Start binds every input and starts processing. On error nothing is left
// bound.
func Start(cfg *setup.Config, sink Sink, opt Options) (*Server, error) {
	if opt.Rules == nil {
		opt.Rules = parse.DefaultRules()
	}
	s := &Server{
		engine:    NewEngine(sink),
		events:    newQueue(),
		done:      make(chan struct{}),
		drops:     map[string]uint64{},
		forwards:  map[*listener.Listener]*forward.Handler{},
		httpFwds:  map[*httpin.Server]*forward.Handler{},
		stopDrops: make(chan struct{}),
		dropsDone: make(chan struct{}),
	}
	// A listener may deliver before the others are bound and before its
	// pipeline is registered: until Start returns, every event queues.
	s.proc.Lock()
	defer s.proc.Unlock()
	for i, in := range cfg.Inputs {
		if in.HTTP() {
			if in.SharePort {
				continue // served with the input before it
			}
			group := []*setup.Input{in}
			if i+1 < len(cfg.Inputs) && cfg.Inputs[i+1].SharePort {
				group = append(group, cfg.Inputs[i+1])
			}
			if err := s.listenHTTP(i+1, group, opt); err != nil {
				s.abort()
				return nil, err
			}
			continue
		}
		lc := in.Listen
		name := in.Name
		lc.Log = listener.Log{Func: func(_ telegraf.LogLevel, msg string) {
			if opt.Log != nil {
				opt.Log(name + ": " + msg)
			}
		}}
		var h listener.Handler = handler{s: s, inline: in.Stream(), stream: in.Stream()}
		var run *statsdRun
		if in.Statsd != nil {
			plug, err := statsdin.Start(in, func(ev listener.Transport) { s.events.push(event{transport: &ev}) })
			if err != nil {
				s.abort()
				return nil, fmt.Errorf("%s: %w", in.Name, err)
			}
			run = &statsdRun{plug: plug, cfg: in.Statsd, stop: make(chan struct{}), done: make(chan struct{})}
			h = plug.Handler(h)
		}
		// The forwarder wraps everything else: it sees the bytes as the
		// socket delivered them, and hands the same events on.
		var fw *forward.Handler
		if in.Forward != "" {
			var err error
			if enc := lc.Socket.ContentEncoding; !in.Stream() && enc != "" && enc != "identity" {
				err = fmt.Errorf("content_encoding %q: fakegraf sees datagrams only decoded and cannot forward them unchanged; forward from a listener without content_encoding", enc)
			} else {
				fw, err = forward.New(h, forward.Options{Upstream: in.Forward, Stream: in.Stream(), Buffer: in.ForwardBuffer})
			}
			if err != nil {
				if run != nil {
					run.plug.Stop()
				}
				s.abort()
				return nil, fmt.Errorf("%s: forward: %w", in.Name, err)
			}
			h = fw
		}
		// A capture (Options.Wrap) is outermost: it sees the bytes before
		// the forwarder, and hands them on to it (listener.Tap).
		if opt.Wrap != nil {
			h = opt.Wrap(i+1, in, h)
		}
		l, err := listener.Listen(lc, h)
		if err != nil {
			if fw != nil {
				fw.Close()
			}
			if run != nil {
				run.plug.Stop()
			}
			s.abort()
			return nil, fmt.Errorf("%s: %w on %s: %w", in.Name, ErrBind, in.Listen.Address, hintBind(err))
		}
		if run != nil {
			run.url = l.URL()
			s.statsd = append(s.statsd, run)
			go run.flushLoop(s)
		}
		s.listeners = append(s.listeners, l)
		if fw != nil {
			s.forwards[l] = fw
		}
		s.engine.Add(l.URL(), in.DataFormat, parse.NewPipeline(l.URL(), opt.Rules, Stages(in)...))
		s.bound = append(s.bound, Listening{Name: in.Name, URL: l.URL(), DataFormat: in.DataFormat, Stream: l.Stream()})
	}
	go s.loop()
	go s.watchDrops()
	return s, nil
}

// listenHTTP serves one of Telegraf's HTTP inputs (or, for the zero-config
// InfluxDB port, two on one port) with package httpin: Telegraf's own
// handler decides, and every request becomes a record on the one path.
func (s *Server) listenHTTP(n int, group []*setup.Input, opt Options) error {
	name := group[0].Name
	cfg := httpin.Config{Address: group[0].Bind, Log: listener.Log{Func: func(_ telegraf.LogLevel, msg string) {
		if opt.Log != nil {
			opt.Log(name + ": " + msg)
		}
	}}}
	for _, in := range group {
		cfg.Plugins = append(cfg.Plugins, in.Plugin)
	}
	var h listener.Handler = handler{s: s, inline: true}
	// The forwarder gets the requests from httpin (Config.Forward), and
	// reports its losses as events on the same path.
	var fw *forward.Handler
	fin := group[0]
	if len(group) == 2 && group[1].Forward != "" {
		if fin.Forward != "" && fin.Forward != group[1].Forward {
			return fmt.Errorf("%s and %s share %s: one port forwards to one upstream, give both the same", fin.Name, group[1].Name, fin.Listen.Address)
		}
		fin = group[1]
	}
	if fin.Forward != "" {
		var err error
		fw, err = forward.New(h, forward.Options{Upstream: fin.Forward, HTTP: true, Buffer: fin.ForwardBuffer, Timeout: fin.ForwardTimeout})
		if err != nil {
			return fmt.Errorf("%s: forward: %w", fin.Name, err)
		}
		cfg.Forward = fw
		h = fw
	}
	if opt.Wrap != nil {
		h = opt.Wrap(n, group[0], h)
	}
	hs, err := httpin.Listen(cfg, h)
	if err != nil {
		if fw != nil {
			fw.Close()
		}
		return fmt.Errorf("%s: %w on %s: %w", group[0].Name, ErrBind, group[0].Listen.Address, hintBind(err))
	}
	s.https = append(s.https, hs)
	if fw != nil {
		s.httpFwds[hs] = fw
	}
	for i, url := range hs.URLs() {
		in := group[i]
		s.engine.Add(url, in.DataFormat, parse.NewPipeline(url, opt.Rules, Stages(in)...))
		s.bound = append(s.bound, Listening{Name: in.Name, URL: url, DataFormat: in.DataFormat, Stream: true, HTTP: true})
	}
	return nil
}

func (s *Server) closeListeners() {
	for _, l := range s.listeners {
		l.Close()
		if fw := s.forwards[l]; fw != nil {
			fw.Close() // after its listener: no byte comes after
		}
	}
	for _, h := range s.https {
		h.Close()
		if fw := s.httpFwds[h]; fw != nil {
			fw.Close() // after its server: every request was answered
		}
	}
}

// watchDrops reports the kernel's UDP drops while the server runs, so that
// loss in front of the socket is never silent.
func (s *Server) watchDrops() {
	defer close(s.dropsDone)
	t := time.NewTicker(dropsInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stopDrops:
			s.checkDrops()
			return
		case <-t.C:
			s.checkDrops()
		}
	}
}

func (s *Server) checkDrops() {
	for _, l := range s.listeners {
		total, ok := l.KernelDrops()
		if !ok || total <= s.drops[l.URL()] {
			continue
		}
		ev := listener.Transport{Listener: l.URL(), Err: listener.ErrKernelDrops, Dropped: total - s.drops[l.URL()], Total: total}
		s.drops[l.URL()] = total
		s.events.push(event{transport: &ev})
	}
}

func hintBind(err error) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("%w (another program, perhaps a real Telegraf, has it: stop it or pick another port)", err)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("%w (ports below 1024 need root; pick a higher port)", err)
	}
	return err
}

// Stages turns an input into the parse stages of its pipeline: one, or one
// per format with --data-format auto.
func Stages(in *setup.Input) []*parse.Stage {
	list := []*setup.Input{in}
	if in.Auto != nil {
		list = in.Auto
	}
	out := make([]*parse.Stage, 0, len(list))
	if in.Statsd != nil {
		sd := in.Statsd.Plugin
		opts := parse.StatsdOptions{DataDogExtensions: sd.DataDogExtensions, DataDogDistributions: sd.DataDogDistributions,
			MetricSeparator: sd.MetricSeparator, Templates: sd.Templates, ConvertNames: sd.ConvertNames, SanitizeNamesMethod: sd.SanitizeNamesMethod}
		return append(out, &parse.Stage{Format: in.DataFormat, Parser: parse.StatsdParser{Options: opts}, Maker: in.Running, Precision: in.Precision,
			ScanLimit: bufio.MaxScanTokenSize, Origin: parse.Origin(in.Origin)})
	}
	for _, alt := range list {
		st := &parse.Stage{Format: alt.DataFormat, Parser: parse.BareParser(alt.Parser), Maker: alt.Running, Precision: alt.Precision,
			ScanLimit: max(bufio.MaxScanTokenSize, int(alt.Listen.Socket.ReadBufferSize)),
			Origin:    parse.Origin(alt.Origin)}
		if alt.Plugin != nil {
			st.ScanLimit = 0 // no scanner between an HTTP body and its parser
			if pf := httpin.ParserFor(alt.Plugin); pf != nil {
				st.ParserFor = pf
				st.Parser = pf(listener.Record{})
				st.PluginParses = httpin.ParsesAsIs(alt.Plugin)
			}
			st.HTTP = httpInput(alt)
		}
		out = append(out, st)
	}
	return out
}

// Listening lists the bound sockets in config order.
func (s *Server) Listening() []Listening { return s.bound }

// LastEvent is when the last record, connection or transport event arrived,
// for --until idle; the zero Time while nothing has arrived.
func (s *Server) LastEvent() time.Time {
	if ns := s.last.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// Settled reports whether everything that has arrived so far has been
// processed: no listener holds anything it has not handed over
// (listener.Busy: an open stream connection, a connection or datagram
// waiting in the kernel), and no event is queued or being processed.
// fakegraf run ends on it once its sender has exited. It cannot see the
// hand-off inside a listener's reader goroutine (see listener.Busy), so a
// caller that must not miss anything looks for it to hold over a
// short quiet period.
func (s *Server) Settled() bool {
	for _, l := range s.listeners {
		if l.Busy() {
			return false
		}
	}
	for _, h := range s.https {
		if h.Busy() {
			return false
		}
	}
	return !s.Backlog()
}

// Backlog reports whether events are queued or being processed. The
// readers wait for a full queue, so nothing new arrives while a backlog
// drains: --until idle does not count that time as idle.
func (s *Server) Backlog() bool {
	if !s.proc.TryLock() {
		return true // a batch or an inline event is being processed
	}
	defer s.proc.Unlock()
	return !s.events.empty()
}

// Datagrams reports whether any listener is a datagram socket.
func (s *Server) Datagrams() bool {
	for _, b := range s.bound {
		if !b.Stream {
			return true
		}
	}
	return false
}

// Close stops the listeners, lets open connections deliver what they have
// received, and returns once the sink has seen every event.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.stopDrops) // a last look at the drop counters while the sockets exist
		<-s.dropsDone
		s.closeListeners()
		for _, run := range s.statsd {
			run.close(s)
		}
		s.events.close()
		<-s.done
	})
}

// Raise runs a transport event that fakegraf itself found, after Close,
// through the listener's rules and on to the sink, the path every event
// takes: the CLI raises findings-not-delivered there for what --findings-out
// lost, which it knows only once the run's last finding has been written.
// It must not be called before Close.
func (s *Server) Raise(ev listener.Transport) {
	s.proc.Lock()
	defer s.proc.Unlock()
	s.engine.Transport(ev)
}

// loop processes the queued events, a batch at a time. A batch of several
// senders' records is parsed ahead of the rules, as Telegraf does:
// parseWorkers goroutines (parseChunks) parse the records (Telegraf's
// parser and MakeMetric, Engine.Parse, what Telegraf's parse pool does,
// plugins/common/socket/stream.go) a chunk at a time, while the loop runs
// the rules and the sink over the chunks before (Engine.Check). Only the
// second step keeps state across records, and it takes the chunks in the
// batch's order, so every connection's order holds. On tcp-influx the
// rules and the sink cost about a quarter of what the parse costs (0.36
// against 1.34 µs a record), so the parse needs more than one goroutine to
// keep the loop busy. One sender's batch the loop processes alone
// (parseAhead says why).
func (s *Server) loop() {
	defer close(s.done)
	workers := cmp.Or(s.workers, parseWorkers())
	toParse := make(chan chunk, workers)
	for range workers {
		go s.parseChunks(toParse)
	}
	defer close(toParse)
	// ready[i%workers] says that the i-th chunk in flight is parsed: it is
	// reused by chunk i+workers only once chunk i was taken from it.
	ready := make([]chan []event, workers)
	for i := range ready {
		ready[i] = make(chan []event, 1)
	}
	for s.events.wait() {
		batch := s.events.take()
		s.last.Store(time.Now().UnixNano())
		if s.parseAhead(batch) {
			s.checkParsedAhead(batch, toParse, ready)
		} else {
			s.handleAll(batch)
		}
		// The batch counted as queued until now (queue.empty), so that no
		// event overtook it inline (deliver).
		s.events.done(batch)
	}
}

// parseChunk is how many events a parse goroutine parses at once. The loop
// checks one chunk while up to parseWorkers more are parsed, so at most
// parseWorkers+1 chunks of records hold their metrics: a whole batch of
// queueCap parsed records made the garbage collector mark them all, which
// cost more than the time the two goroutines saved.
const parseChunk = 256

// parseWorkers is how many goroutines parse ahead of the rules: one per
// core, as the parse is the larger step. More than eight would only hold
// more parsed records: the rules would be the bound well before
// (docs/benchmarks.md, "what bounds 32 cores").
func parseWorkers() int { return min(max(runtime.GOMAXPROCS(0), 1), 8) }

// chunk is a run of a batch's events for a parse goroutine, which hands it
// back on ready once its records are parsed.
type chunk struct {
	events []event
	ready  chan<- []event
}

// checkParsedAhead runs the rules over a batch's chunks in order, as the
// parse goroutines hand them back, keeping as many chunks in flight as
// there are parse goroutines.
func (s *Server) checkParsedAhead(batch []event, toParse chan<- chunk, ready []chan []event) {
	n := (len(batch) + parseChunk - 1) / parseChunk
	send := func(i int) {
		toParse <- chunk{events: batch[i*parseChunk : min((i+1)*parseChunk, len(batch))], ready: ready[i%len(ready)]}
	}
	for i := range min(n, len(ready)) {
		send(i)
	}
	for i := range n {
		c := <-ready[i%len(ready)]
		if next := i + len(ready); next < n {
			send(next)
		}
		s.handleAll(c)
		clear(c) // its metrics can go
	}
}

// handleAll processes events of the queue, in order, under proc.
func (s *Server) handleAll(events []event) {
	s.proc.Lock()
	defer s.proc.Unlock()
	for i := range events {
		s.handle(&events[i])
	}
}

// parseChunks parses the records of each chunk it is handed and hands the
// chunk back, until toParse is closed.
func (s *Server) parseChunks(toParse <-chan chunk) {
	for c := range toParse {
		for i := range c.events {
			if ev := &c.events[i]; ev.isRec {
				ev.res = s.engine.Parse(ev.rec)
			}
		}
		c.ready <- c.events
	}
}

// parseAhead says whether a batch is parsed ahead of the rules: when it
// holds records of more than one connection, or of more than one datagram
// listener, or when several stream connections are open and it is more
// than a chunk long. Only then does parsing ahead pay for its CPU. With one
// sender, splitting each record's work between two cores cost 4 to 27 %
// more CPU a metric on tcp-influx and tcp-json (docs/benchmarks.md): the
// one connection would be drained faster, but a developer's machine pays
// in CPU, and several senders are what leave records waiting behind the
// rules. The length test is for those: a reader that the scheduler leaves
// running fills the queue with its own records while the others wait, so
// with 8 busy connections most batches held one connection's records and
// were processed by the loop alone, on one core.
func (s *Server) parseAhead(batch []event) bool {
	return severalSenders(batch) || len(batch) > parseChunk && s.streams.Load() > 1
}

// severalSenders says whether a batch holds records of more than one
// connection, or of more than one datagram listener.
func severalSenders(batch []event) bool {
	first := -1
	for i := range batch {
		ev := &batch[i]
		if !ev.isRec {
			continue
		}
		if first < 0 {
			first = i
			continue
		}
		if f := &batch[first].rec; ev.rec.Conn != f.Conn || ev.rec.Listener != f.Listener {
			return true
		}
	}
	return false
}

// deliver processes an event in the caller's goroutine when the loop is
// idle and nothing is queued, and queues it otherwise. Inline, a record
// costs no hand-over between goroutines. Only stream listeners deliver
// inline (handler.inline): their reader waiting for the rules only slows
// the sender down, through TCP's flow control. A datagram reader that
// waited would leave the kernel's buffer to absorb every burst: at 100,000
// datagrams a second and the default buffer, inline processing lost 16 to
// 19 % of the datagrams to the kernel against 11 to 13 % through the queue.
//
// wait is for the reader of the only open stream connection: it waits for
// the loop to finish its batch instead of queuing behind it, and then
// processes its event inline unless others queued theirs meanwhile. A lone
// sender that outruns the rules then never hands its records to the loop's
// goroutine, on another core: on tcp-influx that hand-over cost about 9 %
// of fakegraf's CPU a metric (docs/benchmarks.md). Waiting only slows the
// sender down, through TCP's flow control, as inline processing does.
func (s *Server) deliver(ev event, wait bool) {
	if wait {
		s.proc.Lock()
	} else if !s.proc.TryLock() {
		s.events.push(ev)
		return
	}
	if !s.events.empty() {
		s.proc.Unlock()
		s.events.push(ev)
		return
	}
	at := ev.rec.Received
	if !ev.isRec || at.IsZero() {
		at = time.Now()
	}
	s.last.Store(at.UnixNano())
	s.handle(&ev)
	s.proc.Unlock()
}

func (s *Server) handle(ev *event) {
	switch {
	case ev.res != nil:
		s.engine.Check(ev.res)
	case ev.isRec:
		s.engine.Record(ev.rec)
	case ev.conn != nil:
		s.engine.Conn(*ev.conn)
	case ev.transport != nil:
		s.engine.Transport(*ev.transport)
	}
}

// handler feeds one listener's events to the server, which processes them
// one at a time, each connection's in arrival order, and keeps rule state
// unshared. inline says whether the listener may deliver inline; stream
// that it is a stream socket, whose connections the server counts.
type handler struct {
	s      *Server
	inline bool
	stream bool
}

func (h handler) Record(r listener.Record) { h.send(event{isRec: true, rec: r}) }

func (h handler) Conn(ev listener.ConnEvent) {
	if h.stream && ev.Open {
		h.s.streams.Add(1)
	}
	h.send(event{conn: &ev})
	if h.stream && !ev.Open {
		h.s.streams.Add(-1)
	}
}

func (h handler) Transport(ev listener.Transport) { h.send(event{transport: &ev}) }

func (h handler) send(ev event) {
	if !h.inline {
		h.s.events.push(ev)
		return
	}
	h.s.deliver(ev, h.stream && h.s.streams.Load() <= 1)
}

// httpInput is what the HTTP rules know of one of Telegraf's HTTP inputs:
// the options its plugin decides its answers with.
func httpInput(in *setup.Input) *parse.HTTPInput {
	out := &parse.HTTPInput{Kind: in.Kind}
	switch p := in.Plugin.(type) {
	case *influxdb_listener.InfluxDBListener:
		out.MaxBodySize = int64(p.MaxBodySize)
		switch {
		case p.TokenSharedSecret != "": // influxdb_listener.go routes
			out.Auth = "jwt"
		case p.BasicUsername != "" || p.BasicPassword != "":
			out.Auth = "basic"
		}
	case *influxdb_v2_listener.InfluxDBV2Listener:
		out.MaxBodySize = int64(p.MaxBodySize)
		if !p.Token.Empty() {
			out.Auth = "token"
		}
	case *http_listener_v2.HTTPListenerV2:
		out.MaxBodySize = int64(p.MaxBodySize)
		out.Paths, out.Methods = p.Paths, p.Methods
		if p.BasicUsername != "" && p.BasicPassword != "" { // http_listener_v2.go authenticateIfSet
			out.Auth = "basic"
		}
	}
	return out
}
