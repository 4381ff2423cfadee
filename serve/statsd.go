package serve

import (
	"fmt"
	"time"

	"github.com/fakegraf/fakegraf/listener"
	"github.com/fakegraf/fakegraf/parse"
	"github.com/fakegraf/fakegraf/setup"
	"github.com/fakegraf/fakegraf/statsdin"
)

// drainTimeout bounds how long Close waits for a statsd plugin to read and
// parse what was sent on to it.
const drainTimeout = 2 * time.Second

// statsdRun is one [[inputs.statsd]] plugin and its flushes.
type statsdRun struct {
	plug *statsdin.Plugin
	cfg  *setup.Statsd
	url  string
	stop chan struct{}
	done chan struct{}
}

// abort closes what Start bound before it failed.
func (s *Server) abort() {
	s.closeListeners()
	for _, run := range s.statsd {
		close(run.stop)
		<-run.done
		run.plug.Stop()
	}
}

// flushLoop calls the plugin's Gather on the agent's interval, aligned to
// multiples of it with round_interval as agent/agent.go's aligned ticker
// does, and hands each flush's metrics to the engine as a record of their
// own (listener.PluginOutput.Flush).
func (r *statsdRun) flushLoop(s *Server) {
	defer close(r.done)
	for {
		now := time.Now()
		next := now.Add(r.cfg.Interval)
		if r.cfg.RoundInterval {
			next = now.Truncate(r.cfg.Interval).Add(r.cfg.Interval)
		}
		t := time.NewTimer(next.Sub(now))
		select {
		case <-r.stop:
			t.Stop()
			return
		case <-t.C:
		}
		out := r.plug.Gather()
		if len(out.Metrics) == 0 && len(out.Errors) == 0 {
			continue // nothing aggregated: Telegraf stores nothing either
		}
		s.events.push(event{isRec: true, rec: listener.Record{Listener: r.url, Received: time.Now(), Plugin: &out}})
	}
}

// close stops the flushes, lets the plugin read and parse everything sent
// on to it so that its messages are reported, and stops it. Like the
// agent (agent/agent.go runInputs stops service inputs without a last
// Gather), it does not flush: what was aggregated since the last flush is
// reported as not stored. Whatever the plugin did not read, or dropped
// itself, is reported too.
func (r *statsdRun) close(s *Server) {
	close(r.stop)
	<-r.done
	acc := r.plug.Drain(drainTimeout)
	pending := r.plug.Gather()
	r.plug.Stop()
	if acc.Missed() > 0 {
		s.events.push(event{transport: &listener.Transport{Listener: r.url, Err: &parse.PluginLog{
			Message: fmt.Sprintf("Telegraf's statsd plugin read %d of the %d datagram(s) or line(s) fakegraf sent on to it on loopback: %d never reached it", acc.Received, acc.Sent, acc.Missed())}}})
	}
	if n := len(pending.Metrics); n > 0 {
		s.events.push(event{transport: &listener.Transport{Listener: r.url, Err: &parse.PluginLog{
			Message: fmt.Sprintf("%d metric(s) aggregated since the last flush were not stored: Telegraf flushes statsd every %s and not when it stops", n, r.cfg.Interval)}}})
	}
}
