package app

import (
	"context"
	"encoding/xml"
	"errors"
	"sync"

	"mellium.im/xmpp"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/im"
)

// ArchivePrefs is sent after each sign-in with the default of the
// account's archiving preferences on the server (XEP-0313 §6.1), and again
// with the default read back after SetArchiveDefault changed it. It is
// not sent when the server has no archive or names no default.
//
// With im.ArchiveNever the server keeps no message that its lists do not
// name (ejabberd's mod_mam unless its administrator chose otherwise): a
// message that another of the user's devices sent or received while this
// one was offline never reaches it, and catch-up finds nothing.
type ArchivePrefs struct {
	base
	Default im.ArchiveDefault
}

// archivePrefs holds the archiving default the user asked for until a
// session sets it.
// It is safe for concurrent use.
type archivePrefs struct {
	mu   sync.Mutex
	want im.ArchiveDefault // "" when nothing is asked
	wake chan struct{}     // has a value when want was set
}

// ask records d and wakes the session that may set it.
func (a *archivePrefs) ask(d im.ArchiveDefault) {
	a.mu.Lock()
	a.want = d
	w := a.wakeLocked()
	a.mu.Unlock()
	select {
	case w <- struct{}{}:
	default: // already woken
	}
}

// wanted returns the channel that says a default was asked for.
func (a *archivePrefs) wanted() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.wakeLocked()
}

func (a *archivePrefs) wakeLocked() chan struct{} {
	if a.wake == nil {
		a.wake = make(chan struct{}, 1)
	}
	return a.wake
}

// pending returns the default asked for, "" for none.
func (a *archivePrefs) pending() im.ArchiveDefault {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.want
}

// done forgets d, unless another default was asked for meanwhile.
func (a *archivePrefs) done(d im.ArchiveDefault) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.want == d {
		a.want = ""
	}
}

// SetArchiveDefault asks the server to archive by default d (XEP-0313
// §6.1), keeping the lists of JIDs the preferences name. It is done in
// the current session or, when offline, in the next one; the default read
// back comes as ArchivePrefs, a refusal as CommandFailed.
// It never blocks and is safe for concurrent use.
func (c *Client) SetArchiveDefault(d im.ArchiveDefault) {
	c.catchup.prefs.ask(d)
}

// archivePrefsSession reads the archiving preferences after sign-in and
// reports their default, then sets the default the user asks for, until
// ctx ends with the session.
func (r *runner) archivePrefsSession(ctx context.Context, sess *xmpp.Session) {
	if r.catchup.prefs.pending() == "" {
		if p, err := r.readArchivePrefs(ctx, sess); err == nil && p.Default != "" {
			r.emit(ArchivePrefs{base: r.b(), Default: p.Default})
		}
	}
	for {
		if d := r.catchup.prefs.pending(); d != "" {
			r.setArchiveDefault(ctx, sess, d)
		}
		select {
		case <-ctx.Done():
			return
		case <-r.catchup.prefs.wanted():
		}
	}
}

// setArchiveDefault changes the default to d, sending back the lists read
// (a set replaces them, XEP-0313 §6.1), and reports the default the
// server then holds. When the session ends first, d stays asked for.
func (r *runner) setArchiveDefault(ctx context.Context, sess *xmpp.Session, d im.ArchiveDefault) {
	p, err := r.readArchivePrefs(ctx, sess)
	if err == nil {
		p.Default = d
		// What is reported is what the server answers, never what was
		// asked for.
		p, err = r.archivePrefsIQ(ctx, sess, stanza.SetIQ, p)
		if err == nil && p.Default == "" {
			// XEP-0313 §6.1 answers a set with the preferences (Prosody
			// 0.12 does); a server that answers with an empty result is
			// asked again.
			p, err = r.readArchivePrefs(ctx, sess)
		}
	}
	if ctx.Err() != nil {
		return // the session ended: the next one tries again
	}
	r.catchup.prefs.done(d)
	if err != nil {
		r.emit(CommandFailed{base: r.b(), Op: OpSetArchiving, Err: err})
		return
	}
	r.emit(ArchivePrefs{base: r.b(), Default: p.Default})
}

// readArchivePrefs asks the server for the account's archiving
// preferences.
func (r *runner) readArchivePrefs(ctx context.Context, sess *xmpp.Session) (im.ArchivePrefs, error) {
	return r.archivePrefsIQ(ctx, sess, stanza.GetIQ, im.ArchivePrefs{})
}

// archivePrefsIQ sends p in an IQ of type typ to the account (no to: the
// server answers for the account's bare JID) and decodes the preferences
// the answer carries; a result without them gives ArchivePrefs{}.
func (r *runner) archivePrefsIQ(ctx context.Context, sess *xmpp.Session, typ stanza.IQType, p im.ArchivePrefs) (im.ArchivePrefs, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var got im.ArchivePrefs
	err := sendIQ(ctx, sess, stanza.IQ{Type: typ}, p.TokenReader(), func(d *xml.Decoder, start *xml.StartElement) error {
		if start == nil {
			return nil
		}
		var err error
		got, err = im.DecodeArchivePrefs(d, start)
		if errors.Is(err, im.ErrNotPrefs) {
			return nil
		}
		return err
	})
	return got, err
}
