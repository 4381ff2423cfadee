// Package benchrec holds what the record-path benchmarks of several
// packages (api, web) share: fakegraf's record path into a sink, and the
// loopback benchmark's record. It is for tests only.
package benchrec
