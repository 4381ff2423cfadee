// Package benchrec holds what the record-path benchmarks of several
// packages (api, web, parse) share: fakegraf's record path into a sink, the
// loopback benchmark's record, and running paths in alternation to compare
// them (Alternate). It is for tests only.
package benchrec
