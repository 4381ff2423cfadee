package parse

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/influxdata/telegraf"
	"github.com/influxdata/telegraf/metric"
)

// TestASCIIWithoutNUL holds bad-encoding's word-at-a-time pass to the
// byte-at-a-time answer: every byte value at every place of records of every
// length up to three words, and random records beside them.
func TestASCIIWithoutNUL(t *testing.T) {
	slow := func(b []byte) bool {
		for _, c := range b {
			if c == 0 || c >= 0x80 {
				return false
			}
		}
		return true
	}
	for n := 0; n <= 24; n++ {
		for at := 0; at < n; at++ {
			for c := 0; c < 256; c++ {
				b := bytes.Repeat([]byte{'a'}, n)
				b[at] = byte(c)
				if got, want := asciiWithoutNUL(b), slow(b); got != want {
					t.Fatalf("%q: got %v, want %v", b, got, want)
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(130)) // mostly ASCII, some NUL and high bytes
		}
		if got, want := asciiWithoutNUL(b), slow(b); got != want {
			t.Fatalf("%q: got %v, want %v", b, got, want)
		}
		if asciiWithoutNUL(b) && !(bytes.IndexByte(b, 0) < 0 && utf8.Valid(b)) {
			t.Fatalf("%q: called plain but is not", b)
		}
	}
}

// TestAllNearAtTheEdges holds allNear's whole-second shortcut to Sub: times
// a nanosecond either side of each edge of the window, around a receive
// time with and without nanoseconds, and windows that are not whole
// seconds.
func TestAllNearAtTheEdges(t *testing.T) {
	windows := []Window{defaultTimestampWindow, {Past: 1500 * time.Millisecond, Future: 0}, {Past: time.Second, Future: time.Nanosecond}}
	nows := []time.Time{time.Unix(1764000000, 0), time.Unix(1764000000, 999999999), time.Now()}
	for _, w := range windows {
		for _, now := range nows {
			for _, edge := range []time.Duration{-w.Past, w.Future} {
				for _, d := range []time.Duration{-time.Second - 1, -time.Second, -1, 0, 1, time.Second, time.Second + 1} {
					at := now.Add(edge + d)
					m := metric.New("cpu", nil, map[string]interface{}{"v": 1.0}, at)
					ctx := &Context{Rules: &RuleSet{TimestampWindow: w}, Parsed: viewParsed([]telegraf.Metric{m}, &inline{})}
					sub := at.Sub(now)
					want := sub >= -w.Past && sub <= w.Future
					if got := allNear(ctx, now); got != want {
						t.Errorf("window %+v, now %v, time %v (%v from now): got %v, want %v", w, now, at, sub, got, want)
					}
				}
			}
		}
	}
}

// TestSameAsLastInAnyOrder holds field-type-conflict's shortcut to its
// promise: the last metric's name, field keys and field types, in any
// order (Telegraf's JSON parser orders fields at random), and nothing else.
func TestSameAsLastInAnyOrder(t *testing.T) {
	mk := func(name string, fields ...any) telegraf.Metric {
		m := metric.New(name, nil, nil, time.Unix(0, 0))
		for i := 0; i < len(fields); i += 2 {
			m.AddField(fields[i].(string), fields[i+1])
		}
		return m
	}
	var st fieldTypes
	st.remember(mk("cpu", "a", 1.5, "b", int64(2), "c", "x"))
	for _, tc := range []struct {
		m    telegraf.Metric
		want bool
	}{
		{mk("cpu", "a", 2.5, "b", int64(3), "c", "y"), true},
		{mk("cpu", "c", "y", "a", 2.5, "b", int64(3)), true},
		{mk("cpu", "b", int64(3), "c", "y", "a", 2.5), true},
		{mk("cpu", "b", 2.5, "a", int64(3), "c", "y"), false}, // a and b swap types
		{mk("cpu", "c", "y", "a", 2.5, "b", 3.0), false},
		{mk("cpu", "a", 2.5, "b", int64(3), "d", "y"), false},
		{mk("cpu", "a", 2.5, "b", int64(3)), false},
		{mk("mem", "a", 2.5, "b", int64(3), "c", "y"), false},
	} {
		if got := st.sameAsLast(tc.m); got != tc.want {
			t.Errorf("sameAsLast(%v) = %v, want %v", tc.m, got, tc.want)
		}
	}
}
