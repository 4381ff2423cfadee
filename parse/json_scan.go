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
// chain of comparisons for the bytes between values. Most bytes between
// values (',', ':', spaces, brackets) start nothing, so a run of them costs
// a lookup each; a string's end is found a word at a time, and the scan
// goes on after the spaces and the ':' that follow it, which it has read.
func scanJSON(data []byte) (s jsonScan) {
	n := len(data)
	for i := 0; i < n; i++ {
		class := jsonClass[data[i]]
		if class == jsonOther {
			continue
		}
		switch class {
		case jsonQuote:
			j := i + 1
			if !s.timeKey && j < n && timeStart[data[j]] {
				s.timeKey = timeLikeName(data[j:])
			}
			// The usual string ends in its first word: no call for it.
			if j+8 <= n {
				if m := quotesOrBackslashes(binary.LittleEndian.Uint64(data[j:])); m != 0 {
					j += bits.TrailingZeros64(m) / 8
				} else {
					j = quoteOrBackslash(data, j+8)
				}
			} else {
				j = quoteOrBackslash(data, j)
			}
			for j < n && data[j] == '\\' {
				s.timeKey = true
				j = quoteOrBackslash(data, j+2)
			}
			k := j + 1
			for k < n && jsonSpace[data[k]] {
				k++
			}
			if k < n && data[k] == ':' {
				i = k // a key; the loop goes on after its ':'
			} else {
				s.values++
				i = k - 1 // the loop goes on at the byte after the spaces
			}
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
		if m := quotesOrBackslashes(binary.LittleEndian.Uint64(data[j:])); m != 0 {
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

// quotesOrBackslashes marks the bytes of the word x, read little-endian,
// that are a quote or a backslash: its lowest set bit is the high bit of
// the first of them; 0 when there is none. A zero byte of q or b is a
// quote or a backslash, and the lowest bit of (v-wordOnes) &^ v & wordHighs
// marks the first zero byte of v exactly (a borrow reaches only the bytes
// after it). It is small enough to inline in its two callers.
func quotesOrBackslashes(x uint64) uint64 {
	q, b := x^('"'*wordOnes), x^('\\'*wordOnes)
	return ((q-wordOnes)&^q | (b-wordOnes)&^b) & wordHighs
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

// jsonSpace are JSON's whitespace bytes.
var jsonSpace = [256]bool{' ': true, '\t': true, '\r': true, '\n': true}

// timeStart are the bytes a string that timeLikeName may say yes to starts
// with: most names start with none of them, and skip the call.
var timeStart = [256]bool{'@': true, 't': true, 'T': true, 'e': true, 'E': true, 'd': true, 'D': true}

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
