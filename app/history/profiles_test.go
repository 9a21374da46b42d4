package history

import (
	"bytes"
	"maps"
	"testing"
	"time"
)

func equalProfile(a, b Profile) bool {
	return a.JID == b.JID && bytes.Equal(a.Card, b.Card) && a.PhotoHash == b.PhotoHash && a.Fetched.Equal(b.Fetched)
}

func TestProfiles(t *testing.T) {
	stores(t, func(t *testing.T, s *Store) {
		if _, ok, err := s.Profile(ctx, "a@x"); err != nil || ok {
			t.Fatalf("missing profile: %v %v", ok, err)
		}
		card := []byte("<vCard xmlns='vcard-temp'><FN>Alice</FN><PHOTO><BINVAL>\x00\xff</BINVAL></PHOTO></vCard>")
		fetched := time.Date(2025, 1, 2, 3, 4, 5, 678901234, time.Local)
		p := Profile{JID: "a@x", Card: card, PhotoHash: "h1", Fetched: fetched}
		if err := s.SaveProfile(ctx, p); err != nil {
			t.Fatal(err)
		}
		got, ok, err := s.Profile(ctx, "a@x")
		want := p
		want.Fetched = fetched.Truncate(time.Microsecond)
		if err != nil || !ok || !equalProfile(got, want) {
			t.Fatalf("got %+v %v %v, want %+v", got, ok, err, want)
		}

		// SetPhotoHash updates only the hash, or creates a bare profile.
		if err := s.SetPhotoHash(ctx, "a@x", "h2"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetPhotoHash(ctx, "b@x", "hb"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetPhotoHash(ctx, "c@x", ""); err != nil {
			t.Fatal(err)
		}
		got, _, _ = s.Profile(ctx, "a@x")
		want.PhotoHash = "h2"
		if !equalProfile(got, want) {
			t.Fatalf("after SetPhotoHash: %+v", got)
		}
		got, ok, _ = s.Profile(ctx, "b@x")
		if !ok || got.Card != nil || got.PhotoHash != "hb" || !got.Fetched.IsZero() {
			t.Fatalf("created by SetPhotoHash: %+v %v", got, ok)
		}
		hashes, err := s.PhotoHashes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if w := map[string]string{"a@x": "h2", "b@x": "hb"}; !maps.Equal(hashes, w) {
			t.Fatalf("PhotoHashes %v, want %v", hashes, w)
		}

		// SaveProfile replaces everything.
		p2 := Profile{JID: "b@x", Card: []byte("<vCard/>")}
		if err := s.SaveProfile(ctx, p2); err != nil {
			t.Fatal(err)
		}
		got, _, _ = s.Profile(ctx, "b@x")
		if !equalProfile(got, p2) {
			t.Fatalf("after SaveProfile: %+v", got)
		}
		if err := s.SaveProfile(ctx, Profile{}); err == nil {
			t.Error("SaveProfile without JID succeeded")
		}
	})
}
