package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// heapFloor is the heap the garbage collector may grow to before it runs,
// however small the live heap is. fakegraf's live heap is small (a few MiB:
// the read buffers and the rules' state) while every record leaves about a
// kilobyte of garbage, so at Go's default (GOGC=100: collect when the heap
// has doubled) it collected 67 times for a million tcp/influx lines and the
// collections took a quarter of its CPU (docs/benchmarks.md, "Issue 15: CPU
// per metric end to end"). 32 MiB halves the collections and keeps the peak
// RSS of a 10M-line run under 64 MiB: about 18 MiB of the binary's own pages
// are resident besides the heap.
const heapFloor = 32 << 20

// keepHeapFloor makes the collector wait until the heap reaches heapFloor, or
// twice the live heap when that is larger (Go's default, GOGC=100): a run
// that keeps a lot (--golden, the API's --keep) grows as it did before.
// The percent is reset after every collection, from the live heap that
// collection measured. A user's GOGC or GOMEMLIMIT wins.
func keepHeapFloor() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	samples := []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/gc/scan/globals:bytes"},
		{Name: "/gc/scan/stack:bytes"},
	}
	var tune func(percent int)
	tune = func(percent int) {
		metrics.Read(samples)
		p := gcPercent(samples[0].Value.Uint64(), samples[1].Value.Uint64()+samples[2].Value.Uint64())
		if p != percent {
			debug.SetGCPercent(p)
		}
		// A cleanup runs once its object is collected: on the next
		// collection, which is when the live heap is measured again.
		runtime.AddCleanup(&gcSentinel{}, tune, p)
	}
	// Not before the first collection has measured the live heap: while
	// the live heap grows, as it does while fakegraf sets up, the pacer may
	// let a cycle run on to (1 + GOGC/100) times its goal
	// (runtime/mgcpacer.go, revise), and a GOGC computed from no live heap
	// at all is the largest.
	runtime.AddCleanup(&gcSentinel{}, tune, 100)
}

// gcPercent is the GOGC that puts the collector's goal at heapFloor, or 100
// when the live heap is large enough for Go's default to reach it. The goal
// is live + (live + roots) * GOGC/100, roots being the globals and the
// goroutine stacks the collector scans (runtime/mgcpacer.go).
func gcPercent(live, roots uint64) int {
	scanned := live + roots
	if scanned == 0 || live+scanned >= heapFloor {
		return 100
	}
	return int((heapFloor - live) * 100 / scanned)
}

// gcSentinel holds a pointer so that it is never packed with other tiny
// objects, whose life would keep it from being collected.
type gcSentinel struct{ _ *int }
