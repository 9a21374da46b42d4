package media_test

import (
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/palaver-im/palaver/app/media"
)

func TestCleanName(t *testing.T) {
	long := strings.Repeat("é", 200) + ".jpeg"
	for i, tc := range []struct{ in, want string }{
		0: {"photo.jpg", "photo.jpg"},
		1: {"a/b\\c:d*e?f\"g<h>i|j", "a_b_c_d_e_f_g_h_i_j"},
		2: {"\u202egpj.exe", "gpj.exe"},
		3: {"  ..hidden. ", "hidden"},
		4: {"..", ""},
		5: {"tab\there\x00\x7f", "tab here"},
		6: {"bad\xff\xfeutf8", "badutf8"},
		7: {long, strings.Repeat("é", 125) + ".jpeg"},
		8: {strings.Repeat("x", 300), strings.Repeat("x", 255)},
		9: {"zero\u200bwidth", "zerowidth"},
	} {
		if got := media.CleanName(tc.in); got != tc.want {
			t.Errorf("%d: CleanName(%q) = %q, want %q", i, tc.in, got, tc.want)
		}
	}
}

func TestParseType(t *testing.T) {
	for i, tc := range []struct{ in, want string }{
		0: {"image/png", "image/png"},
		1: {"Image/JPEG; charset=binary", "image/jpeg"},
		2: {"text/html; charset", "text/html"},
		3: {"", ""},
		4: {"png", ""},
		5: {"image/png/x", ""},
		6: {"image/" + strings.Repeat("x", 200), ""},
		7: {"a b/c", ""},
	} {
		if got := media.ParseType(tc.in); got != tc.want {
			t.Errorf("%d: ParseType(%q) = %q, want %q", i, tc.in, got, tc.want)
		}
	}
}

// FuzzCleanName: whatever a URL's last segment holds, the name is valid
// UTF-8 of at most MaxName bytes, without control or format characters,
// path separators or characters Windows refuses, never "." or "..", and
// cleaning it again changes nothing.
func FuzzCleanName(f *testing.F) {
	for _, s := range []string{"photo.jpg", "\u202egpj.exe", "a/b\\c", "..", " . ", strings.Repeat("é", 200) + ".jpeg", "\xff\xfe", "x\x00y", strings.Repeat("a", 254) + "éé"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name := media.CleanName(s)
		if !utf8.ValidString(name) || len(name) > media.MaxName {
			t.Fatalf("CleanName(%q) = %q: invalid or too long", s, name)
		}
		if name == "." || name == ".." || strings.ContainsAny(name, `/\:*?"<>|`) {
			t.Fatalf("CleanName(%q) = %q", s, name)
		}
		for _, r := range name {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("CleanName(%q) = %q holds %U", s, name, r)
			}
		}
		if strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.HasPrefix(name, " ") || strings.HasSuffix(name, " ") {
			t.Fatalf("CleanName(%q) = %q: dots or spaces at an end", s, name)
		}
		if again := media.CleanName(name); again != name {
			t.Fatalf("CleanName(%q) = %q, then %q", s, name, again)
		}
		// Through a URL: the segment's name is the same.
		u := "https://example.org/d/" + url.PathEscape(s)
		if _, err := media.ParseURL(u); err != nil {
			t.Fatalf("ParseURL(%q): %v", u, err)
		}
	})
}

// FuzzParseType: a Content-Type header gives "" or a lower-case type of
// the form a/b, of at most 127 bytes, that parses to itself.
func FuzzParseType(f *testing.F) {
	for _, s := range []string{"image/png", "Image/JPEG; charset=binary", "text/html; charset", "", "a/b/c", "multipart/form-data; boundary=\"x\"", "image/png;;;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ := media.ParseType(s)
		if typ == "" {
			return
		}
		if len(typ) > 127 || strings.Count(typ, "/") != 1 || strings.ToLower(typ) != typ {
			t.Fatalf("ParseType(%q) = %q", s, typ)
		}
		if again := media.ParseType(typ); again != typ {
			t.Fatalf("ParseType(%q) = %q, then %q", s, typ, again)
		}
	})
}

// FuzzNameOf: the name of any https URL's path is clean (see
// FuzzCleanName) and Info computes it before any request.
func FuzzNameOf(f *testing.F) {
	for _, s := range []string{"/a/b.png", "/a%2Fb.png", "/", "", "/%E2%80%AEgpj.exe", "/a%zz", "/x/..", "/%00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		u, err := media.ParseURL("https://example.org" + p)
		if err != nil {
			return
		}
		name := media.NameOf(u)
		if name != media.CleanName(name) || len(name) > media.MaxName || strings.ContainsAny(name, "/\\") {
			t.Fatalf("name of %q: %q", p, name)
		}
	})
}
