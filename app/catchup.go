package app

import (
	"context"
	"encoding/xml"
	"errors"
	"sync"
	"time"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/carbons"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/im"
)

// Catching up from the server's archive (XEP-0313).
const (
	// catchupPage is the number of messages asked for at once.
	catchupPage = 100
	// catchupPages bounds one catch-up (10 000 messages); the rest waits
	// for the next connection.
	catchupPages = 100
)

// catchups knows the archive queries in flight, so that the handler
// accepts only results that answer one of them, and the archiving default
// the user asked for (SetArchiveDefault).
type catchups struct {
	mu  sync.Mutex
	ids map[string]bool

	prefs archivePrefs
}

func (c *catchups) start(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ids == nil {
		c.ids = map[string]bool{}
	}
	c.ids[id] = true
}

func (c *catchups) end(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.ids, id)
}

func (c *catchups) expects(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return id != "" && c.ids[id]
}

// afterOnline runs what a new session needs beside the user's commands, on
// its own goroutine: Message Carbons (XEP-0280) so that what the user's
// other clients send and receive shows here too, then the messages the
// server archived while we were away. Beside the catch-up, it reads the
// archiving preferences: a server that archives nothing by default
// (ejabberd) gives catch-up nothing to find, and the user must know.
func (r *runner) afterOnline(ctx context.Context, sess *xmpp.Session) {
	cctx, cancel := context.WithTimeout(ctx, requestTimeout)
	// A server without carbons refuses; nothing else to do then. Through
	// sendIQ, not carbons.Enable, whose error decoding panics on
	// whitespace in the answer (see pingServer).
	_ = sendIQ(cctx, sess, stanza.IQ{Type: stanza.SetIQ},
		xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: carbons.NS, Local: "enable"}}), nil)
	cancel()
	go r.archivePrefsSession(ctx, sess)
	r.catchUp(ctx, sess)
}

// catchUp fetches, page by page, what the server archived after the last
// message the local archive knows by its server id. Results arrive as
// messages before each page's answer; the handler merges them into the
// archive without duplicates. Without such a message (a first sign-in,
// or a server without an archive) there is nothing to catch up on.
func (r *runner) catchUp(ctx context.Context, sess *xmpp.Session) {
	st, _ := r.store()
	if st == nil {
		return
	}
	// Let the archiver write what this session already received (offline
	// messages carry their server ids), so that the query starts late
	// enough.
	r.arch.flush(ctx)
	rctx, cancel := context.WithTimeout(ctx, archiveTimeout)
	after, at, err := st.LastStanzaID(rctx)
	cancel()
	if err != nil || after == "" {
		return
	}
	qid := NewID()
	r.catchup.start(qid)
	defer r.catchup.end(qid)
	q := im.ArchiveQuery{QueryID: qid, AfterID: after, Max: catchupPage}
	for range catchupPages {
		fin, err := r.archivePage(ctx, sess, q)
		var se stanza.Error
		if errors.As(err, &se) && se.Condition == stanza.ItemNotFound && q.AfterID != "" && q.Start.IsZero() {
			// The server no longer knows that id: ask by time instead
			// (a little early: duplicates are dropped by their ids).
			q.AfterID, q.Start = "", at.Add(-time.Minute)
			continue
		}
		if err != nil || fin.Complete || fin.Last == "" {
			return
		}
		q.AfterID, q.Start = fin.Last, time.Time{}
	}
}

// archivePage sends one archive query and reads its answer.
func (r *runner) archivePage(ctx context.Context, sess *xmpp.Session, q im.ArchiveQuery) (im.ArchiveFin, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var fin im.ArchiveFin
	err := sendIQ(ctx, sess, stanza.IQ{Type: stanza.SetIQ}, q.TokenReader(), func(d *xml.Decoder, start *xml.StartElement) error {
		if start == nil {
			return errors.New("the server's archive answered without <fin/>")
		}
		var err error
		fin, err = im.DecodeArchiveFin(d, start)
		return err
	})
	return fin, err
}
