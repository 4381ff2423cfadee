// Package findingsout sends fakegraf's findings, as line protocol, to the
// tools a team already has: a real Telegraf (a socket_listener over udp://,
// tcp:// or unix://, or one of its HTTP inputs) or an InfluxDB (the v1
// /write or the v2 /api/v2/write API over http:// or https://). Each finding
// is one fakegraf_finding metric; every Options.Interval, and once at the
// end, each listener's counts are one fakegraf_summary metric, so a fleet of
// fakegraf tees shows up on existing dashboards. Lines are written with
// Telegraf's own influx serializer (report.MetricsWriter), as
// [[outputs.file]] would write them.
//
// Out is a serve.Sink in the run's one fan-out. It never blocks ingestion:
// a finding is serialized and put in a bounded queue, and one goroutine
// writes the queue out. When the destination is slow or down, the queue
// fills and what does not fit is counted, per listener, as undelivered, as
// is every line a failed write carried; Close says how many, and the CLI
// reports them as one findings-not-delivered finding per listener.
//
// It does not retry a write that failed (a line is delivered once or
// counted), does not persist the queue, and cannot see a datagram lost
// after it left: over udp:// only the writes the kernel refused (an ICMP
// port unreachable it reports on a later write) are counted, as with
// Telegraf's own outputs.socket_writer.
package findingsout
