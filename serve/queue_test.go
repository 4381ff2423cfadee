package serve

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fakegraf/fakegraf/listener"
)

// Every pushed event comes out once, each producer's in its order.
func TestQueueKeepsEveryEventInOrder(t *testing.T) {
	q := newQueue()
	const producers, each = 4, 20000
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				q.push(event{isRec: true, rec: listener.Record{Conn: uint64(p), Seq: uint64(i)}})
			}
		}()
	}
	go func() { wg.Wait(); q.close() }()

	next := make([]uint64, producers)
	total := 0
	for {
		batch, ok := q.next()
		if !ok {
			break
		}
		require.LessOrEqual(t, len(batch), queueCap)
		for _, ev := range batch {
			require.Equal(t, next[ev.rec.Conn], ev.rec.Seq, "producer %d out of order", ev.rec.Conn)
			next[ev.rec.Conn]++
			total++
		}
		q.done(batch)
	}
	require.Equal(t, producers*each, total)
}

// A full queue holds its producer until the loop takes a batch, and close
// releases a held producer without queueing its event.
func TestQueueBoundsAndCloses(t *testing.T) {
	q := newQueue()
	for i := range queueCap {
		q.push(event{isRec: true, rec: listener.Record{Seq: uint64(i)}})
	}
	pushed := make(chan struct{})
	go func() {
		q.push(event{isRec: true, rec: listener.Record{Seq: queueCap}})
		close(pushed)
	}()
	batch, ok := q.next()
	require.True(t, ok)
	require.Len(t, batch, queueCap, "a push went past the cap")
	q.done(batch)
	<-pushed // released by next

	batch, ok = q.next()
	require.True(t, ok)
	require.Len(t, batch, 1)
	require.Equal(t, uint64(queueCap), batch[0].rec.Seq)
	q.done(batch)

	q.push(event{isRec: true})
	q.close()
	q.push(event{isRec: true}) // after close: dropped, and does not block
	batch, ok = q.next()
	require.True(t, ok, "an event queued before close is still delivered")
	require.Len(t, batch, 1)
	q.done(batch)
	_, ok = q.next()
	require.False(t, ok)
}
