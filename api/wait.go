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
	exp  *report.Expect
	done chan struct{}
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
	Elapsed      string           `json:"elapsed"`
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
	for i := range s.records.n {
		if ms := s.records.at(i).metrics; len(ms) > 0 {
			exp.Metrics(ms)
		}
	}
	held := exp.Holds()
	if !held {
		s.waits[w] = struct{}{}
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
	return WaitResult{OK: held, Reason: reason, Elapsed: time.Since(start).Round(time.Microsecond).String(), Expectations: exp.Outcomes()}, nil
}

// feedWaits counts new metrics against every pending wait and wakes those
// that now hold. The caller holds s.mu.
func (s *Store) feedWaits(ms []telegraf.Metric) {
	for w := range s.waits {
		w.exp.Metrics(ms)
		if w.exp.Holds() {
			close(w.done)
			delete(s.waits, w)
		}
	}
}
