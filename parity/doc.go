//go:build parity

// Package parity is the differential suite behind `make parity`: it plays
// the same byte sequences at a real Telegraf and at fakegraf and requires
// both to store the same metrics and report the same errors.
//
// The Makefile builds Telegraf v1.37.2 from the pinned module (with the
// socket_listener, influxdb_listener, influxdb_v2_listener,
// http_listener_v2 and statsd inputs, the file output and the json, influx,
// wavefront, value and form_urlencoded parsers) and runs
//
//	FAKEGRAF_TELEGRAF=.cache/bin/telegraf go test -count=1 -tags parity ./parity/...
//
// TestMain builds fakegraf from ./cmd/fakegraf and refuses to run without
// FAKEGRAF_TELEGRAF: a parity run that compares against nothing must not pass.
//
// # Differential cases (TestParity)
//
// A case is a telegraf.conf template (the [[inputs.socket_listener]] part,
// with {{ADDR}} where the service address goes, and {{ADDR2}} for an
// optional second listener), the [agent] options it wants (omit_hostname,
// hostname, precision), a list of steps (send bytes to listener L on
// connection N, wait, close connection N) and a time mode. For every case
// the suite
//
//  1. writes two complete configs into the case's temporary directory, each
//     with its own service addresses (port 0 on loopback, or its own unix
//     socket path), an [agent] section with flush_interval = "100ms" and an
//     [[outputs.file]] with data_format = "influx";
//  2. starts `telegraf --config tg.conf` and `fakegraf listen --config
//     fg.conf --metrics-out fg.out --output json -q --fail-on never` side by
//     side, and learns each one's real addresses from its log ("Listening on
//     …" from Telegraf, "listening on …" from fakegraf);
//  3. plays the steps at both at once: one datagram per send step on udp,
//     udp4, udp6 and unixgram; one write per send step on tcp, tcp4, tcp6,
//     unix and unixpacket, on the connection the step names. Connections
//     open on first use; a stream connection is ended by half-closing it and
//     waiting for the listener to close its end, so that the listener has
//     read everything before the next step or the stop;
//  4. waits until neither side's output has changed for 500 ms, stops both
//     with SIGTERM (Telegraf flushes its outputs on shutdown) and requires
//     both to exit 0;
//  5. compares the stored metrics: Telegraf's file output against fakegraf's
//     --metrics-out, both read back with Telegraf's influx parser, as
//     multisets of (name, tags, typed fields[, time]); the order of fields
//     and of metrics does not count. Timestamps are compared exactly when the
//     sender set them (timeSender); when it did not (timeNow: Telegraf stamps
//     the time of parsing), both sides' timestamps must lie within the run;
//  6. compares the errors as multisets: the messages of Telegraf's
//     `E! [inputs.socket_listener] Error in plugin: <msg>` (and other E!
//     lines of the input) against the messages of fakegraf's findings with
//     rule parse-error, line-too-long, socket-error or max-connections. A
//     fakegraf message may carry a suffix fakegraf adds: " (…)" on every
//     rule, or ": …" on the socket rules. Ephemeral peer ports and the
//     per-side socket paths are replaced by placeholders before comparing,
//     since they differ between the two runs by construction.
//
// A case may also hold a config Telegraf refuses to start with (rejected):
// then fakegraf must refuse it too, exit 2 without listening, and print
// Telegraf's reason.
//
// Every case must make Telegraf store or log something, unless marked
// silent (then it must store and log nothing): a case where nothing happens
// on either side proves nothing.
//
// The cases cover every socket kind the host has (udp6 and tcp6 only when
// [::1] can be bound) with good and broken input in json, influx and
// wavefront, the parser and input options json_name_key, name_override,
// tag_keys, json_string_fields, json_query, json_time_key/json_time_format/
// json_timezone, influx_timestamp_precision, influx_parser_type, precision,
// [agent] precision, [global_tags], input tags, name_prefix/suffix,
// namepass, fieldexclude, tagexclude and alias, the host tag (default,
// omit_hostname, hostname), two listeners in one config, and sender
// mistakes: a bad line among good ones (datagram and stream), JSON glued
// without a newline, JSON arrays, strings and all-string objects, wavefront
// without source or with a millisecond timestamp, influx millisecond
// timestamps, records at and over 64 KiB on tcp and unix, a final record
// without newline, CRLF, a UTF-8 BOM, binary garbage, blank records, NaN and
// Inf, splitting strategies, gzip and unknown content_encoding,
// max_connections, read_timeout, read_buffer_size and seqpacket framing.
//
// Run one case with its metrics and errors shown:
//
//	FAKEGRAF_PARITY_VERBOSE=1 FAKEGRAF_TELEGRAF=.cache/bin/telegraf \
//	  go test -tags parity -run '^TestParity/influx/crlf/tcp$' -v ./parity
//
// FAKEGRAF_PARITY_JOBS sets how many cases run at once (default 3).
//
// # Telegraf's own testcases (TestTelegrafTestcases)
//
// Every directory of plugins/inputs/socket_listener/testcases in the module
// cache ($(go env GOMODCACHE)/github.com/influxdata/telegraf@v1.37.2) is run
// against fakegraf alone: its telegraf.conf with "[agent] omit_hostname =
// true" prepended (Telegraf's harness feeds an Accumulator directly, so no
// host tag), its sequence.json written on one connection, expected.out
// compared with time ignored and expected.err matched as substrings with the
// exact count. A case whose data_format fakegraf does not carry is reported
// with t.Skip and its reason, never as passed.
//
// # The HTTP inputs (TestParityHTTP)
//
// Cases for [[inputs.influxdb_listener]], [[inputs.influxdb_v2_listener]]
// and [[inputs.http_listener_v2]], named TestParityHTTP/<input>/<case>. A
// case is the input's options and a list of HTTP requests (method, path and
// query, headers, body, optionally gzip-compressed or sent chunked). Both
// sides get the same config with their own port: a free port picked just
// before for the two InfluxDB listeners, which log their configured address
// rather than the bound one, and port 0 for http_listener_v2, which logs
// the bound one. [agent] precision is 1ns, so that the agent's rounding to
// the interval's unit does not hide what the precision parameter did. The
// requests are played one after another at each side on one keep-alive
// client, both sides at once (or, for a parallel case, all at once, each on
// a connection of its own); per request the status, the body, every
// response header but Date (the wall clock) and what the client saw of the
// connection (whether the request reused one, whether the server said
// Connection: close, whether it sent 100 Continue to a request expecting
// it) must be equal, a client error (no answer) included. A request may be
// cut off: written by hand with the Content-Length of its whole body, only
// part of the body, then a half-close. Cases also run over TLS (a
// certificate made in the case's directory) and, for http_listener_v2, on
// a unix socket. Beside the plugins' own options and endpoints, the cases
// hold fakegraf's wrapper (httpin) to Telegraf's server: keep-alive after
// each kind of answer, bodies over max_body_size or left unread, Expect:
// 100-continue, requests at once.
//
// Two cases are real client libraries instead of hand-made requests
// (clients_test.go): the official Go client for InfluxDB 2
// (github.com/influxdata/influxdb-client-go/v2, blocking write API, gzip
// on, points at each precision, a batch with a bad line, no bucket, a wrong
// token, Ping) against influxdb_v2_listener, and
// github.com/influxdata/influxdb1-client/v2 (each precision, Ping, a wrong
// password) against influxdb_listener. What each call returned is compared
// like an answer. They live in the main module: adding the v2 client to
// go.mod raised no version of a module Telegraf pins, it only added the
// client and three modules of its own. The only
// normalization: the "started" and "up" values of the v2 listener's /ready
// (and so that answer's Content-Length), which change from run to run by
// construction. Then the stored metrics are compared as in TestParity, and
// a case must store something unless marked none.
//
// # A real client (TestParityNodeInfluxClient)
//
// examples/node-influxdb/write.mjs, the official InfluxDB client for
// Node.js (@influxdata/influxdb-client, vendored), writes one gzipped batch
// of 31 points to each side's [[inputs.influxdb_v2_listener]] (INFLUX_URL),
// once correctly at precision=ms and once with millisecond numbers at
// precision=ns; the stored metrics, timestamps included, must be equal.
// Its cases count in the v2 listener's table. Without node it skips with
// its reason, or fails when FAKEGRAF_REQUIRE_NODE is set.
//
// # statsd (TestParityStatsd)
//
// Each case sends statsd packets (udp datagrams, or writes on a tcp
// connection per interval) interval by interval, with [agent] interval =
// "1s", round_interval and no jitter on both sides: Telegraf gathers on the
// whole seconds, and the suite sends half-way between, one interval's
// packets at a time, then lets one whole second pass after the last. The
// stored metrics are sorted into intervals by their timestamps (a gather's
// metrics carry its time, rounded to the second) and compared per flush,
// without time; metrics outside the run's intervals fail the case.
// number_workers_threads is 1 unless a case says otherwise: with several
// workers Telegraf applies datagrams in a varying order, which changes
// gauges with deltas and the float stats of timings from run to run.
//
// # Inputs fakegraf does not serve yet
//
// A fakegraf that refuses a config of these suites fails the case with
// "fakegraf refused the config ... it does not serve [[inputs.X]] yet" and
// its stderr: such a case is never skipped.
//
// # Self-check
//
// FAKEGRAF_PARITY_SELF=1 runs TestParityHTTP and TestParityStatsd with
// Telegraf on both sides (TestParity is unaffected). It must report 0
// differences; a difference there is a harness bug (a value that changes
// from run to run, a misaligned flush), not a fakegraf one:
//
//	FAKEGRAF_PARITY_SELF=1 FAKEGRAF_TELEGRAF=.cache/bin/telegraf \
//	  go test -count=1 -tags parity -run 'TestParityHTTP|TestParityStatsd' ./parity
//
// One input alone: -run TestParityHTTP/influxdb_v2_listener,
// -run TestParityHTTP/influxdb_listener, -run TestParityHTTP/http_listener_v2,
// -run TestParityStatsd.
//
// # Figures
//
// TestMain prints an agreement table at the end (cases run, agreed,
// deliberate, differed, skipped), and for each input of TestParityHTTP and
// TestParityStatsd a table of its cases with their outcome and the input's
// count of cases, agreed and differed. `make parity` runs the compiled test binary
// itself, so the table shows whether the suite passes or fails. A case
// marked deliberate checks a difference the README lists under "Deliberate
// differences" exactly as documented; agreement counts it as agreed.
//
// Every file in this directory carries the parity build tag, so that
// `go test ./...` does not need a Telegraf binary.
package parity
