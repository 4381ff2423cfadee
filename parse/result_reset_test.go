package parse

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/influxdata/telegraf"
	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
)

// TestRecycledResult: a Result from the pool, reset for a record, is
// new(Result) with that record in every field but room (which the parse
// overwrites as far as it reads it), whatever the last record left in it.
// A field added to Result that reset forgets fails here.
func TestRecycledResult(t *testing.T) {
	var r Result
	v := reflect.ValueOf(&r).Elem()
	for i := 0; i < v.NumField(); i++ {
		name := v.Type().Field(i).Name
		if name == "room" {
			continue
		}
		f := reflect.NewAt(v.Field(i).Type(), unsafe.Pointer(v.Field(i).UnsafeAddr())).Elem()
		f.Set(dirty(t, name, f.Type()))
		require.False(t, f.IsZero(), "field %s", name)
	}
	rec := listener.Record{Listener: "tcp://127.0.0.1:8094", Data: []byte("cpu v=1"), Seq: 2}
	r.reset(rec)
	r.room = inline{}
	require.True(t, reflect.DeepEqual(r, Result{Record: rec}), "%+v", r)
}

// dirty is a non-zero value of type t, for field name.
func dirty(t *testing.T, name string, typ reflect.Type) reflect.Value {
	t.Helper()
	switch typ.Kind() {
	case reflect.String:
		return reflect.ValueOf("left over").Convert(typ)
	case reflect.Bool:
		return reflect.ValueOf(true)
	case reflect.Int:
		return reflect.ValueOf(7)
	case reflect.Pointer:
		return reflect.New(typ.Elem())
	case reflect.Slice:
		return reflect.MakeSlice(typ, 1, 1)
	case reflect.Struct: // the Record
		return reflect.ValueOf(listener.Record{Data: []byte("old"), Seq: 1})
	case reflect.Interface:
		for _, c := range []any{errors.New("left over"), leftParser{}} {
			if reflect.TypeOf(c).Implements(typ) {
				return reflect.ValueOf(c)
			}
		}
	}
	t.Fatalf("the reset tests cannot fill field %s of type %s: teach dirty", name, typ)
	return reflect.Value{}
}

type leftParser struct{ telegraf.Parser }

// TestContextReset: the pipeline's Context, reset for a record, is what a
// new Context for it would be, whatever the last record left in it. A
// computed fact may stay in memory, but its flag says it was not computed.
// A field added to Context or facts that reset forgets fails here.
func TestContextReset(t *testing.T) {
	var c Context
	fill := func(v reflect.Value, skip ...string) {
		for i := 0; i < v.NumField(); i++ {
			name := v.Type().Field(i).Name
			if slices.Contains(skip, name) {
				continue
			}
			f := reflect.NewAt(v.Field(i).Type(), unsafe.Pointer(v.Field(i).UnsafeAddr())).Elem()
			f.Set(dirty(t, name, f.Type()))
		}
	}
	fill(reflect.ValueOf(&c).Elem(), "facts", "Record")
	fill(reflect.ValueOf(&c.facts).Elem(), "js", "jv")
	c.facts.js, c.facts.jv = &jsonDoc{}, jsonScan{values: 1}

	p := &Pipeline{state: &State{}, rules: &RuleSet{}}
	res := &Result{Record: listener.Record{Data: []byte("cpu v=1")}, Format: "influx", Parsed: make([]ParsedMetric, 1)}
	stage := &Stage{}
	c.reset(res, stage, p)

	want := Context{Record: &res.Record, Format: "influx", Parsed: res.Parsed, Stage: stage, Pipeline: p, State: p.state, Rules: p.rules, result: res,
		facts: facts{data: res.Record.Data, format: "influx", stage: stage, parsed: res.Parsed}}
	got := c
	got.rules = nil // run sets it, before any rule reads it
	f := reflect.ValueOf(&got.facts).Elem()
	for i := 0; i < f.NumField(); i++ {
		name := f.Type().Field(i).Name
		if strings.HasSuffix(name, "Done") {
			require.False(t, f.Field(i).Bool(), "facts.%s", name)
			continue
		}
		if !slices.Contains([]string{"data", "format", "stage", "parser", "parsed", "err"}, name) {
			// A computed fact, behind its flag: as new.
			reflect.NewAt(f.Field(i).Type(), unsafe.Pointer(f.Field(i).UnsafeAddr())).Elem().SetZero()
		}
	}
	require.True(t, reflect.DeepEqual(got, want), "got  %+v\nwant %+v", got, want)
}
