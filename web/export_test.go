package web

import (
	"time"

	"github.com/fakegraf/fakegraf/serve"
)

// Replay is replay, for the tests.
func (rec *Recorder) Replay(since time.Time, sink serve.Sink) { rec.replay(since, sink) }
