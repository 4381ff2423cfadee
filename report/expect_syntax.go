package report

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// The grammar of an --expect line after its count:
//
//	spec      = head { " " word }
//	head      = measurement { "," tag }
//	word      = field { "," field } | "time:recent"
//	measurement = name | "/" regexp "/"
//	tag       = key | key ("=" | "!=") value | key ("=~" | "!~") "/" regexp "/"
//	field     = key [":" type] | key op value [":" type]
//	op        = "=" | "!=" | ">" | ">=" | "<" | "<=" | "=~" | "!~"
//	value     = plain | "\"" quoted "\"" | "/" regexp "/" (after =~ and !~ only)
//	type      = "float" | "int" | "uint" | "string" | "bool"
//
// The operators and the /regexp/ delimiters are InfluxQL's, which the
// people who write these files already read. A regexp is Go's (RE2),
// unanchored as in InfluxQL: /^web-\d+$/ anchors it. A / inside one is
// written \/. A quoted value may hold spaces and commas (Go escapes). A
// number compares with any numeric field (10 matches 10.0, 10i and 10u);
// add :type to want one type. Every condition wants its key present.

// condition is one tag or field condition.
type condition struct {
	Key   string
	Op    string // "" (present), =, !=, >, >=, <, <=, =~, !~
	Value string // as written, unquoted
	Re    *regexp.Regexp
	Type  string // fields: float, int, uint, string, bool; "" any
}

var types = []string{"float", "int", "uint", "string", "bool"}

func isType(s string) bool {
	for _, t := range types {
		if s == t {
			return true
		}
	}
	return false
}

// splitSpec splits a spec into words at spaces and each word into
// elements at commas, keeping a /regexp/ (as the measurement or after =~
// or !~) and a "quoted value" (after an operator) whole.
func splitSpec(s string) ([][]string, error) {
	var words [][]string
	var word []string
	var elem strings.Builder
	endElem := func() {
		if elem.Len() > 0 {
			word = append(word, elem.String())
			elem.Reset()
		}
	}
	endWord := func() {
		endElem()
		if len(word) > 0 {
			words = append(words, word)
			word = nil
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		cur := elem.String()
		switch {
		case c == ' ' || c == '\t':
			endWord()
		case c == ',':
			endElem()
		case c == '/' && (cur == "" || strings.HasSuffix(cur, "~")),
			c == '"' && cur != "" && strings.ContainsRune("=<>", rune(cur[len(cur)-1])):
			j := closing(s, i)
			if j < 0 {
				what := "a regular expression"
				if c == '"' {
					what = "a quoted value"
				}
				return nil, fmt.Errorf("%s: %s with no closing %c", s[i:], what, c)
			}
			elem.WriteString(s[i : j+1])
			i = j
		default:
			elem.WriteByte(c)
		}
	}
	endWord()
	if len(words) == 0 {
		return nil, fmt.Errorf("no measurement")
	}
	return words, nil
}

// closing is the index of the delimiter that closes the one at s[i],
// skipping backslash escapes, or -1.
func closing(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case s[i]:
			return j
		}
	}
	return -1
}

// parseRegexp reads a /regexp/ element; ok is false for a plain one.
func parseRegexp(s string) (re *regexp.Regexp, ok bool, err error) {
	if len(s) < 2 || s[0] != '/' || s[len(s)-1] != '/' {
		return nil, false, nil
	}
	re, err = regexp.Compile(strings.ReplaceAll(s[1:len(s)-1], `\/`, "/"))
	return re, err == nil, err
}

var operators = []string{"=~", "!~", ">=", "<=", "!=", "=", ">", "<"}

// parseCondition reads a tag (tag true) or field condition.
func parseCondition(elem string, tag bool) (condition, error) {
	kind := "field"
	if tag {
		kind = "tag"
	}
	i := strings.IndexAny(elem, "=!<>:~")
	if i == 0 {
		return condition{}, fmt.Errorf("%s %q has no key", kind, elem)
	}
	if i < 0 {
		return condition{Key: elem}, nil // present
	}
	c := condition{Key: elem[:i]}
	rest := elem[i:]
	if rest[0] != ':' {
		for _, op := range operators {
			if strings.HasPrefix(rest, op) {
				c.Op, rest = op, rest[len(op):]
				break
			}
		}
		if c.Op == "" {
			return c, fmt.Errorf("%s %q: unknown operator: use = != > >= < <= =~ or !~", kind, elem)
		}
		switch {
		case c.Op == "=~" || c.Op == "!~":
			j := -1
			if strings.HasPrefix(rest, "/") {
				j = closing(rest, 0)
			}
			if j < 0 {
				return c, fmt.Errorf("%s %q: %s wants a /regular expression/", kind, elem, c.Op)
			}
			re, _, err := parseRegexp(rest[:j+1])
			if err != nil {
				return c, fmt.Errorf("%s %q: %w", kind, elem, err)
			}
			c.Re, c.Value, rest = re, rest[:j+1], rest[j+1:]
		case strings.HasPrefix(rest, `"`):
			j := closing(rest, 0)
			if j < 0 {
				return c, fmt.Errorf("%s %q: a quoted value with no closing \"", kind, elem)
			}
			v, err := strconv.Unquote(rest[:j+1])
			if err != nil {
				v = rest[1:j]
			}
			c.Value, rest = v, rest[j+1:]
		default:
			c.Value, rest = rest, ""
			if k := strings.LastIndex(c.Value, ":"); k >= 0 && isType(c.Value[k+1:]) {
				c.Value, rest = c.Value[:k], c.Value[k:]
			}
		}
	}
	if rest != "" {
		typ, ok := strings.CutPrefix(rest, ":")
		switch {
		case !ok:
			return c, fmt.Errorf("%s %q: %q after the value: quote a value that has it", kind, elem, rest)
		case tag:
			return c, fmt.Errorf("tag %q: a tag is always a string; types are for fields", elem)
		case !isType(typ):
			return c, fmt.Errorf("field %q: type %q is not float, int, uint, string or bool", elem, typ)
		}
		c.Type = typ
	}
	switch c.Op {
	case ">", ">=", "<", "<=":
		if tag {
			return c, fmt.Errorf("tag %q: a tag is a string: use =, !=, =~ or !~", elem)
		}
		if _, err := strconv.ParseFloat(trimNumberSuffix(c.Value), 64); err != nil {
			return c, fmt.Errorf("field %q: %s compares numbers and %q is not one (use = or =~ for a string)", elem, c.Op, c.Value)
		}
	}
	return c, nil
}

// trimNumberSuffix drops line protocol's i or u of an integer.
func trimNumberSuffix(s string) string {
	if strings.HasSuffix(s, "i") || strings.HasSuffix(s, "u") {
		return s[:len(s)-1]
	}
	return s
}

// difference says why a tag or field value does not satisfy c ("" when
// it does). ok is false when the key is missing.
func (c condition) difference(kind string, got interface{}, ok bool) string {
	if !ok {
		if c.Op == "" && c.Type == "" {
			return fmt.Sprintf("%s %s: missing", kind, c.Key)
		}
		return fmt.Sprintf("%s %s: want %s, missing", kind, c.Key, c.wantText(kind))
	}
	if c.Type != "" && typeName(got) != c.Type {
		return fmt.Sprintf("%s %s: want type %s, got %s (%v)", kind, c.Key, c.Type, typeName(got), got)
	}
	if c.holds(got) {
		return ""
	}
	return fmt.Sprintf("%s %s: want %s, got %s", kind, c.Key, c.wantText(kind), gotText(got))
}

// wantText is what a difference says is wanted: "eu-1" for a tag, 10 for
// a field (both as written), >5, =~/^web-/.
func (c condition) wantText(kind string) string {
	switch c.Op {
	case "":
		return "type " + c.Type
	case "=":
		if kind == "tag" {
			return strconv.Quote(c.Value)
		}
		return c.Value
	}
	return c.Op + c.Value
}

func gotText(v interface{}) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

// holds reports whether a present value satisfies the operator.
func (c condition) holds(got interface{}) bool {
	switch c.Op {
	case "":
		return true
	case "=~":
		return c.Re.MatchString(valueText(got))
	case "!~":
		return !c.Re.MatchString(valueText(got))
	case "=":
		return equal(got, c.Value)
	case "!=":
		return !equal(got, c.Value)
	}
	n, ok := compareNumber(got, c.Value)
	if !ok {
		return false
	}
	switch c.Op {
	case ">":
		return n > 0
	case ">=":
		return n >= 0
	case "<":
		return n < 0
	}
	return n <= 0 // "<="
}

// valueText is the text a regexp is matched against: a string as it is,
// other values as Go formats them.
func valueText(v interface{}) string {
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

func equal(got interface{}, want string) bool {
	switch g := got.(type) {
	case string:
		return g == want
	case bool:
		b, err := strconv.ParseBool(want)
		return err == nil && b == g
	}
	n, ok := compareNumber(got, want)
	return ok && n == 0
}

// compareNumber compares a numeric field value with a number as written:
// integers exactly (an int64 or uint64 beyond 2^53 is not rounded), the
// rest as float64. ok is false when either is not a number, or is NaN.
func compareNumber(got interface{}, want string) (int, bool) {
	w := trimNumberSuffix(want)
	if f, isFloat := got.(float64); isFloat && math.IsNaN(f) {
		return 0, false
	}
	if wi, err := strconv.ParseInt(w, 10, 64); err == nil {
		switch g := got.(type) {
		case int64:
			return cmp.Compare(g, wi), true
		case uint64:
			if wi < 0 {
				return 1, true
			}
			return cmp.Compare(g, uint64(wi)), true
		case float64:
			return cmp.Compare(g, float64(wi)), true
		}
		return 0, false
	}
	if wu, err := strconv.ParseUint(w, 10, 64); err == nil { // above MaxInt64
		switch g := got.(type) {
		case int64:
			return -1, true
		case uint64:
			return cmp.Compare(g, wu), true
		case float64:
			return cmp.Compare(g, float64(wu)), true
		}
		return 0, false
	}
	wf, err := strconv.ParseFloat(w, 64)
	if err != nil || math.IsNaN(wf) {
		return 0, false
	}
	switch g := got.(type) {
	case int64:
		return cmp.Compare(float64(g), wf), true
	case uint64:
		return cmp.Compare(float64(g), wf), true
	case float64:
		return cmp.Compare(g, wf), true
	}
	return 0, false
}
