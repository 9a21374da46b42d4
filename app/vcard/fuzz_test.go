package vcard_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/palaver-im/palaver/app/vcard"
)

// FuzzDecode checks that Decode never panics, keeps its limits, and that
// what it returns encodes and decodes to itself. Seeds: the golden files
// (added here) and testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	golden, err := filepath.Glob(filepath.Join("testdata", "*.golden.xml"))
	if err != nil || len(golden) == 0 {
		f.Fatalf("no golden files: %v", err)
	}
	for _, name := range golden {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, start, ok := split(s)
		if !ok {
			return
		}
		v, err := vcard.Decode(r, start)
		photoErr := errors.Is(err, vcard.ErrPhotoTooLarge) || errors.Is(err, vcard.ErrBadPhoto)
		if err != nil && !photoErr {
			if !v.IsEmpty() {
				t.Fatalf("error %v with a card: %+v", err, v)
			}
			return
		}
		if photoErr && !v.Photo.IsEmpty() {
			t.Fatalf("photo error %v with a photo", err)
		}
		checkLimits(t, v)
		back, err := decode(t, encode(t, v.TokenReader()))
		if err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		if !reflect.DeepEqual(back, v) {
			t.Fatalf("decode(encode(v)) =\n%+v\nwant\n%+v", back, v)
		}
	})
}

func checkLimits(t *testing.T, v vcard.VCard) {
	t.Helper()
	text := func(what, s string, limit int) {
		if len(s) > limit || !utf8.ValidString(s) || s != strings.TrimSpace(s) {
			t.Fatalf("%s: %d bytes %q", what, len(s), s)
		}
	}
	kinds := func(what string, got, known []string) {
		if !slices.IsSortedFunc(got, func(a, b string) int { return slices.Index(known, a) - slices.Index(known, b) }) ||
			slices.ContainsFunc(got, func(k string) bool { return !slices.Contains(known, k) }) ||
			len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Fatalf("%s kinds %q", what, got)
		}
	}
	for what, s := range map[string]string{
		"FN": v.FullName, "NICKNAME": v.Nickname, "BDAY": v.Birthday, "TITLE": v.Title, "ROLE": v.Role,
		"URL": v.URL, "JABBERID": v.JabberID, "FAMILY": v.Name.Family, "GIVEN": v.Name.Given,
		"MIDDLE": v.Name.Middle, "PREFIX": v.Name.Prefix, "SUFFIX": v.Name.Suffix,
		"TYPE": v.Photo.Type, "EXTVAL": v.Photo.External, "ORGNAME": v.Org.Name,
	} {
		text(what, s, vcard.MaxText)
	}
	text("DESC", v.Note, vcard.MaxNote)
	if len(v.Photo.Data) > vcard.MaxPhoto {
		t.Fatalf("photo of %d bytes", len(v.Photo.Data))
	}
	if len(v.Emails) > vcard.MaxEntries || len(v.Phones) > vcard.MaxEntries ||
		len(v.Addresses) > vcard.MaxEntries || len(v.Org.Units) > vcard.MaxEntries {
		t.Fatalf("too many entries: %d %d %d %d", len(v.Emails), len(v.Phones), len(v.Addresses), len(v.Org.Units))
	}
	for _, e := range v.Emails {
		text("USERID", e.Address, vcard.MaxText)
		kinds("EMAIL", e.Kinds, []string{"HOME", "WORK", "INTERNET", "PREF", "X400"})
	}
	for _, p := range v.Phones {
		text("NUMBER", p.Number, vcard.MaxText)
		kinds("TEL", p.Kinds, []string{"HOME", "WORK", "VOICE", "FAX", "PAGER", "MSG", "CELL", "VIDEO", "BBS", "MODEM", "ISDN", "PCS", "PREF"})
	}
	for _, a := range v.Addresses {
		for _, s := range []string{a.POBox, a.Extended, a.Street, a.Locality, a.Region, a.PostalCode, a.Country} {
			text("ADR", s, vcard.MaxText)
		}
		kinds("ADR", a.Kinds, []string{"HOME", "WORK", "POSTAL", "PARCEL", "DOM", "INTL", "PREF"})
	}
	for _, u := range v.Org.Units {
		text("ORGUNIT", u, vcard.MaxText)
	}
}
