// Package report renders what fakegraf sees: each record with the metrics
// Telegraf would store and its findings, connection events, Telegraf's socket
// errors, and the summary per listener. Formats: human text (coloured on a
// terminal) and json (one object per event, NDJSON). It also writes accepted
// metrics as line protocol exactly as Telegraf's [[outputs.file]] would.
//
// It does not parse and does not decide exit codes; cmd/fakegraf does.
package report
