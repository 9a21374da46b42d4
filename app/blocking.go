package app

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/blocklist"
	"mellium.im/xmpp/disco"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"
)

// Blocking (XEP-0191): Client.Block and Client.Unblock queue changes that
// the session's block worker carries out in order; the worker also reads
// the block list when a new session starts, and the handler takes the
// server's pushes of changes made by the account's other clients.

// maxBlockList bounds the addresses the core reads from one block list or
// push, and keeps blocked locally: a server or list larger than that is
// cut at the first maxBlockList addresses (sorted, for a list), the rest
// ignored.
const maxBlockList = 10000

// blockOp is a change of the block list that the user asked for.
type blockOp struct {
	jid     string
	unblock bool
}

// Block blocks jid on the server (XEP-0191 §3.3), once online: its
// messages, presence and requests no longer reach the account.
// A Blocked event says whether the server did; one without blocking
// support leaves it to the UI to ignore jid locally, and the core lists it
// in BlockList for the rest of the run.
// It never blocks and is safe for concurrent use.
func (c *Client) Block(jid string) { c.blocks.Push(blockOp{jid: jid}) }

// Unblock unblocks jid on the server (XEP-0191 §3.4), once online.
// An Unblocked event says whether the server did; on a server without
// blocking support the core only forgets its local block
// (Unblocked.OnServer false). A refusal is a CommandFailed with OpUnblock.
// It never blocks and is safe for concurrent use.
func (c *Client) Unblock(jid string) { c.blocks.Push(blockOp{jid: jid, unblock: true}) }

// localBlocks are the addresses blocked in this run while the server
// offered no blocking: only the UI ignores them. It is safe for concurrent
// use; the zero value is ready.
type localBlocks struct {
	mu  sync.Mutex
	set map[string]struct{}
}

// add records bare, unless maxBlockList addresses are kept already.
func (l *localBlocks) add(bare string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.set == nil {
		l.set = map[string]struct{}{}
	}
	if len(l.set) < maxBlockList {
		l.set[bare] = struct{}{}
	}
}

func (l *localBlocks) remove(bare string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.set, bare)
}

// list returns the addresses, sorted; nil when there are none.
func (l *localBlocks) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for j := range l.set {
		out = append(out, j)
	}
	slices.Sort(out)
	return out
}

// blockWorker carries out Client.Block and Client.Unblock while the
// session lasts; what is left when it ends waits for the next session.
// With fetch (a new session, not a resumed one: XEP-0198 §5 resends the
// pushes missed meanwhile) it first reads the block list and emits
// BlockList; reading it also asks the server for pushes (XEP-0191 §3.2).
func (r *runner) blockWorker(ctx context.Context, sess *xmpp.Session, fetch bool) {
	supported := -1 // not asked yet
	ask := func() bool {
		if supported < 0 {
			ok, err := serverBlocks(ctx, sess)
			if ctx.Err() != nil {
				return false
			}
			supported = 0
			if ok && err == nil {
				supported = 1
			}
		}
		return true
	}
	if fetch {
		if !ask() {
			return
		}
		r.fetchBlockList(ctx, sess, supported == 1)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.blocks.Ready():
		}
		ops := r.blocks.Take()
		if len(ops) == 0 {
			continue
		}
		if !ask() {
			r.requeueBlocks(ops)
			return
		}
		for i, op := range ops {
			if !r.changeBlock(ctx, sess, op, supported == 1) {
				r.requeueBlocks(ops[i:])
				return
			}
		}
	}
}

// fetchBlockList reads the block list (XEP-0191 §3.2) and emits it; a
// server without blocking gives the addresses blocked locally in this run.
// A failed request emits nothing: the UI keeps what it knows.
func (r *runner) fetchBlockList(ctx context.Context, sess *xmpp.Session, onServer bool) {
	if !onServer {
		r.emit(BlockList{base: r.b(), JIDs: r.localBlocks.list()})
		return
	}
	fctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var jids []string
	// Through sendIQ, not blocklist.Fetch: see sendIQ for mellium's
	// panics on whitespace.
	err := sendIQ(fctx, sess, stanza.IQ{Type: stanza.GetIQ},
		xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: blocklist.NS, Local: "blocklist"}}),
		func(d *xml.Decoder, start *xml.StartElement) error {
			if start == nil || start.Name.Space != blocklist.NS || start.Name.Local != "blocklist" {
				return nil // an empty answer: nothing blocked
			}
			var err error
			jids, err = decodeBlockItems(d, *start)
			return err
		})
	if err != nil {
		return
	}
	r.emit(BlockList{base: r.b(), JIDs: jids, OnServer: true})
}

// changeBlock carries out op; it reports false when the session ended
// before the server answered, so that op is tried again next session.
func (r *runner) changeBlock(ctx context.Context, sess *xmpp.Session, op blockOp, onServer bool) bool {
	failed := OpBlock
	if op.unblock {
		failed = OpUnblock
	}
	j, err := jid.Parse(op.jid)
	if err != nil {
		r.emit(CommandFailed{base: r.b(), Op: failed, JID: op.jid, Err: fmt.Errorf("%w: %w", ErrInvalidAddress, err)})
		return true
	}
	bare := j.Bare().String()
	done := func(onServer bool) Event {
		if op.unblock {
			return Unblocked{base: r.b(), JID: bare, OnServer: onServer}
		}
		return Blocked{base: r.b(), JID: bare, OnServer: onServer}
	}
	if !onServer {
		if op.unblock {
			r.localBlocks.remove(bare)
		} else {
			r.localBlocks.add(bare)
		}
		r.emit(done(false))
		return true
	}
	name := "block" // XEP-0191 §3.3
	if op.unblock {
		name = "unblock" // §3.4
	}
	bctx, cancel := context.WithTimeout(ctx, requestTimeout)
	// Through sendIQ (see pingServer).
	err = sendIQ(bctx, sess, stanza.IQ{Type: stanza.SetIQ}, xmlstream.Wrap(
		xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Local: "item"}, Attr: []xml.Attr{{Name: xml.Name{Local: "jid"}, Value: bare}}}),
		xml.StartElement{Name: xml.Name{Space: blocklist.NS, Local: name}}), nil)
	cancel()
	if ctx.Err() != nil {
		return false
	}
	if err != nil {
		r.emit(CommandFailed{base: r.b(), Op: failed, JID: bare, Err: explainStanzaError(err)})
		return true
	}
	r.emit(done(true))
	return true
}

// serverBlocks asks the server whether it offers blocking (XEP-0191 §2).
func serverBlocks(ctx context.Context, sess *xmpp.Session) (bool, error) {
	dctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	// Through sendIQ, not disco.GetInfo: mellium's UnmarshalIQElement
	// panics on whitespace before the payload (session_iq.go, see sendIQ).
	var info disco.Info
	err := sendIQ(dctx, sess, stanza.IQ{Type: stanza.GetIQ, To: sess.LocalAddr().Domain()},
		xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: disco.NSInfo, Local: "query"}}),
		func(d *xml.Decoder, start *xml.StartElement) error {
			if start == nil {
				return nil
			}
			return d.DecodeElement(&info, start)
		})
	if err != nil {
		return false, err
	}
	for _, f := range info.Features {
		if f.Var == blocklist.NS {
			return true, nil
		}
	}
	return false, nil
}

// requeueBlocks keeps changes the ended session could not carry out.
func (r *runner) requeueBlocks(ops []blockOp) {
	for _, op := range ops {
		r.blocks.Push(op)
	}
}

// decodeBlockItems reads the <item jid/> children of a XEP-0191
// <blocklist/>, <block/> or <unblock/> element (r is after start) up to
// its end: the addresses as bare JIDs, without duplicates, sorted, at most
// maxBlockList of them (the rest is read and dropped). An item whose
// address is not a valid JID is skipped (§3.2 lists JIDs only; a server
// may keep what it no longer parses). Other children are ignored.
func decodeBlockItems(r xml.TokenReader, start xml.StartElement) ([]string, error) {
	seen := map[string]struct{}{}
	depth := 0
	for {
		tok, err := r.Token()
		if errors.Is(err, io.EOF) && tok == nil {
			return nil, io.ErrUnexpectedEOF
		}
		if err != nil && tok == nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth != 1 || t.Name.Local != "item" || (t.Name.Space != blocklist.NS && t.Name.Space != "") || len(seen) >= maxBlockList {
				continue
			}
			for _, a := range t.Attr {
				if a.Name.Local != "jid" || a.Name.Space != "" {
					continue
				}
				if j, err := jid.Parse(a.Value); err == nil {
					seen[j.Bare().String()] = struct{}{}
				}
				break
			}
		case xml.EndElement:
			if depth == 0 {
				// The end of start: the decoder checked that it matches.
				var out []string
				for j := range seen {
					out = append(out, j)
				}
				slices.Sort(out)
				return out, nil
			}
			depth--
		}
		if err != nil {
			return nil, err
		}
	}
}

// handleBlockPush takes a change of the block list that the server pushes
// (XEP-0191 §3.3, §3.4) when another client of the account made it, and
// answers it.
// Only the account's own server may push: an IQ without from, or from the
// account's bare JID or its domain (as RFC 6121 §2.1.6 says of roster
// pushes); anything else is answered with an error and ignored.
func (h *handler) handleBlockPush(iq stanza.IQ, t xmlstream.TokenReadEncoder, start *xml.StartElement) error {
	if from := iq.From.String(); from != "" && from != h.own && from != ownDomain(h.own) {
		_, err := xmlstream.Copy(t, iq.Error(stanza.Error{Type: stanza.Cancel, Condition: stanza.ServiceUnavailable}))
		return err
	}
	jids, err := decodeBlockItems(t, *start)
	unblock := start.Name.Local == "unblock"
	if err != nil || (!unblock && len(jids) == 0) {
		// §3.3: a block without items is a bad request.
		_, err := xmlstream.Copy(t, iq.Error(stanza.Error{Type: stanza.Modify, Condition: stanza.BadRequest}))
		return err
	}
	if _, err := xmlstream.Copy(t, iq.Result(nil)); err != nil {
		return err
	}
	switch {
	case unblock && len(jids) == 0:
		// §3.4: an unblock without items unblocked everything.
		h.c.emit(BlockList{base: h.c.b(), OnServer: true})
	case unblock:
		for _, j := range jids {
			h.c.emit(Unblocked{base: h.c.b(), JID: j, OnServer: true})
		}
	default:
		for _, j := range jids {
			h.c.emit(Blocked{base: h.c.b(), JID: j, OnServer: true})
		}
	}
	return nil
}

// ownDomain returns the domain of the bare JID own.
func ownDomain(own string) string {
	j, err := jid.Parse(own)
	if err != nil {
		return ""
	}
	return j.Domain().String()
}
