package parse

import (
	"errors"
	"reflect"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/influxdata/telegraf"

	"github.com/fakegraf/fakegraf/listener"
)

// TestContextResetForgetsEverything holds Context.reset, which writes only
// the fields that change, to the Context a record would get built afresh:
// every field of the old Context, exported or not, facts included, is set
// to something other than its zero value first, so a field that reset
// forgets (a new one, say) keeps that value and fails the comparison.
func TestContextResetForgetsEverything(t *testing.T) {
	for _, sameRoom := range []bool{false, true} {
		res := &Result{Record: listener.Record{Data: []byte("cpu v=1")}, Format: "influx", Err: errors.New("bad"), parser: stubParser{}}
		res.Parsed, res.Metrics = res.room.parsed[:], res.room.metrics[:]
		stage, p := &Stage{Format: "influx"}, &Pipeline{state: &State{}, rules: &RuleSet{}}

		var c Context
		fillNonZero(t, reflect.ValueOf(&c).Elem())
		if sameRoom {
			// The pooled Result of the last record: the same pointers.
			c.Record, c.result, c.Parsed, c.Metrics = &res.Record, res, res.Parsed, res.Metrics
		}
		c.reset(res, stage, p)

		want := Context{
			Record: &res.Record, Format: res.Format, Auto: res.Auto, Parsed: res.Parsed, Metrics: res.Metrics, Err: res.Err,
			Stage: stage, Pipeline: p, State: p.state, Rules: p.rules, result: res,
			facts: facts{data: res.Record.Data, format: res.Format, stage: stage, parser: res.parser, parsed: res.Parsed, err: res.Err},
			rules: c.rules, // run sets them before a rule runs
		}
		if diff := cmp.Diff(want, c, cmp.Exporter(func(reflect.Type) bool { return true }), cmp.Comparer(samePointer[Result]), cmp.Comparer(samePointer[listener.Record]),
			cmp.Comparer(samePointer[Stage]), cmp.Comparer(samePointer[Pipeline]), cmp.Comparer(samePointer[State]), cmp.Comparer(samePointer[RuleSet]),
			cmp.Comparer(sameSlice[ParsedMetric]), cmp.Comparer(sameSlice[telegraf.Metric]), cmp.Comparer(sameSlice[byte])); diff != "" {
			t.Errorf("same room %v: reset left (-want +got):\n%s", sameRoom, diff)
		}
	}
}

func samePointer[T any](a, b *T) bool { return a == b }

func sameSlice[E any](a, b []E) bool {
	return unsafe.SliceData(a) == unsafe.SliceData(b) && len(a) == len(b) && cap(a) == cap(b)
}

type stubParser struct{ telegraf.Parser }

type stubMetric struct{ telegraf.Metric }

// fillNonZero sets every settable field under v to a value other than its
// zero value.
func fillNonZero(t *testing.T, v reflect.Value) {
	t.Helper()
	v = reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem() // unexported fields too
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fillNonZero(t, v.Field(i))
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
	case reflect.String:
		v.SetString("old")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Int8:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Uint8:
		v.SetUint(7)
	case reflect.Array:
		for i := range v.Len() {
			fillNonZero(t, v.Index(i))
		}
	case reflect.Interface:
		switch v.Type() {
		case reflect.TypeFor[error]():
			v.Set(reflect.ValueOf(errors.New("old")))
		case reflect.TypeFor[telegraf.Parser]():
			v.Set(reflect.ValueOf(stubParser{}))
		case reflect.TypeFor[telegraf.Metric]():
			v.Set(reflect.ValueOf(stubMetric{}))
		default:
			t.Fatalf("fillNonZero: no value for %v", v.Type())
		}
	default:
		t.Fatalf("fillNonZero: no value for %v", v.Type())
	}
	if v.IsZero() {
		t.Fatalf("fillNonZero: %v is still zero", v.Type())
	}
}

// TestResultClearForgetsEverything holds Result.clear, which writes only the
// fields that are not zero, to the zero Result, as the Context's test does.
// The room is the next record's to overwrite.
func TestResultClearForgetsEverything(t *testing.T) {
	var r Result
	fillNonZero(t, reflect.ValueOf(&r).Elem())
	r.clear()
	if diff := cmp.Diff(Result{}, r, cmp.Exporter(func(reflect.Type) bool { return true }), cmpopts.IgnoreFields(Result{}, "room")); diff != "" {
		t.Errorf("clear left (-want +got):\n%s", diff)
	}
}
