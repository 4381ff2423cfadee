package serve

import "sync"

// queue carries events from the listeners' goroutines to the processing
// loop in arrival order, when the loop is busy (Server.deliver processes
// an event inline otherwise). It replaces a channel of single events: a
// channel costs a send, a receive and often a goroutine wake-up per
// record, which at a million records was a tenth of fakegraf's CPU. Here a
// producer appends under a mutex and wakes the loop only when the queue
// was empty; the loop (Server.loop) takes everything
// queued at once.
//
// The queue is bounded: a producer waits while queueCap events, or
// queueBytes bytes of records, are queued, so a sender faster than the
// rules is slowed down (TCP, and an HTTP client, whose answer waits as
// Telegraf's handler waits for its accumulator's channel) or loses
// datagrams to the kernel (UDP, reported as udp-kernel-drops) instead of
// filling memory. The bytes matter for the HTTP inputs: a record is a whole
// request body with its metrics, and 4,096 batches of 5,000 lines are
// gigabytes (bench/loopback http-influx reached 223 MiB before).
type queue struct {
	mu      sync.Mutex
	notFull *sync.Cond
	items   []event
	spare   []event // the loop's last batch, reused
	bytes   int     // of the queued records' Data
	taken   int     // batches taken and not yet done: still being processed
	closed  bool
	wake    chan struct{} // holds a token while items is not empty
}

const queueCap = 4096

// queueBytes bounds the bytes of queued records. A record larger than that
// alone still enters an empty queue.
const queueBytes = 8 << 20

func newQueue() *queue {
	q := &queue{wake: make(chan struct{}, 1)}
	q.notFull = sync.NewCond(&q.mu)
	return q
}

// push queues one event. Events pushed after close are dropped: the
// listeners are closed first, so there are none.
func (q *queue) push(ev event) {
	q.mu.Lock()
	for (len(q.items) >= queueCap || len(q.items) > 0 && q.bytes >= queueBytes) && !q.closed {
		q.notFull.Wait()
	}
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.items = append(q.items, ev)
	q.bytes += len(ev.rec.Data)
	if len(q.items) == 1 {
		q.signal()
	}
	q.mu.Unlock()
}

// signal leaves a token for the loop; there is at most one.
func (q *queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// close makes wait return false once the queued events are taken.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.notFull.Broadcast()
	q.signal()
	q.mu.Unlock()
}

// wait blocks until an event is queued; false means the queue is closed
// and empty.
func (q *queue) wait() bool {
	for {
		q.mu.Lock()
		n, closed := len(q.items), q.closed
		q.mu.Unlock()
		if n > 0 {
			return true
		}
		if closed {
			return false
		}
		<-q.wake
	}
}

// take returns every queued event, oldest first, without waiting. The
// slice is valid until it is handed back with done.
func (q *queue) take() []event {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return nil
	}
	batch := q.items
	q.items, q.spare, q.bytes = q.spare[:0], nil, 0
	q.taken++
	q.notFull.Broadcast()
	return batch
}

// empty reports whether nothing is queued, and every batch taken is done.
func (q *queue) empty() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) == 0 && q.taken == 0
}

// done hands back a batch from take once it is processed, for reuse,
// cleared so that its records can be collected.
func (q *queue) done(batch []event) {
	clear(batch)
	q.mu.Lock()
	q.taken--
	if q.spare == nil {
		q.spare = batch[:0]
	}
	q.mu.Unlock()
}
