// Package parse turns a listener.Record into the metrics Telegraf would store,
// with Telegraf's own parser for the configured data_format and Telegraf's own
// RunningInput.MakeMetric (name_override, prefix/suffix, tags, global tags,
// filters), and runs the rules over the record and its metrics.
//
// Findings are values (Diagnostic), never errors. The package does not bind
// sockets and does not print anything.
//
// # Adding a rule
//
// A rule is one file, rule_<id>.go with the ID's dashes as underscores
// (rule_timestamp_unit.go for timestamp-unit), in the spirit of
// staticcheck's one package per check. The file holds:
//
//   - the ID constant, and an init func that calls Register with the rule:
//     ID, Severity, Title, Doc (what Telegraf does with such input, citing
//     the Telegraf file), AlsoAt (every other severity it reports at, and
//     when), Bad and Good examples, Check (a record) or
//     CheckTransport (a socket event), Requires, and Cases: inputs that
//     trigger it and near misses that must not, with ∑ marking where a
//     finding points (case.go says how), as go/analysis's analysistest
//     markers do;
//   - its check functions, its state types and constants, and the helpers
//     only it uses.
//
// Requires lists the per-record facts the check reads (the record lexed as
// line protocol, Wavefront or JSON, the sender's timestamps, where a
// metric's parts were written), as go/analysis's Requires: the Context
// computes each once per record, and reading one the rule did not declare
// panics. facts.go lists them. Helpers several rules share live in files
// named for what they do (words.go, stage_options.go, json_parser.go,
// timestamps.go, parts.go, lru.go), never in a rule's file; options a rule
// reads are fields of RuleSet (TimestampWindow), not package globals.
//
// A fix that asks for a setting says it in the user's terms through
// ctx.settings() (setting.go): the flag to pass in flag mode, or the
// key = value line and where it goes in the user's telegraf.conf (file,
// line, service_address as written). TestFixesInTheUsersTerms holds every
// case's fixes to that.
//
// Nothing else changes: the registry is what Register collects, so
// `fakegraf rules` and docs/rules.md (`make docs`) list the rule, and the
// tests run its cases (TestRuleCases), check its Requires against what its
// cases read (TestRuleRequires), its AlsoAt against its cases and its
// ReportAs calls (TestRuleSeverities), and send its first trigger through
// every entry point (cmd/fakegraf TestEveryRuleInEveryEntryPoint).
package parse
