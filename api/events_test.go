package api

import (
	"testing"

	"github.com/fakegraf/fakegraf/parse"
)

// A clean record is published only when a subscriber takes records: the
// store counts those (heavySubs), through subscribing, leaving and being
// dropped for falling behind, which must not count one twice.
func TestCleanRecordsReachOnlyHeavySubscribers(t *testing.T) {
	s := NewStore(Options{})
	s.Listening("tcp://127.0.0.1:8094", "influx")
	seq := 0
	clean := func() *parse.Result { seq++; return result(seq, []byte("x"), cpu("h", int64(seq), "idle", 1.0)) }
	light, _, _ := s.subscribe(true)
	heavy, _, _ := s.subscribe(false)
	for range subBuffer + 1 { // the heavy one falls behind and is dropped
		s.Result(clean())
	}
	select {
	case <-heavy.overflow:
	default:
		t.Fatal("a subscriber that fell behind was not dropped")
	}
	s.unsubscribe(heavy) // as its handler does after the drop
	if s.heavySubs != 0 {
		t.Fatalf("heavySubs = %d after the only heavy subscriber left", s.heavySubs)
	}
	if n := len(light.ch); n != 0 {
		t.Fatalf("a light subscriber got %d clean records", n)
	}
	again, _, _ := s.subscribe(false)
	s.Result(clean())
	if n := len(again.ch); n != 1 {
		t.Fatalf("a heavy subscriber got %d events for a clean record, want 1", n)
	}
	bad := clean()
	bad.Diagnostics = []parse.Diagnostic{{Rule: "parse-error", Message: "x", Source: bad.Source()}}
	s.Result(bad)
	if n := len(light.ch); n != 1 {
		t.Fatalf("a light subscriber got %d events for a record with a finding, want 1", n)
	}
}
