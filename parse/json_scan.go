package parse

import (
	"encoding/binary"
	"math/bits"
)

// jsonScan is what one pass over a JSON record's bytes tells the rules, so
// that a clean record goes unlexed: three rules each scanned it on their
// own before.
type jsonScan struct {
	// values counts the values that can become a tag, a field or a name:
	// strings not followed by ':' (which makes them keys), true/false
	// literals and numbers (json-string-dropped, duplicate-key).
	values int
	// digits is the longest run of digits in a number: an integer of 16
	// digits or more may be past 2^53 (precision-loss).
	digits int
	// timeKey says that a string may name the metric's time (time-key-name):
	// one starts with "time", "ts\"", "epoch" or "datetime" in any case,
	// after an optional '@', or the text has an escape, which could spell
	// one. It may say yes too often, never too rarely.
	timeKey bool
}

// scanJSON scans a JSON text once, byte by byte: a table beats
// bytes.IndexByte per byte of a number or a literal (and of a string: the
// usual one is shorter than the call), and a table of byte classes beats a
// chain of comparisons for the bytes between values.
func scanJSON(data []byte) (s jsonScan) {
	n := len(data)
	for i := 0; i < n; i++ {
		switch jsonClass[data[i]] {
		case jsonQuote:
			j := i + 1
			if !s.timeKey {
				s.timeKey = timeLikeName(data[j:])
			}
			for j = quoteOrBackslash(data, j); j < n && data[j] == '\\'; j = quoteOrBackslash(data, j+2) {
				s.timeKey = true
			}
			k := j + 1
			for k < n && (data[k] == ' ' || data[k] == '\t' || data[k] == '\r' || data[k] == '\n') {
				k++
			}
			if k >= n || data[k] != ':' {
				s.values++
			}
			i = j
		case jsonValue:
			s.values++
			run := 0
			if c := data[i]; c >= '0' && c <= '9' {
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
		case jsonWord: // null
			for i+1 < n && data[i+1] >= 'a' && data[i+1] <= 'z' {
				i++
			}
		case jsonEscape:
			s.timeKey = true // outside a string: not JSON, but let the rule look
		}
	}
	return s
}

// quoteOrBackslash is the index of the first '"' or '\\' in data from j on,
// or j when j >= len(data). It reads 8 bytes at a time: the bytes inside a
// string are most of a JSON record, and a name is often longer than a word.
func quoteOrBackslash(data []byte, j int) int {
	for ; j+8 <= len(data); j += 8 {
		x := binary.LittleEndian.Uint64(data[j:])
		q, b := x^('"'*wordOnes), x^('\\'*wordOnes)
		// A zero byte of q or b is a quote or a backslash. The lowest bit
		// of (v-wordOnes) &^ v & wordHighs marks the first zero byte of v
		// exactly (a borrow reaches only the bytes after it).
		if m := ((q-wordOnes)&^q | (b-wordOnes)&^b) & wordHighs; m != 0 {
			return j + bits.TrailingZeros64(m)/8
		}
	}
	for ; j < len(data); j++ {
		if c := data[j]; c == '"' || c == '\\' {
			return j
		}
	}
	return j
}

// The classes of the bytes that start something scanJSON counts.
const (
	jsonOther  = iota
	jsonQuote  // a string
	jsonValue  // a number, or true or false
	jsonWord   // another word: null
	jsonEscape // a backslash outside a string
)

var jsonClass = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = jsonWord
	}
	for _, c := range []byte("tf-0123456789") {
		t[c] = jsonValue
	}
	t['"'], t['\\'] = jsonQuote, jsonEscape
	return t
}()

// timeLikeName says that a string starting at b may name a time.
func timeLikeName(b []byte) bool {
	if len(b) > 0 && b[0] == '@' {
		b = b[1:]
	}
	if len(b) == 0 {
		return false
	}
	switch b[0] | 0x20 { // most names start with none of these
	case 't':
		return hasPrefixFold(b, "time") || hasPrefixFold(b, "ts\"")
	case 'e':
		return hasPrefixFold(b, "epoch")
	case 'd':
		return hasPrefixFold(b, "datetime")
	}
	return false
}

// hasPrefixFold is bytes.HasPrefix ignoring ASCII case; prefix is lower case.
func hasPrefixFold(b []byte, prefix string) bool {
	if len(b) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if b[i]|0x20 != prefix[i] {
			return false
		}
	}
	return true
}

// jsonNumberByte are the bytes that continue a number or a true/false
// literal.
var jsonNumberByte = func() (t [256]bool) {
	for _, c := range []byte("abcdefghijklmnopqrstuvwxyz0123456789.+-E") {
		t[c] = true
	}
	return t
}()
