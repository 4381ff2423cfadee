// Package statsdin runs Telegraf's own [[inputs.statsd]] plugin
// (plugins/inputs/statsd) with fakegraf in front of it.
//
// The plugin has no exported parser or handler: Start binds its own socket,
// parses each line in its own goroutines (parseStatsdLine, unexported),
// aggregates, and stores nothing until the agent calls Gather, the flush.
// So that fakegraf still sees every datagram and every line, with its
// sender, fakegraf binds the configured address itself (package listener,
// as for a socket_listener: a record per UDP datagram, a record per TCP
// line) and hands the same bytes to the plugin, whose service_address is
// rewritten before Start to a free port on loopback: a UDP datagram is sent
// on as one datagram, and each TCP connection gets one upstream connection
// to the plugin carrying the same lines in the same order. Everything else
// is the plugin's: its parsing, templates, Datadog extensions, aggregation,
// percentiles, delete_* and max_ttl.
//
// Nothing is lost on that hop without a count: fakegraf keeps no more than
// a few datagrams in flight to the plugin (it waits for the plugin's own
// counter of datagrams read, statsd.go udpListen's udp_packets_received,
// to catch up), so the loopback socket's buffer cannot overflow; and
// Drain compares what was sent on with what the plugin read and what it
// dropped itself (allowed_pending_messages), so a difference is reported.
//
// The plugin logs its parse errors through its Log field; Plugin sets its
// own logger, matches each message to the recent line it quotes, and hands
// it on as a listener.Transport whose Err is a *parse.PluginLog, so that the
// rules of package parse turn it into a finding on that record.
//
// Flushes run on the agent's interval, aligned as the agent aligns them
// with round_interval (agent/agent.go runInputs; collection_jitter and
// collection_offset are not reproduced). Like the agent, fakegraf does not
// flush at shutdown: what was aggregated since the last flush is lost in
// Telegraf, and Pending tells how much that is.
//
// The package does not parse statsd itself, and does not render anything.
package statsdin
