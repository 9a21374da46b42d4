package vcard_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"image"
	"image/color"
	"image/png"
	"net"
	"reflect"
	"slices"
	"testing"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmpp"
	"mellium.im/xmpp/disco"
	discoinfo "mellium.im/xmpp/disco/info"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/prosodytest"
	"github.com/palaver-im/palaver/app/vcard"
)

// These tests run against a real Prosody started by prosodytest; it skips
// them when Prosody is missing, but fails them when CI is set.

// signIn registers user on srv and returns a served session that trusts
// only srv's certificate.
func signIn(t *testing.T, srv *prosodytest.Server, user string) *xmpp.Session {
	t.Helper()
	srv.Register(t, user, user+"-pw")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(srv.CertPEM) {
		t.Fatal("no certificate in CertPEM")
	}
	tlsCfg := &tls.Config{RootCAs: pool, ServerName: srv.Domain, MinVersion: tls.VersionTLS12}
	addr := jid.MustParse(user + "@" + srv.Domain + "/vcard-test")
	s, err := xmpp.NewClientSession(ctx, addr, conn,
		xmpp.StartTLS(tlsCfg),
		xmpp.SASL("", user+"-pw", sasl.ScramSha256, sasl.ScramSha1, sasl.Plain),
		xmpp.BindResource())
	if err != nil {
		conn.Close()
		t.Fatalf("signing in as %s: %v", user, err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = s.Serve(nil)
	}()
	t.Cleanup(func() {
		_ = s.Close()
		_ = s.Conn().Close()
		<-served
	})
	return s
}

// pngPhoto returns a small PNG image whose pixels depend on seed.
func pngPhoto(t *testing.T, seed uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 24, 24))
	for y := range 24 {
		for x := range 24 {
			img.Set(x, y, color.RGBA{R: uint8(x*10) + seed, G: uint8(y * 10), B: seed, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// legacyView is what Prosody's mod_vcard_legacy gives back for v: it stores
// the card as vCard 4 in PEP, which keeps only HOME or WORK of the flags
// (and INTERNET on every address), and no ORGUNIT.
func legacyView(v vcard.VCard) vcard.VCard {
	homeOrWork := func(kinds []string) []string {
		switch {
		case slices.Contains(kinds, "HOME"):
			return []string{"HOME"}
		case slices.Contains(kinds, "WORK"):
			return []string{"WORK"}
		}
		return nil
	}
	var out vcard.VCard = v
	out.Emails = nil
	for _, e := range v.Emails {
		out.Emails = append(out.Emails, vcard.Email{Address: e.Address, Kinds: append(homeOrWork(e.Kinds), "INTERNET")})
	}
	out.Phones = nil
	for _, p := range v.Phones {
		out.Phones = append(out.Phones, vcard.Phone{Number: p.Number, Kinds: homeOrWork(p.Kinds)})
	}
	out.Addresses = nil
	for _, a := range v.Addresses {
		a.Kinds = homeOrWork(a.Kinds)
		out.Addresses = append(out.Addresses, a)
	}
	out.Org.Units = nil
	return out
}

func TestProsody(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts prosodytest.Options
		// stored is what the server gives back for a card set.
		stored func(vcard.VCard) vcard.VCard
	}{{
		name:   "vcard",
		stored: func(v vcard.VCard) vcard.VCard { return v },
	}, {
		name: "vcard_legacy",
		// The test rig loads mod_vcard (and mod_pep, which vcard_legacy
		// needs) by default: swap mod_vcard for mod_vcard_legacy.
		opts:   prosodytest.Options{Modules: []string{"vcard_legacy"}, Global: `modules_disabled = { "s2s", "vcard" }`},
		stored: legacyView,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := prosodytest.StartWith(t, tc.opts)
			srv.Register(t, "carol", "carol-pw") // never sets a card
			alice := signIn(t, srv, "alice")
			bob := signIn(t, srv, "bob")
			aliceJID := jid.MustParse("alice@" + srv.Domain)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()

			// No profile yet: an empty card and no error.
			for _, who := range []string{"carol", "alice"} {
				v, err := vcard.Get(ctx, bob, jid.MustParse(who+"@"+srv.Domain))
				if err != nil || !v.IsEmpty() {
					t.Errorf("%s's card before any was set: %+v, %v", who, v, err)
				}
			}
			if v, err := vcard.Get(ctx, bob, jid.JID{}); err != nil || !v.IsEmpty() {
				t.Errorf("bob's own card before any was set: %+v, %v", v, err)
			}

			// Alice publishes a full card; Bob reads it.
			card := fullCard()
			card.JabberID = aliceJID.String()
			card.Photo = vcard.Photo{Type: "image/png", Data: pngPhoto(t, 1)}
			if err := vcard.Set(ctx, alice, card); err != nil {
				t.Fatalf("alice sets her card: %v", err)
			}
			got, err := vcard.Get(ctx, bob, aliceJID)
			if err != nil {
				t.Fatalf("bob gets alice's card: %v", err)
			}
			if want := tc.stored(card); !reflect.DeepEqual(got, want) {
				t.Errorf("bob got\n%+v\nwant\n%+v", got, want)
			}
			if !bytes.Equal(got.Photo.Data, card.Photo.Data) || got.Photo.Type != "image/png" {
				t.Errorf("photo: %s of %d bytes, want image/png of %d bytes", got.Photo.Type, len(got.Photo.Data), len(card.Photo.Data))
			}

			// Alice changes it (another photo, fewer entries) and reads her own back.
			card2 := vcard.VCard{
				FullName: "Alice L.",
				Nickname: "Al",
				Photo:    vcard.Photo{Type: "image/png", Data: pngPhoto(t, 200)},
				Emails:   []vcard.Email{{Address: "new@example.org", Kinds: []string{"WORK", "INTERNET"}}},
				Note:     "Moved.",
			}
			if err := vcard.Set(ctx, alice, card2); err != nil {
				t.Fatalf("alice updates her card: %v", err)
			}
			for who, s := range map[string]*xmpp.Session{"alice": alice, "bob": bob} {
				to := aliceJID
				if who == "alice" {
					to = jid.JID{} // her own
				}
				got, err := vcard.Get(ctx, s, to)
				if err != nil {
					t.Fatalf("%s gets the updated card: %v", who, err)
				}
				if want := tc.stored(card2); !reflect.DeepEqual(got, want) {
					t.Errorf("%s got the updated card as\n%+v\nwant\n%+v", who, got, want)
				}
			}

			// Alice may not set Bob's card: a real refusal.
			err = vcard.SetIQ(ctx, stanza.IQ{To: jid.MustParse("bob@" + srv.Domain)}, alice, vcard.VCard{FullName: "Not Bob"})
			var se *stanza.Error
			if !errors.As(err, &se) {
				t.Fatalf("setting bob's card: err = %v, want a stanza error", err)
			}
			if !vcard.NotAllowed(err) {
				t.Errorf("NotAllowed(%v) = false (condition %s)", err, se.Condition)
			}
			t.Logf("setting another user's card: %s (%v)", se.Condition, err)
			if v, err := vcard.Get(ctx, bob, jid.JID{}); err != nil || !v.IsEmpty() {
				t.Errorf("bob's card after alice's refused set: %+v, %v", v, err)
			}

			// The module in use is the one meant: only mod_vcard_legacy
			// announces the conversion on accounts.
			info, err := disco.GetInfo(ctx, "", aliceJID, alice)
			if err != nil {
				t.Fatalf("disco#info of her own account, by alice: %v", err)
			}
			converts := slices.ContainsFunc(info.Features, func(f discoinfo.Feature) bool { return f.Var == "urn:xmpp:pep-vcard-conversion:0" })
			if converts != (tc.name == "vcard_legacy") {
				t.Errorf("alice's account announces the PEP conversion: %v; features %v", converts, info.Features)
			}
		})
	}
}
