package vcard_test

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"
	"mellium.im/xmpp/stream"

	"github.com/palaver-im/palaver/app/vcard"
)

// request is an IQ the client sent to the scripted server.
type request struct {
	XMLName xml.Name
	ID      string `xml:"id,attr"`
	Type    string `xml:"type,attr"`
	To      string `xml:"to,attr"`
	Inner   string `xml:",innerxml"`
}

// scripted starts a client session over net.Pipe whose peer answers each
// IQ with what answer returns (XML text; %s is replaced by the IQ's id).
// The peer is a plain XML reader and writer, so it can send anything.
func scripted(t *testing.T, answer func(request) string) (*xmpp.Session, <-chan request) {
	t.Helper()
	client, server := net.Pipe()
	reqs := make(chan request, 16)
	go func() {
		defer close(reqs)
		if _, err := io.WriteString(server, `<stream:stream xmlns="jabber:client" xmlns:stream="`+stream.NS+`" from="localhost" id="s1" version="1.0">`); err != nil {
			return
		}
		d := xml.NewDecoder(server)
		for {
			tok, err := d.Token()
			if err != nil {
				return
			}
			start, ok := tok.(xml.StartElement)
			if !ok {
				continue
			}
			var req request
			if err := d.DecodeElement(&req, &start); err != nil {
				return
			}
			reqs <- req
			if _, err := io.WriteString(server, strings.ReplaceAll(answer(req), "%s", req.ID)); err != nil {
				return
			}
		}
	}()
	// Nothing to negotiate: read the peer's stream header and be ready.
	negotiate := func(ctx context.Context, in, out *stream.Info, s *xmpp.Session, _ any) (xmpp.SessionState, io.ReadWriter, any, error) {
		r := s.TokenReader()
		defer r.Close()
		if _, err := r.Token(); err != nil {
			return 0, nil, nil, err
		}
		out.XMLNS = stanza.NSClient
		return xmpp.Ready, nil, nil, nil
	}
	// The negotiation's context stays alive with the session: mellium
	// watches it, and when it ends it sets the connection's deadlines to
	// the past (to stop a negotiation) — racing the next request if that
	// happened right after NewSession returned.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	s, err := xmpp.NewSession(ctx, jid.MustParse("localhost"), jid.MustParse("alice@localhost/r"), client, 0, negotiate)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = s.Serve(nil)
	}()
	t.Cleanup(func() {
		client.Close()
		server.Close()
		<-served
	})
	return s, reqs
}

func ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

const (
	nsStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"
	resultIQ  = `<iq type="result" id="%s" from="bob@localhost">`
)

func errorIQ(typ, condition string) string {
	return `<iq type="error" id="%s"><error type="` + typ + `"><` + condition + ` xmlns="` + nsStanzas + `"/></error></iq>`
}

func TestGet(t *testing.T) {
	full := encode(t, fullCard().TokenReader())
	for i, tc := range []struct {
		answer    string
		want      vcard.VCard
		condition stanza.Condition
	}{
		0: {answer: resultIQ + full + `</iq>`, want: fullCard()},
		1: {answer: resultIQ + `<vCard xmlns="vcard-temp"/></iq>`},
		2: {answer: resultIQ + `</iq>`},
		3: {answer: errorIQ("cancel", "item-not-found")},
		4: {answer: errorIQ("auth", "forbidden"), condition: stanza.Forbidden},
		5: {answer: errorIQ("cancel", "service-unavailable"), condition: stanza.ServiceUnavailable},
		6: {answer: resultIQ + `<vcard xmlns="vcard-temp"><fn>lower</fn><NOTE>n</NOTE></vcard></iq>`, want: vcard.VCard{FullName: "lower", Note: "n"}},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			s, reqs := scripted(t, func(request) string { return tc.answer })
			got, err := vcard.Get(ctx(t), s, jid.MustParse("bob@localhost"))
			req := <-reqs
			if req.Type != "get" || req.To != "bob@localhost" || !strings.Contains(req.Inner, `<vCard xmlns="vcard-temp">`) {
				t.Errorf("request: %+v", req)
			}
			if tc.condition == "" && err != nil {
				t.Fatalf("err = %v", err)
			}
			if tc.condition != "" {
				var se *stanza.Error
				if !errors.As(err, &se) || se.Condition != tc.condition {
					t.Fatalf("err = %v, want a *stanza.Error %s", err, tc.condition)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestGetOwnSendsNoTo(t *testing.T) {
	s, reqs := scripted(t, func(request) string { return resultIQ + `<vCard xmlns="vcard-temp"><FN>Me</FN></vCard></iq>` })
	v, err := vcard.Get(ctx(t), s, jid.JID{})
	if err != nil || v.FullName != "Me" {
		t.Fatalf("got %+v, %v", v, err)
	}
	if req := <-reqs; req.To != "" {
		t.Errorf("own vCard asked with to=%q", req.To)
	}
}

// A photo over the limit, sent as one 12 MB text: the card comes with the
// error, and the session goes on (the rest of the stanza was consumed).
func TestGetHugePhoto(t *testing.T) {
	huge := base64.StdEncoding.EncodeToString(make([]byte, vcard.MaxPhoto+1<<20))
	n := 0
	s, _ := scripted(t, func(request) string {
		n++
		if n == 1 {
			return resultIQ + `<vCard xmlns="vcard-temp"><FN>Big</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>` + huge + `</BINVAL></PHOTO><NICKNAME>b</NICKNAME></vCard></iq>`
		}
		return resultIQ + `<vCard xmlns="vcard-temp"><FN>Again</FN></vCard></iq>`
	})
	v, err := vcard.Get(ctx(t), s, jid.MustParse("bob@localhost"))
	if !errors.Is(err, vcard.ErrPhotoTooLarge) {
		t.Errorf("err = %v, want ErrPhotoTooLarge", err)
	}
	if v.FullName != "Big" || v.Nickname != "b" || !v.Photo.IsEmpty() {
		t.Errorf("card = %q %q, photo of %d bytes", v.FullName, v.Nickname, len(v.Photo.Data))
	}
	v, err = vcard.Get(ctx(t), s, jid.MustParse("bob@localhost"))
	if err != nil || v.FullName != "Again" {
		t.Errorf("next Get: %+v, %v", v, err)
	}
}

func TestSet(t *testing.T) {
	for i, tc := range []struct {
		answer     string
		condition  stanza.Condition
		notAllowed bool
	}{
		0: {answer: `<iq type="result" id="%s"/>`},
		1: {answer: errorIQ("cancel", "not-allowed"), condition: stanza.NotAllowed, notAllowed: true},
		2: {answer: errorIQ("auth", "forbidden"), condition: stanza.Forbidden, notAllowed: true},
		3: {answer: errorIQ("cancel", "feature-not-implemented"), condition: stanza.FeatureNotImplemented, notAllowed: true},
		4: {answer: errorIQ("modify", "bad-request"), condition: stanza.BadRequest},
		5: {answer: errorIQ("modify", "not-acceptable"), condition: stanza.NotAcceptable},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			s, reqs := scripted(t, func(request) string { return tc.answer })
			err := vcard.Set(ctx(t), s, fullCard())
			req := <-reqs
			if req.Type != "set" || req.To != "" {
				t.Errorf("request %+v, want a set without to", req)
			}
			// What the server got decodes to the card.
			sent, derr := decode(t, req.Inner)
			if derr != nil || !reflect.DeepEqual(sent, fullCard()) {
				t.Errorf("sent %s\ndecodes to %+v, %v", req.Inner, sent, derr)
			}
			var se stanza.Error
			switch {
			case tc.condition == "" && err != nil:
				t.Errorf("err = %v", err)
			case tc.condition != "" && (!errors.As(err, &se) || se.Condition != tc.condition):
				t.Errorf("err = %v, want stanza.Error %s", err, tc.condition)
			}
			if got := vcard.NotAllowed(err); got != tc.notAllowed {
				t.Errorf("NotAllowed(%v) = %v, want %v", err, got, tc.notAllowed)
			}
		})
	}
}

func TestSetIQKeepsAttributes(t *testing.T) {
	s, reqs := scripted(t, func(request) string { return `<iq type="result" id="%s"/>` })
	err := vcard.SetIQ(ctx(t), stanza.IQ{ID: "my-id", To: jid.MustParse("alice@localhost"), Type: stanza.GetIQ}, s, minimalCard())
	if err != nil {
		t.Fatal(err)
	}
	if req := <-reqs; req.ID != "my-id" || req.To != "alice@localhost" || req.Type != "set" {
		t.Errorf("request %+v", req)
	}
}

func TestGetCanceled(t *testing.T) {
	s, _ := scripted(t, func(request) string { return "" }) // never answers
	c, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := vcard.Get(c, s, jid.MustParse("bob@localhost")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the context's", err)
	}
}
