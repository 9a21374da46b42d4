package im_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/palaver-im/palaver/app/im"
)

func TestEncodeArchivePrefs(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    im.ArchivePrefs
	}{
		// Asking for the preferences: an empty <prefs/> (XEP-0313 §6.1).
		0: {"mam-prefs-get", im.ArchivePrefs{Always: []string{"ignored@example.org"}}},
		// Setting them: the default and both lists, empty ones too.
		1: {"mam-prefs-set", im.ArchivePrefs{Default: im.ArchiveRoster, Always: []string{"romeo@montague.lit", "a&b@example.org"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, tc.name, encode(t, tc.p.TokenReader()))
		})
	}
}

func decodePrefs(t *testing.T, s string) (im.ArchivePrefs, error) {
	t.Helper()
	r, start, ok := split(s)
	if !ok {
		t.Fatal("no element")
	}
	return im.DecodeArchivePrefs(r, start)
}

func TestDecodeArchivePrefs(t *testing.T) {
	// many returns n <jid/> elements and the JIDs in them.
	many := func(n int) (string, []string) {
		var b strings.Builder
		var jids []string
		for i := range n {
			jids = append(jids, fmt.Sprintf("u%d@example.org", i))
			fmt.Fprintf(&b, "<jid>%s</jid>", jids[i])
		}
		return b.String(), jids
	}
	full, fullJIDs := many(im.MaxPrefsJIDs)
	over, _ := many(im.MaxPrefsJIDs + 1)
	for i, tc := range []struct {
		in   string
		want im.ArchivePrefs
		err  error
	}{
		// XEP-0313 §6.1, Example 31.
		0: {in: `<prefs xmlns='urn:xmpp:mam:2' default='roster'>
  <always><jid>romeo@montague.lit</jid></always>
  <never><jid>montague@montague.lit</jid></never>
</prefs>`, want: im.ArchivePrefs{Default: im.ArchiveRoster, Always: []string{"romeo@montague.lit"}, Never: []string{"montague@montague.lit"}}},
		// ejabberd's default, and what Prosody answers with
		// default_archive_policy = false.
		1: {in: `<prefs xmlns="urn:xmpp:mam:2" default="never"><always/><never/></prefs>`, want: im.ArchivePrefs{Default: im.ArchiveNever}},
		2: {in: `<prefs xmlns="urn:xmpp:mam:2" default=" always "/>`, want: im.ArchivePrefs{Default: im.ArchiveAlways}},
		// A default XEP-0313 does not define is no default.
		3: {in: `<prefs xmlns="urn:xmpp:mam:2" default="sometimes"/>`, want: im.ArchivePrefs{}},
		4: {in: `<prefs xmlns="urn:xmpp:mam:2"/>`, want: im.ArchivePrefs{}},
		// Whitespace around a JID goes, an empty one is dropped, unknown
		// children are skipped, and lists given twice add up.
		5: {in: `<prefs xmlns="urn:xmpp:mam:2" default="roster"><always><jid> a@b </jid><jid/><x xmlns="urn:other"><jid>no@b</jid></x></always><always><jid>c@d</jid></always></prefs>`,
			want: im.ArchivePrefs{Default: im.ArchiveRoster, Always: []string{"a@b", "c@d"}}},
		// A <jid/> in another namespace is not one.
		6: {in: `<prefs xmlns="urn:xmpp:mam:2" default="roster"><never><jid xmlns="urn:other">x@y</jid></never></prefs>`, want: im.ArchivePrefs{Default: im.ArchiveRoster}},
		// Neither is an <always/> in another namespace (the old mam:0 one).
		7: {in: `<prefs xmlns="urn:xmpp:mam:2" default="never"><always xmlns="urn:xmpp:mam:0"><jid>x@y</jid></always></prefs>`, want: im.ArchivePrefs{Default: im.ArchiveNever}},
		// Up to MaxPrefsJIDs per list; more is refused, not cut.
		8:  {in: `<prefs xmlns="urn:xmpp:mam:2" default="roster"><always>` + full + `</always></prefs>`, want: im.ArchivePrefs{Default: im.ArchiveRoster, Always: fullJIDs}},
		9:  {in: `<prefs xmlns="urn:xmpp:mam:2" default="roster"><always>` + over + `</always></prefs>`, err: im.ErrPrefsTooLong},
		10: {in: `<prefs xmlns="urn:xmpp:mam:2" default="roster"><never><jid>` + strings.Repeat("a", 3072) + `</jid></never></prefs>`, err: im.ErrPrefsTooLong},
		11: {in: `<prefs xmlns="urn:xmpp:mam:0" default="roster"/>`, err: im.ErrNotPrefs},
		12: {in: `<fin xmlns="urn:xmpp:mam:2"/>`, err: im.ErrNotPrefs},
	} {
		got, err := decodePrefs(t, tc.in)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("%d: error %v, want %v", i, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%d: %v", i, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%d: got %+v, want %+v", i, got, tc.want)
		}
	}
}

// FuzzDecodeArchivePrefs: no input makes the decoder fail other than with
// an error, keep more than the caps, or keep what does not survive being
// sent back: the lists are written back whole when the default changes.
func FuzzDecodeArchivePrefs(f *testing.F) {
	f.Add(`<prefs xmlns="urn:xmpp:mam:2" default="roster"><always><jid>romeo@montague.lit</jid></always><never><jid>montague@montague.lit</jid></never></prefs>`)
	f.Add(`<prefs xmlns="urn:xmpp:mam:2" default="never"><always/><never/></prefs>`)
	f.Add(`<prefs xmlns="urn:xmpp:mam:2" default="always"><always><jid> a@b </jid><jid/></always><always><jid>c@d</jid></always></prefs>`)
	f.Add(`<prefs xmlns="urn:xmpp:mam:2"/>`)
	f.Fuzz(func(t *testing.T, s string) {
		r, start, ok := split(s)
		if !ok {
			return
		}
		p, err := im.DecodeArchivePrefs(r, start)
		if err != nil {
			return
		}
		switch p.Default {
		case "", im.ArchiveAlways, im.ArchiveRoster, im.ArchiveNever:
		default:
			t.Fatalf("unknown default kept: %q", p.Default)
		}
		if len(p.Always) > im.MaxPrefsJIDs || len(p.Never) > im.MaxPrefsJIDs {
			t.Fatalf("lists of %d and %d kept", len(p.Always), len(p.Never))
		}
		if p.Default == "" {
			return // nothing to send back
		}
		back, err := decodePrefs(t, encode(t, p.TokenReader()))
		if err != nil || !reflect.DeepEqual(back, p) {
			t.Fatalf("sent back as %+v (%v), want %+v", back, err, p)
		}
	})
}
