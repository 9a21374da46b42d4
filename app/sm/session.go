package sm

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"time"

	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/mux"
	"mellium.im/xmpp/stream"
)

// Handle returns an option that registers the handlers of the stream
// management elements the server sends while the session is served:
// <r/> is answered with <a h='…'/> (XEP-0198 §4), <a/> drops the stanzas
// it acknowledges from the queue, <enabled/> and <failed/> answer Enable.
// A handler returns an error, which ends the session, when the server
// acknowledges more stanzas than were sent (*CountError) or sends an
// element that cannot be read (*MalformedError).
func Handle(st *State) mux.Option {
	return func(m *mux.ServeMux) {
		for local, h := range map[string]xmpp.HandlerFunc{
			"r":       st.handleR,
			"a":       st.handleA,
			"enabled": st.handleEnabled,
			"failed":  st.handleFailed,
		} {
			mux.Handle(xml.Name{Space: NS, Local: local}, h)(m)
		}
	}
}

func (st *State) handleR(t xmlstream.TokenReadEncoder, _ *xml.StartElement) error {
	a := xml.StartElement{
		Name: xml.Name{Space: NS, Local: "a"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "h"}, Value: strconv.FormatUint(uint64(st.handled()), 10)}},
	}
	if err := t.EncodeToken(a); err != nil {
		return err
	}
	return t.EncodeToken(a.End())
}

func (st *State) handleA(_ xmlstream.TokenReadEncoder, start *xml.StartElement) error {
	h, err := decodeA(*start)
	if err != nil {
		return err
	}
	return st.ack(h)
}

func (st *State) handleEnabled(_ xmlstream.TokenReadEncoder, start *xml.StartElement) error {
	e, err := decodeEnabled(*start)
	if err != nil {
		return err
	}
	st.enabledBy(e)
	return nil
}

func (st *State) handleFailed(t xmlstream.TokenReadEncoder, start *xml.StartElement) error {
	f, err := decodeFailed(t, *start)
	if err != nil {
		return err
	}
	st.enableFailed(f)
	return nil
}

// Enable asks the server to enable stream management with resumption
// (XEP-0198 §3), on a session that bound a resource (not a resumed one:
// then it does nothing).
// It only writes <enable/>: the answer comes while the session is served
// and is taken by Handle; Status and Changed tell when it came.
// It returns ErrUnsupported if the server did not offer stream
// management, and then the session goes on without it.
// Enable is safe to call from any goroutine, as Session.Send is.
func Enable(ctx context.Context, sess *xmpp.Session, st *State) error {
	if _, ok := sess.Feature(NS); !ok {
		return ErrUnsupported
	}
	st.mu.Lock()
	if st.resumed {
		st.mu.Unlock()
		return nil
	}
	st.addr = sess.LocalAddr()
	st.mu.Unlock()
	start := xml.StartElement{
		Name: xml.Name{Space: NS, Local: "enable"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "resume"}, Value: "true"}},
	}
	return sess.Send(ctx, xmlstream.Wrap(nil, start))
}

// Feature returns bind (the resource binding feature, RFC 6120 §7) made
// to resume the state's earlier session instead when it can (XEP-0198
// §5): the server offers stream management, the state holds a resumable
// session, and it was lost less than the server's max ago.
//
// Resumption must come after authentication and instead of binding.
// A feature of its own cannot do that with mellium v0.23.0: its
// negotiator (features.go, negotiateFeatures) goes on to the required
// bind feature after an optional one, whatever state that one returned.
// So the resumption is negotiated in bind's place.
//
// On <resumed/> the stanzas the server did not get are written again, at
// once and in order, and the session is Ready with the address bound
// before; Status().Resumed is true.
// On <failed/> the state starts afresh and bind runs: a new session,
// which the caller must Enable and set up as any new session (roster,
// presence); Status().Failed says why.
// A server that acknowledges more than was sent fails the negotiation
// with a *CountError.
func Feature(st *State, bind xmpp.StreamFeature) xmpp.StreamFeature {
	f := bind
	f.Negotiate = func(ctx context.Context, s *xmpp.Session, data interface{}) (xmpp.SessionState, io.ReadWriter, error) {
		if _, offered := s.Feature(NS); offered && st.canResume(time.Now()) {
			ok, err := st.resume(s)
			if err != nil {
				return 0, nil, err
			}
			if ok {
				return xmpp.Ready, nil, nil
			}
		} else {
			st.Forget()
		}
		return bind.Negotiate(ctx, s, data)
	}
	return f
}

// canResume reports whether the state holds a session worth resuming.
func (st *State) canResume(now time.Time) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.id == "" || !st.resumable || st.overflow || st.addr.String() == "" {
		return false
	}
	return st.max == 0 || st.lost.IsZero() || now.Sub(st.lost) < st.max
}

// resume asks the server to resume the state's session on s. It reports
// whether it did.
func (st *State) resume(s *xmpp.Session) (bool, error) {
	st.mu.Lock()
	id, h, addr := st.id, st.in, st.addr
	st.mu.Unlock()

	var b bytes.Buffer
	b.WriteString("<resume xmlns='" + NS + "' h='" + strconv.FormatUint(uint64(h), 10) + "' previd='")
	_ = xml.EscapeText(&b, []byte(id))
	b.WriteString("'/>")
	if _, err := s.Conn().Write(b.Bytes()); err != nil {
		return false, err
	}

	r := s.TokenReader()
	defer r.Close()
	var start xml.StartElement
	for {
		tok, err := r.Token()
		if err != nil {
			return false, fmt.Errorf("resuming the session: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			start = se
			break
		}
	}
	switch start.Name {
	case xml.Name{Space: NS, Local: "resumed"}:
	case xml.Name{Space: NS, Local: "failed"}:
		f, err := decodeFailed(r, start)
		if err != nil {
			return false, err
		}
		st.mu.Lock()
		st.resetLocked()
		st.failure = f.condition
		st.mu.Unlock()
		return false, nil
	case xml.Name{Space: stream.NS, Local: "error"}:
		var se stream.Error
		if err := xml.NewTokenDecoder(r).DecodeElement(&se, &start); err != nil {
			return false, err
		}
		return false, se
	default:
		return false, &MalformedError{Element: start.Name.Local, Reason: "expected <resumed/> or <failed/>"}
	}
	res, err := decodeResumed(start)
	if err != nil {
		return false, err
	}
	// The rest of <resumed/>, so that Serve starts after it.
	if _, err := xmlstream.Copy(xmlstream.Discard(), xmlstream.Inner(r)); err != nil {
		return false, err
	}
	if res.previd != id {
		return false, &MalformedError{Element: "resumed", Reason: "it resumes another session"}
	}

	// XEP-0198 §5: drop what the server has, then write the rest again;
	// the wrapper counts and keeps it anew, from the server's count.
	st.mu.Lock()
	if err := st.ackLocked(res.h); err != nil {
		st.resetLocked()
		st.mu.Unlock()
		return false, err
	}
	resend := st.queue
	st.queue, st.queueBytes = nil, 0
	st.out, st.requested = st.acked, st.acked
	st.outOn, st.inOn = true, true
	st.enabled, st.resumed, st.failure = true, true, ""
	st.lost = time.Time{}
	st.notify()
	st.mu.Unlock()

	s.UpdateAddr(addr)
	if len(resend) > 0 {
		if _, err := s.Conn().Write(bytes.Join(resend, nil)); err != nil {
			return false, err
		}
	}
	return true, nil
}
