package parse

import "container/list"

// lru is a map with a fixed capacity that forgets the least recently used
// entry when full, so that rules that remember records hold bounded memory
// however long fakegraf runs.
type lru[K comparable, V any] struct {
	cap   int
	order *list.List // front = most recent; elements hold *lruEntry[K, V]
	items map[K]*list.Element
}

type lruEntry[K comparable, V any] struct {
	key K
	val V
}

func newLRU[K comparable, V any](capacity int) *lru[K, V] {
	return &lru[K, V]{cap: capacity, order: list.New(), items: map[K]*list.Element{}}
}

// Get returns the entry for key and marks it used.
func (c *lru[K, V]) Get(key K) (V, bool) {
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*lruEntry[K, V]).val, true
	}
	var zero V
	return zero, false
}

// Put sets key, evicting the least recently used entry when full.
func (c *lru[K, V]) Put(key K, v V) {
	if e, ok := c.items[key]; ok {
		e.Value.(*lruEntry[K, V]).val = v
		c.order.MoveToFront(e)
		return
	}
	c.items[key] = c.order.PushFront(&lruEntry[K, V]{key: key, val: v})
	for c.order.Len() > c.cap {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.items, old.Value.(*lruEntry[K, V]).key)
	}
}

// Len is the number of entries.
func (c *lru[K, V]) Len() int { return c.order.Len() }
