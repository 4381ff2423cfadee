// Package api is fakegraf's HTTP API: what arrived, as JSON, for programs
// and tests that ask while fakegraf runs. Store is a serve.Sink, one more
// consumer of the one event stream: it keeps the newest records with their
// metrics and findings in a bounded ring (Options.Keep), counts everything
// exactly with a report.Collector, wakes the waits that POST /api/v1/wait
// leaves pending the moment a metric makes their expectations hold, and
// hands every event to the clients of GET /api/v1/events without ever
// waiting for one (a client that falls behind is dropped and told so).
// NewHandler serves it: versioned JSON under /api/v1, described by the
// OpenAPI document openapi.json (rendered in docs/api.md), and fakegraf's
// own counters for Prometheus at /metrics.
//
// Listings and points are computed from what is kept, when asked:
// ingestion only appends to the ring, a batch of records at a time
// (store.go's pending), and a metric that repeats its series is kept as a
// reference plus its values (codec.go). The series are the exception: the
// page asks for them every few seconds, so each metric updates its series'
// aggregate as it is stored (series.go), at the cost of a map lookup. The objects are those of --output
// json (report/events.go), so that a program reads one format.
//
// It does not bind sockets, parse or decide exit codes, and it does not
// make a web page (HandlerOptions.Page mounts package web's at /); it only
// reads what the sink hands it.
package api
