package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/internal/queue"
)

// historyFile is the archive's file name inside the data directory.
const historyFile = "history.db"

// errClosed is given by archive reads after Run has returned.
var errClosed = errors.New("the message history is closed")

// SetDataDir sets the directory of the account's local data: the message
// archive and the picture cache. Call it before Run. Without one, the
// archive lives in memory for the client's life.
func (c *Client) SetDataDir(dir string) {
	c.mu.Lock()
	c.dataDir = dir
	c.mu.Unlock()
}

// store returns the archive, opening it on first use. When the file
// cannot be opened (a newer Palaver's schema, a broken disk), the archive
// falls back to memory and the first caller gets the reason too, so that
// the user can be told that history is not being kept.
func (c *Client) store() (*history.Store, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errClosed
	}
	if c.st != nil {
		return c.st, nil
	}
	var openErr error
	if c.dataDir != "" {
		if err := os.MkdirAll(c.dataDir, 0o700); err != nil {
			openErr = err
		} else {
			c.st, openErr = history.Open(filepath.Join(c.dataDir, historyFile))
		}
	}
	if c.st == nil {
		st, err := history.Open("")
		if err != nil {
			return nil, err
		}
		c.st = st
	}
	if openErr != nil {
		return c.st, fmt.Errorf("the message history cannot be saved on disk, it is kept in memory until you quit: %w", openErr)
	}
	return c.st, nil
}

// closeStore flushes and closes the archive; reads fail afterwards.
func (c *Client) closeStore() {
	c.mu.Lock()
	st := c.st
	c.st, c.closed = nil, true
	c.mu.Unlock()
	if st != nil {
		_ = st.Close()
	}
}

// History returns up to n archived messages with peer (a bare JID) from
// before the cursor, oldest first; the zero cursor gives the newest.
// It reads the local archive and may block briefly: call it off the UI
// goroutine.
func (c *Client) History(ctx context.Context, peer string, before history.Cursor, n int) ([]history.Message, error) {
	st, err := c.store()
	if st == nil {
		return nil, err
	}
	return st.Page(ctx, peer, before, n)
}

// HistoryAfter returns up to n archived messages with peer from after the
// cursor, oldest first: the way back to the newest after History paged
// up. Like History it may block briefly.
func (c *Client) HistoryAfter(ctx context.Context, peer string, after history.Cursor, n int) ([]history.Message, error) {
	st, err := c.store()
	if st == nil {
		return nil, err
	}
	return st.PageAfter(ctx, peer, after, n)
}

// Search finds up to n archived messages whose text matches query, in all
// conversations, newest first. Like History it may block briefly.
func (c *Client) Search(ctx context.Context, query string, n int) ([]history.Hit, error) {
	st, err := c.store()
	if st == nil {
		return nil, err
	}
	return st.Search(ctx, query, n)
}

// archiveOp is one step for the archiver, carried out in order: store a
// message, change a stored message's state, or emit an event once what
// came before it is stored.
type archiveOp struct {
	add *history.Message
	// onlyNew drops ev when add turns out to be a duplicate.
	onlyNew bool
	// flushed is closed once the op (and all before it) is done.
	flushed chan struct{}
	state   *stateChange
	photo   *photoHash
	profile *history.Profile
	// correct applies a correction (XEP-0308, correct.go); ev, a
	// MessageCorrected, is emitted only when it changed a message.
	correct *correctOp
	// react records reactions (XEP-0444, reactions.go); ev, a
	// ReactionsChanged, is emitted only when they changed.
	react *reactOp
	// ev is emitted after the step; a MessageReceived gets the id of add.
	ev Event
}

type photoHash struct{ jid, hash string }

type stateChange struct {
	peer, id string
	state    history.State
}

// archiver writes to the archive on its own goroutine, in batches (a flood
// of 10 000 messages is a few transactions), and emits the events that
// must follow the writes, in their order. The session goroutine and the
// stanza handler only push; they never wait for the disk.
type archiver struct {
	c    *Client
	ops  *queue.Queue[archiveOp]
	done chan struct{}
	// failed is set once a write failed, so that the user is told once.
	failed bool
}

func newArchiver(c *Client) *archiver {
	return &archiver{c: c, ops: queue.New[archiveOp](), done: make(chan struct{})}
}

// push queues an op; it never blocks.
func (a *archiver) push(op archiveOp) { a.ops.Push(op) }

// flush waits until everything pushed before is written, or ctx ends.
func (a *archiver) flush(ctx context.Context) {
	done := make(chan struct{})
	a.push(archiveOp{flushed: done})
	select {
	case <-done:
	case <-ctx.Done():
	case <-a.done:
	}
}

// run carries out ops until stop is closed, then what is left.
func (a *archiver) run(stop <-chan struct{}) {
	defer close(a.done)
	for {
		select {
		case <-a.ops.Ready():
			a.apply(a.ops.Take())
		case <-stop:
			a.apply(a.ops.Take())
			return
		}
	}
}

// archiveTimeout bounds one batch of writes.
const archiveTimeout = 30 * time.Second

func (a *archiver) apply(ops []archiveOp) {
	if len(ops) == 0 {
		return
	}
	st, openErr := a.c.store()
	if openErr != nil {
		a.report(openErr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), archiveTimeout)
	defer cancel()

	// One transaction for every message in the batch; the events that
	// follow learn their ids.
	var (
		msgs []history.Message
		idx  = make([]int, len(ops))
	)
	for i, op := range ops {
		idx[i] = -1
		if op.add != nil {
			idx[i] = len(msgs)
			msgs = append(msgs, *op.add)
		}
	}
	var (
		ids   []int64
		added []bool
	)
	if st != nil && len(msgs) > 0 {
		var err error
		ids, added, err = st.AddAll(ctx, msgs)
		if err != nil {
			a.report(fmt.Errorf("saving messages to the history: %w", err))
			ids, added = nil, nil
		}
	}
	for i, op := range ops {
		if op.correct != nil {
			a.correct(ctx, st, op)
			continue
		}
		if op.react != nil {
			a.react(ctx, st, op)
			continue
		}
		if st != nil {
			a.write(ctx, st, op)
		}
		if op.flushed != nil {
			close(op.flushed)
		}
		if op.ev == nil {
			continue
		}
		if op.onlyNew && idx[i] >= 0 && idx[i] < len(added) && !added[idx[i]] {
			continue // seen before
		}
		if idx[i] >= 0 && idx[i] < len(ids) {
			switch e := op.ev.(type) {
			case MessageReceived:
				e.ArchiveID = ids[idx[i]]
				op.ev = e
			case RoomMessage:
				e.ArchiveID = ids[idx[i]]
				op.ev = e
			}
		}
		a.c.emit(op.ev)
	}
}

// write carries out op's changes other than adding a message.
func (a *archiver) write(ctx context.Context, st *history.Store, op archiveOp) {
	var err error
	switch {
	case op.state != nil:
		_, err = st.SetState(ctx, op.state.peer, op.state.id, op.state.state)
	case op.photo != nil:
		err = st.SetPhotoHash(ctx, op.photo.jid, op.photo.hash)
	case op.profile != nil:
		err = st.SaveProfile(ctx, *op.profile)
	}
	if err != nil {
		a.report(fmt.Errorf("saving to the history: %w", err))
	}
}

// report tells the user once that the archive does not work.
func (a *archiver) report(err error) {
	if a.failed {
		return
	}
	a.failed = true
	a.c.emit(CommandFailed{base: a.c.b(), Op: OpKeepHistory, Err: err})
}
