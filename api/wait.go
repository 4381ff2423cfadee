package api

import (
	"context"
	"errors"
	"time"

	"github.com/influxdata/telegraf"

	"github.com/fakegraf/fakegraf/report"
)

// maxWaits bounds the waits pending at once.
const maxWaits = 1000

// wait is a pending POST /api/v1/wait: its expectations, counted against
// every metric as it arrives (Store.Result feeds them), and a channel
// closed the moment they all hold.
type wait struct {
	exp   *report.Expect
	done  chan struct{}
	ready bool // the kept metrics have been counted (guarded by Store.mu)
}

var (
	errTooManyWaits = errors.New("too many waits pending: let some return first")
	errStopping     = errors.New("fakegraf is stopping")
)

// WaitResult is how a wait ended.
type WaitResult struct {
	OK bool `json:"ok"`
	// Reason says why it returned without OK: the timeout passed, the
	// client went away, or fakegraf is stopping.
	Reason       string           `json:"reason,omitempty"`
	Elapsed      float64          `json:"elapsed_seconds"`
	Expectations []report.Outcome `json:"expectations"`
}

// Wait counts the kept metrics and every metric that arrives after them
// against exp until every expectation holds, the timeout passes, ctx ends
// or the store closes. It returns the moment the metric that makes them
// hold has been processed: Result wakes it, nothing polls.
func (s *Store) Wait(ctx context.Context, exp *report.Expect, timeout time.Duration) (WaitResult, error) {
	start := time.Now()
	w := &wait{exp: exp, done: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return WaitResult{}, errStopping
	}
	if len(s.waits) >= maxWaits {
		s.mu.Unlock()
		return WaitResult{}, errTooManyWaits
	}
	// From now on Result feeds it what arrives; what is kept is decoded and
	// counted outside the lock, while ingestion goes on. Until then the
	// wait cannot hold: "never" and "exactly" need the whole count.
	s.waits[w] = struct{}{}
	v := s.viewLocked(func(e *entry) bool { return e.metrics > 0 })
	s.mu.Unlock()
	var m rawMetric
	var batch []telegraf.Metric
	for i := range v.entries {
		r := v.reader(&v.entries[i])
		h := r.readHeader()
		r.metricsLen()
		batch = batch[:0]
		for k := 0; k < h.metrics && r.err == nil; k++ {
			r.readMetric(&m)
			batch = append(batch, m.metric())
		}
		exp.Metrics(batch)
	}
	v.close()
	s.mu.Lock()
	w.ready = true
	held := exp.Holds()
	if held {
		delete(s.waits, w)
	}
	s.mu.Unlock()

	reason := ""
	if !held {
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		select {
		case <-w.done:
			held = true
		case <-timer.C:
			reason = "the timeout of " + timeout.String() + " passed"
		case <-ctx.Done():
			reason = "the request ended: " + ctx.Err().Error()
		case <-s.done:
			reason = errStopping.Error()
		}
		if !held {
			s.mu.Lock()
			delete(s.waits, w)
			s.mu.Unlock()
			select {
			case <-w.done: // it held as it timed out
				held, reason = true, ""
			default:
			}
		}
	}
	return WaitResult{OK: held, Reason: reason, Elapsed: time.Since(start).Seconds(), Expectations: exp.Outcomes()}, nil
}

// feedWaits counts new metrics against every pending wait and wakes those
// that now hold. The caller holds s.mu.
func (s *Store) feedWaits(ms []telegraf.Metric) {
	for w := range s.waits {
		w.exp.Metrics(ms)
		if w.ready && w.exp.Holds() {
			close(w.done)
			delete(s.waits, w)
		}
	}
}
