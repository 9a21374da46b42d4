// Package queue is an unbounded FIFO whose producer never blocks.
//
// The core pushes events and the UI pushes commands through it, so that
// neither side ever waits for the other; the consumer takes everything that
// has accumulated in one batch.
package queue

import "sync"

// Queue is an unbounded FIFO. The zero value is not usable; use New.
type Queue[T any] struct {
	mu    sync.Mutex
	items []T
	ready chan struct{}
}

// New returns an empty queue.
func New[T any]() *Queue[T] {
	return &Queue[T]{ready: make(chan struct{}, 1)}
}

// Push appends v and never blocks.
func (q *Queue[T]) Push(v T) {
	q.mu.Lock()
	q.items = append(q.items, v)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// Ready receives a value when the queue may be non-empty.
func (q *Queue[T]) Ready() <-chan struct{} { return q.ready }

// Take removes and returns everything queued, oldest first.
func (q *Queue[T]) Take() []T {
	q.mu.Lock()
	items := q.items
	q.items = nil
	q.mu.Unlock()
	return items
}
