package web

import "github.com/fakegraf/fakegraf/serve"

// Replay is replay, for the tests.
func (rec *Recorder) Replay(sink serve.Sink) { rec.replay(sink) }
