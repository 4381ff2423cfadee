package report

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/influxdata/telegraf/metric"
)

// What each expectation says about one metric: nothing when it matches,
// else each difference.
func TestExpectationConditions(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	m := metric.New("order_price",
		map[string]string{"shop": "eu-1", "host": "web-12", "region": "eu west"},
		map[string]any{"price": 9.99, "items": int64(3), "big": uint64(math.MaxUint64), "id": int64(1 << 60), "status": "paid in full", "ok": true, "ten": 10.0, "nan": math.NaN()},
		now)
	tests := []struct {
		spec string
		want []string // nil: it matches
	}{
		{spec: "order_price"},
		{spec: "/^order_/"},
		{spec: "/^cpu_/", want: []string{`name: want /^cpu_/, got "order_price"`}},
		{spec: "/^(order|shop)_price$/,shop=eu-1"},
		{spec: "order_price,shop=eu-1,host"},
		{spec: "order_price,shop=us-1", want: []string{`tag shop: want "us-1", got "eu-1"`}},
		{spec: "order_price,shop!=us-1"},
		{spec: "order_price,shop!=eu-1", want: []string{`tag shop: want !=eu-1, got "eu-1"`}},
		{spec: "order_price,host=~/^web-\\d+$/"},
		{spec: "order_price,host!~/^db-/"},
		{spec: "order_price,host=~/^db-/", want: []string{`tag host: want =~/^db-/, got "web-12"`}},
		{spec: "order_price,dc=~/./", want: []string{`tag dc: want =~/./, missing`}},
		{spec: "order_price,dc", want: []string{`tag dc: missing`}},
		{spec: `order_price,region="eu west"`},
		{spec: `order_price,region=~/eu w{1,2}est/`},
		{spec: "order_price price>5 price>=9.99 price<10 price<=9.99 price!=10 price=9.99"},
		{spec: "order_price price>10", want: []string{"field price: want >10, got 9.99"}},
		{spec: "order_price price<=9.98", want: []string{"field price: want <=9.98, got 9.99"}},
		{spec: "order_price items>2 items<4i items=3 items=3.0 items:int"},
		{spec: "order_price items>=3:int,price>1:float"},
		{spec: "order_price items>2:float", want: []string{"field items: want type float, got int (3)"}},
		{spec: "order_price ten=10 ten:float"},
		{spec: "order_price big=18446744073709551615u big>18446744073709551614 big:uint"},
		{spec: "order_price id=1152921504606846976 id!=1152921504606846977"},
		{spec: "order_price id=1152921504606846977", want: []string{"field id: want 1152921504606846977, got 1152921504606846976"}},
		{spec: `order_price status="paid in full" status=~/^paid/ status!~/refund/ status:string`},
		{spec: `order_price status=~/^refund/`, want: []string{`field status: want =~/^refund/, got "paid in full"`}},
		{spec: "order_price ok=true ok!=false ok:bool"},
		{spec: "order_price nan<1", want: []string{"field nan: want <1, got NaN"}},
		{spec: "order_price status>1", want: []string{`field status: want >1, got "paid in full"`}},
		{spec: "order_price missing>1", want: []string{"field missing: want >1, missing"}},
		{spec: "order_price missing", want: []string{"field missing: missing"}},
		{spec: "order_price price:int time:recent", want: []string{"field price: want type int, got float (9.99)"}},
		{spec: "cpu,shop=us-1 price>10", want: []string{`name: want "cpu", got "order_price"`, `tag shop: want "us-1", got "eu-1"`, "field price: want >10, got 9.99"}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			e, err := parseExpectation("at-least 1 " + tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, e.differences(m, now)); d != "" {
				t.Errorf("differences (-want +got):\n%s", d)
			}
		})
	}
}

// A line fakegraf cannot read says what is wrong with it.
func TestExpectationErrors(t *testing.T) {
	tests := []struct{ line, want string }{
		{"at-least 1", `"at-least" needs a count and a measurement, e.g. at-least 1 cpu`},
		{"at-least x cpu", `"at-least": count "x" is not a whole number`},
		{"sometimes 1 cpu", `unknown assertion "sometimes": use at-least N, at-most N, exactly N or never`},
		{"never", "never needs a measurement, e.g. never socket_listener"},
		{"never /cpu(/", "measurement /cpu(/: error parsing regexp: missing closing ): `cpu(`"},
		{"never /cpu", "/cpu: a regular expression with no closing /"},
		{"never cpu,host>1", `tag "host>1": a tag is a string: use =, !=, =~ or !~`},
		{"never cpu,host=a:int", `tag "host=a:int": a tag is always a string; types are for fields`},
		{"never cpu usage>high", `field "usage>high": > compares numbers and "high" is not one (use = or =~ for a string)`},
		{"never cpu usage=~high", `field "usage=~high": =~ wants a /regular expression/`},
		{"never cpu usage:double", `field "usage:double": type "double" is not float, int, uint, string or bool`},
		{"never cpu usage=~/a/x", `field "usage=~/a/x": "x" after the value: quote a value that has it`},
		{"never cpu =1", `field "=1" has no key`},
		{`never cpu msg="open`, `"open: a quoted value with no closing "`},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			_, err := parseExpectation(tt.line)
			if err == nil {
				t.Fatal("no error")
			}
			if d := cmp.Diff(tt.want, err.Error()); d != "" {
				t.Errorf("error (-want +got):\n%s", d)
			}
		})
	}
}

// The README's example --expect file is one fakegraf reads.
func TestREADMEExpectations(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "### Expectations\n")
	if !ok {
		t.Fatal("README.md has no Expectations section")
	}
	_, block, _ := strings.Cut(section, "```\n")
	block, _, _ = strings.Cut(block, "```")
	exps, err := ParseExpectations([]byte(block))
	if err != nil {
		t.Fatalf("README.md's example: %v", err)
	}
	if len(exps) != 5 {
		t.Errorf("read %d expectations from README.md's example, want 5:\n%s", len(exps), block)
	}
	if exps[1].Fields[2].Type != "int" || exps[2].NameRe == nil || exps[2].Tags[0].Re == nil {
		t.Errorf("README.md's example read wrong: %+v %+v", exps[1], exps[2])
	}
}
