// Package serve runs fakegraf's engine. Engine is the one path every event
// takes: a record through its listener's parse.Pipeline, a transport event
// (a refused connection, a scanner error, kernel drops) through the same
// rules, and both on to one Sink, one event at a time, in arrival order
// (Server parses records ahead of the rules, as Telegraf's parse pool does).
// Server binds every input of a setup.Config and feeds the engine from the
// sockets; `fakegraf check` feeds it from files. Sink is the one event
// interface and Tee the one fan-out: the CLI's report, summary, golden file
// and expectations, and fakegraftest, are sinks.
//
// It does not render anything and does not decide exit codes.
package serve
