package parse

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// FuzzScanJSON holds scanJSON to the byte-by-byte scan it replaced (below,
// as it was): the same counts and the same timeKey for any bytes, JSON or
// not. The seeds and TestScanJSONLikeByteByByte's random texts run in every
// go test.
func FuzzScanJSON(f *testing.F) {
	for _, seed := range scanJSONSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := scanJSON(data), scanJSONByteByByte(data); got != want {
			t.Fatalf("scanJSON(%q) = %+v, the byte-by-byte scan %+v", data, got, want)
		}
	})
}

var scanJSONSeeds = []string{
	`{"metric_name": "good_metric_name", "value1": 10, "value2": 7, "format": "json"}`,
	`{"a\"b": 1, "c": "d\\", "e": "\u0074ime"}`,
	`{"s": "unterminated`, `{"s": "ends in a backslash\`, `"\\"`, `{"@timestamp": 1, "TS": 2, "Epoch": 3, "datetime": "x"}`,
	`[{"a": 12345678901234567, "b": true}, {"c": -1.5e10, "d": null}]`, `{"a" : "x", "b":{"c":"y"}} \\ "t"`,
}

// TestScanJSONLikeByteByByte is FuzzScanJSON over random texts of the bytes
// that matter to the scan.
func TestScanJSONLikeByteByByte(t *testing.T) {
	const alphabet = "\"\\:{}[], \t\ntfnule0123456789.-+Eaimsd@T"
	r := rand.New(rand.NewPCG(3, 4))
	for range 50000 {
		b := make([]byte, r.IntN(48))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		if got, want := scanJSON(b), scanJSONByteByByte(b); got != want {
			t.Fatalf("scanJSON(%q) = %+v, the byte-by-byte scan %+v", b, got, want)
		}
	}
	// A quote or a backslash at every place of strings longer than the
	// 8 bytes quoteOrBackslash reads at a time, and bytes whose values
	// are near them, which a word-at-a-time test may confuse with them.
	for n := range 26 {
		for at := range n {
			for _, c := range []byte{'"', '\\', '"' + 1, '\\' - 1, '"' | 0x80, '\\' | 0x80, 0, 0xff} {
				b := []byte(`{"` + strings.Repeat("x", n) + `": 1}`)
				b[2+at] = c
				if got, want := scanJSON(b), scanJSONByteByByte(b); got != want {
					t.Fatalf("scanJSON(%q) = %+v, the byte-by-byte scan %+v", b, got, want)
				}
			}
		}
	}
}

// scanJSONByteByByte is scanJSON as it was before it classed bytes with a
// table and looked at a name's first letter before its prefixes.
func scanJSONByteByByte(data []byte) (s jsonScan) {
	n := len(data)
	for i := 0; i < n; i++ {
		switch c := data[i]; {
		case c == '"':
			j := i + 1
			if !s.timeKey {
				s.timeKey = timeLikeNameRef(data[j:])
			}
			for j < n && data[j] != '"' {
				if data[j] == '\\' {
					s.timeKey = true
					j++
				}
				j++
			}
			k := j + 1
			for k < n && (data[k] == ' ' || data[k] == '\t' || data[k] == '\r' || data[k] == '\n') {
				k++
			}
			if k >= n || data[k] != ':' {
				s.values++
			}
			i = j
		case c == 't' || c == 'f' || c == '-' || c >= '0' && c <= '9':
			s.values++
			run := 0
			if c >= '0' && c <= '9' {
				run = 1
			}
			s.digits = max(s.digits, run)
			for i+1 < n && jsonNumberByte[data[i+1]] {
				i++
				if d := data[i]; d >= '0' && d <= '9' {
					run++
					s.digits = max(s.digits, run)
				} else {
					run = 0
				}
			}
		case c >= 'a' && c <= 'z': // null
			for i+1 < n && data[i+1] >= 'a' && data[i+1] <= 'z' {
				i++
			}
		case c == '\\':
			s.timeKey = true // outside a string: not JSON, but let the rule look
		}
	}
	return s
}
func timeLikeNameRef(b []byte) bool {
	if len(b) > 0 && b[0] == '@' {
		b = b[1:]
	}
	return hasPrefixFold(b, "time") || hasPrefixFold(b, "ts\"") || hasPrefixFold(b, "epoch") || hasPrefixFold(b, "datetime")
}

// BenchmarkScanJSON is the one pass over a JSON record's bytes that four
// rules share, on BenchmarkProcess's JSON record: the least any rule that
// must see what encoding/json's map hides (a repeated member, a dropped
// string) costs on a clean record.
func BenchmarkScanJSON(b *testing.B) {
	data := []byte(`{"metric_name": "good_metric_name", "value1": 10, "value2": 7, "format": "json"}`)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if s := scanJSON(data); s.values != 4 {
			b.Fatalf("values %d, want 4", s.values)
		}
	}
}
