// Package serve runs fakegraf's engine: it binds every input of a
// setup.Config with the listener package, turns each record into metrics and
// findings with a parse.Pipeline per listener, and hands the results to a Sink
// from one goroutine, in arrival order. cmd/fakegraf and the fakegraftest
// helper both run on it.
//
// It does not render anything and does not decide exit codes.
package serve
