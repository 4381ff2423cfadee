package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The many-connection cases (issue 15, targets 3 and 4):
//
//   - tcp-idle opens -idle-conns connections to [[inputs.socket_listener]]
//     (tcp, influx, Telegraf's defaults: no read_buffer_size, max_connections
//     0) and leaves them idle until the program has accepted them all and
//     its CPU has gone quiet; the resident set then is the "idle RSS". Each
//     connection then sends one line and closes, so that fakegraf's count
//     proves every connection was served.
//   - tcp-influx-8 sends the -n metrics of tcp-influx over 8 connections at
//     once, an eighth each, and measures the wall time from the first byte
//     written to the last metric processed.
//
// Neither program says when it has processed the last metric (fakegraf
// stops at --until count=N, but only looks every 20 ms), so both are timed
// the same way: the end is the last moment the process's CPU time grew,
// sampled every 5 ms from /proc (ticks of 10 ms), or its exit if sooner.

var idleConns int

const parallelSenders = 8

// idleLine is what each idle connection finally sends.
func idleLine(i int, now int64) string { return influxLine(i, now) }

// raiseFileLimit lifts this process's descriptor limit to its hard limit:
// tcp-idle holds one descriptor per connection here, and as many in the
// program measured, which inherits the limit. Go raises its own soft limit
// at start-up but gives a child the original one back; setting it here
// explicitly makes the child inherit the raised one.
func raiseFileLimit(need int) {
	var lim syscall.Rlimit
	check(syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim))
	lim.Cur = lim.Max
	check(syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim))
	if lim.Cur < uint64(need) {
		check(fmt.Errorf("descriptor limit %d is below the %d this case needs (raise the hard limit: ulimit -Hn)", lim.Cur, need))
	}
}

// sendIdle dials n connections, waits until pid has accepted them and gone
// idle, reads its resident set, then sends a line on each and closes them.
func sendIdle(addr string, n int, pid int) (idleRSS int64) {
	conns := make([]net.Conn, 0, n)
	for range n {
		c, err := net.Dial("tcp", addr)
		check(err)
		conns = append(conns, c)
	}
	waitIdle(pid)
	idleRSS = procStatusKiB(pid, "VmHWM:")
	now := time.Now().UnixNano()
	for i, c := range conns {
		_, err := c.Write([]byte(idleLine(i, now)))
		check(err)
	}
	for _, c := range conns {
		_ = c.Close()
	}
	return idleRSS
}

// splitPayload cuts a stream of lines into k parts of whole lines.
func splitPayload(stream []byte, k int) [][]byte {
	parts := make([][]byte, 0, k)
	for i := range k {
		left := stream
		if i < k-1 {
			cut := len(stream) / (k - i)
			cut += bytes.IndexByte(stream[cut:], '\n') + 1
			left = stream[:cut]
		}
		parts = append(parts, left)
		stream = stream[len(left):]
	}
	return parts
}

// sendParallel connects every part's connection first, then writes them
// all at once; it returns when the first write starts.
func sendParallel(addr string, parts [][]byte) (start time.Time, done func()) {
	conns := make([]net.Conn, len(parts))
	for i := range parts {
		c, err := net.Dial("tcp", addr)
		check(err)
		conns[i] = c
	}
	var wg sync.WaitGroup
	begin := make(chan struct{})
	for i, c := range conns {
		wg.Go(func() {
			<-begin
			_, err := c.Write(parts[i])
			check(err)
			_ = c.Close()
		})
	}
	start = time.Now()
	close(begin)
	return start, wg.Wait
}

// watchLastBusy samples a process's CPU time every 5 ms until it exits; the
// returned function gives the last time it grew.
func watchLastBusy(pid int) func() time.Time {
	var mu sync.Mutex
	var last time.Time
	go func() {
		prev := time.Duration(-1)
		for {
			cpu, err := procCPU(pid)
			if err != nil {
				return
			}
			if cpu != prev {
				mu.Lock()
				prev, last = cpu, time.Now()
				mu.Unlock()
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

// procStatusKiB reads one KiB field of /proc/PID/status.
func procStatusKiB(pid int, field string) int64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kib, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return kib
		}
	}
	return 0
}
