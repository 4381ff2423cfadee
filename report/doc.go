// Package report renders what fakegraf sees: each record with the metrics
// Telegraf would store and its findings, connection events, Telegraf's socket
// errors, failed checks, and the summary per listener. Formats: human text
// (coloured on a terminal), json (one object per event, NDJSON), github
// (workflow annotations) and junit (XML). It also holds the end-of-run checks
// (golden files with a -want +got diff, --expect assertions) and writes
// accepted metrics as line protocol exactly as Telegraf's [[outputs.file]]
// would.
//
// It does not parse and does not decide exit codes; cmd/fakegraf does.
package report
