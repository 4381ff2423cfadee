// Package parse turns a listener.Record into the metrics Telegraf would store,
// with Telegraf's own parser for the configured data_format and Telegraf's own
// RunningInput.MakeMetric (name_override, prefix/suffix, tags, global tags,
// filters), and runs the rules over the record and its metrics.
//
// Findings are values (Diagnostic), never errors. The package does not bind
// sockets and does not print anything.
package parse
