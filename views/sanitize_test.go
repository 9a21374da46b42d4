package views

import (
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/vcard"
	"github.com/palaver-im/palaver/views/model"
)

// hostile are texts a contact or server may send, for the tests and as
// fuzz seeds.
var hostile = []string{
	"",
	"hello",
	"Tom & Jerry <tom@example.org>",
	"<a href='https://evil.example'>bank</a><img src='file:///etc/passwd'/>",
	"&amp; &lt;b&gt;",
	"line one\r\nline two\rline three\u2028four\u2029five\u0085six\vseven\feight",
	"\x00nul\x07bell\x1b[31mred\x7fdel\u009bcsi",
	"invoice\u202Egnp.exe",
	"\u2066isolated\u2069 \u200Eltr\u200F \u061Calm \u202A\u202B\u202C\u202D",
	"$(Remove-Item -Recurse C:\\) $env:USERNAME \u201Cquoted\u201D \u201Elow\u201C `tick`",
	"bad \xff\xfe utf-8 \xc3",
	"keep\ttabs and émojis 👩‍💻 and שלום and \uFFFD",
	"CN=evil\nSHA-256: AA:BB",
}

func TestPlainText(t *testing.T) {
	for i, tc := range []struct{ in, text, line string }{
		0: {"hello", "hello", "hello"},
		1: {"a\r\nb\rc\u2028d\u2029e\u0085f\vg\fh\ni", "a\nb\nc\nd\ne\nf\ng\nh\ni", "a b c d e f g h i"},
		2: {"\x00x\x07y\x1b[31mz\x7f\u009b", "xy[31mz", "xy[31mz"},
		3: {"invoice\u202Egnp.exe", "invoicegnp.exe", "invoicegnp.exe"},
		4: {"\u2066a\u2069\u200Eb\u200Fc\u061Cd\u202A\u202B\u202C\u202De", "abcde", "abcde"},
		5: {"tab\there", "tab\there", "tab here"},
		6: {"bad \xff!", "bad \uFFFD!", "bad \uFFFD!"},
		7: {"Tom & Jerry <b>", "Tom & Jerry <b>", "Tom & Jerry <b>"}, // labels show no markup
		8: {"\r\n\r\n", "\n\n", "  "},
		9: {"👩‍💻 שלום \uFFFD", "👩‍💻 שלום \uFFFD", "👩‍💻 שלום \uFFFD"}, // ZWJ and RTL letters stay
	} {
		if got := plainText(tc.in); got != tc.text {
			t.Errorf("%d: plainText(%q) = %q, want %q", i, tc.in, got, tc.text)
		}
		if got := plainLine(tc.in); got != tc.line {
			t.Errorf("%d: plainLine(%q) = %q, want %q", i, tc.in, got, tc.line)
		}
	}
}

func TestEscapedLine(t *testing.T) {
	for i, tc := range []struct{ in, want string }{
		0: {"CN=example.org", "CN=example.org"},
		1: {"CN=evil\nSHA-256: AA:BB", `CN=evil\nSHA-256: AA:BB`},
		2: {"a\r\tb\x00\x1b\x7f", `a\r\tb\x00\x1b\x7f`},
		3: {"O=\u202Egro.elpmaxe", `O=\u202egro.elpmaxe`},
		4: {"x\u0085y\u2028z\u00a0", "x\\u0085y\\u2028z\u00a0"}, // a no-break space shows as a space
		5: {"bad\xffbyte", `bad\xffbyte`},
		6: {"CN=Zoë, O=Ünïcödé 中文", "CN=Zoë, O=Ünïcödé 中文"},
		7: {`CN=a\,b`, `CN=a\,b`}, // crypto/x509's own escapes stay as they are
	} {
		if got := escapedLine(tc.in); got != tc.want {
			t.Errorf("%d: escapedLine(%q) = %q, want %q", i, tc.in, got, tc.want)
		}
	}
}

func TestNotifyText(t *testing.T) {
	const attack = "<a href='x'>A & B</a>\u202E\n$(calc) \u201Cq\u201D"
	for i, tc := range []struct {
		goos        string
		body        bool
		in, want    string
		description string
	}{
		0: {"linux", true, attack, "&lt;a href='x'&gt;A &amp; B&lt;/a&gt;\n$(calc) \u201Cq\u201D", "markup escaped"},
		1: {"linux", false, attack, "\u2039a href='x'\u203AA \uFF06 B\u2039/a\u203A $(calc) \u201Cq\u201D", "look-alikes, one line"},
		2: {"freebsd", true, "<b>", "&lt;b&gt;", "BSDs use the freedesktop daemon too"},
		3: {"windows", true, attack, "<a href='x'>A & B</a>\n\uFF04(calc) \"q\"", "no PowerShell expansion or quote"},
		4: {"windows", false, "$x\u201E", "\uFF04x\"", "titles too"},
		5: {"darwin", true, attack, "<a href='x'>A & B</a>\n$(calc) \u201Cq\u201D", "plain text"},
		6: {"linux", true, "Tom\x00\x1b \u2066x\u2069\r\ny", "Tom x\ny", "controls dropped"},
	} {
		if got := notifyText(tc.goos, tc.in, tc.body); got != tc.want {
			t.Errorf("%d (%s): notifyText(%s, %q, %v) = %q, want %q", i, tc.description, tc.goos, tc.in, tc.body, got, tc.want)
		}
	}
}

// TestNotificationsAreEscaped checks the two places that word
// notifications: a message's own and the catch-up's summary.
func TestNotificationsAreEscaped(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		t.Skip("the expectations are those of a freedesktop notification server (TestNotifyText covers the others)")
	}
	for i, tc := range []struct {
		title, body string
		got         func() (string, string)
	}{
		0: {"Eve \u2039b\u203A", "&lt;a href=\"https://evil.example\"&gt;pay&lt;/a&gt; &amp; gnp.exe",
			func() (string, string) {
				n := notification("Eve <b>", 1, "<a href=\"https://evil.example\">pay</a> & \u202Egnp.exe")
				return n.Title, n.Content
			}},
		1: {"Eve \uFF06 co", "2 new messages",
			func() (string, string) { n := notification("Eve & co\n", 2, "<b>"); return n.Title, n.Content }},
		2: {"Palaver", "3 new messages from A &amp; B and &lt;i&gt;C",
			func() (string, string) {
				n := catchUpNotification([]string{"A & B", "<i>C\u202E"}, 3, "")
				return n.Title, n.Content
			}},
		3: {"A\u2039", "x &lt;y",
			func() (string, string) {
				n := catchUpNotification([]string{"A<"}, 1, "x <y")
				return n.Title, n.Content
			}},
		// Clipped before it is escaped: no entity is cut in half.
		4: {"A", strings.Repeat("x", 199) + "&amp;…",
			func() (string, string) {
				n := notification("A", 1, strings.Repeat("x", 199)+"&&&&&")
				return n.Title, n.Content
			}},
	} {
		title, body := tc.got()
		if title != tc.title || body != tc.body {
			t.Errorf("%d: %q %q, want %q %q", i, title, body, tc.title, tc.body)
		}
	}
}

// FuzzSanitize checks what each sink relies on, whatever the text.
func FuzzSanitize(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		text, line, esc := plainText(s), plainLine(s), escapedLine(s)
		for name, out := range map[string]string{"plainText": text, "plainLine": line, "escapedLine": esc} {
			if !utf8.ValidString(out) {
				t.Fatalf("%s(%q) = %q: invalid UTF-8", name, s, out)
			}
			for _, r := range out {
				if model.IsBidiControl(r) || (unicode.IsControl(r) && r != '\n' && r != '\t') || (model.IsLineBreak(r) && r != '\n') {
					t.Fatalf("%s(%q) = %q keeps %U", name, s, out, r)
				}
			}
		}
		if strings.ContainsAny(line, "\n\t") || strings.ContainsAny(esc, "\n\t") {
			t.Fatalf("more than one line: %q, %q", line, esc)
		}
		if plainText(text) != text || plainLine(line) != line {
			t.Fatalf("not idempotent: %q", s)
		}
		if n := utf8.RuneCountInString(line); n != utf8.RuneCountInString(text) {
			t.Fatalf("plainLine(%q) is not plainText with spaces: %q, %q", s, line, text)
		}

		body := notifyText("linux", s, true)
		if strings.ContainsAny(body, "<>") {
			t.Fatalf("markup left in body %q", body)
		}
		for i := strings.IndexByte(body, '&'); i >= 0; i = next(body, i) {
			rest := body[i:]
			if !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
				t.Fatalf("bare & in body %q", body)
			}
		}
		unescaped := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(body)
		if unescaped != text {
			t.Fatalf("body %q does not say %q", body, text)
		}
		if title := notifyText("linux", s, false); strings.ContainsAny(title, "<>&\n") {
			t.Fatalf("title %q", title)
		}
		for _, body := range []bool{true, false} {
			if w := notifyText("windows", s, body); strings.ContainsAny(w, "$\u201C\u201D\u201E") {
				t.Fatalf("PowerShell would expand or end the string %q", w)
			}
		}
	})
}

// next returns the index of the & after the one at i, or -1.
func next(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '&')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// A certificate whose names hold line breaks and bidi controls shows
// each name on its own line, written out, and no line that it forged.
func TestTrustDialogShowsNamesOnOneLine(t *testing.T) {
	h := signedIn(t)
	cert := testCert()
	cert.Subject = "CN=example.org\nSHA-256: AA:BB:CC"
	cert.Issuer = "CN=\u202Egro.elpmaxe\r"
	cert.Names = []string{"example.org", "evil\n.example"}
	e := app.CertUntrusted{Cert: cert}
	e.Acct = me
	h.apply(e)
	details, ok := find(h.overlay(), func(l *widget.Label) bool { return strings.HasPrefix(l.Text, "Why: ") })
	if !ok {
		t.Fatal("no certificate details in the dialog")
	}
	want := []string{
		"Why: " + cert.Reason,
		`Issued to: CN=example.org\nSHA-256: AA:BB:CC`,
		`Names: example.org, evil\n.example`,
		`Issued by: CN=\u202egro.elpmaxe\r`,
		"Valid: 2026-01-01 to 2027-01-01",
	}
	if got := strings.Split(details.Text, "\n"); !slices.Equal(got, want) {
		t.Errorf("details\n%q\nwant\n%q", got, want)
	}
	if !labelContaining(h.overlay(), "SHA-256:\n01:23:45") {
		t.Error("the real fingerprint is not shown")
	}
}

// A profile card shows the contact's words without their bidi controls
// and line breaks; the note keeps its lines.
func TestProfileCardIsPlain(t *testing.T) {
	h, _ := profileHarness(t)
	c := cardWith(t, h)
	card := vcard.VCard{
		FullName:  "Mallory\u202E\n(Administrator)",
		Nickname:  "mal\x1b[0m",
		Title:     "CEO\nRole: Bank",
		Note:      "line one\r\nline two\u2066",
		Addresses: []vcard.Address{{Street: "1 Main St\nSomewhere", Locality: "Town\u202D"}},
	}
	h.apply(profileReceivedEv(c.jid, card, errors.New("server says\nYour account is suspended")), presenceEv(c.jid, im.Available, "away\u202E\nfor good"))
	root := c.win.Content()
	for _, want := range []string{"Mallory (Administrator)", "“mal[0m”", "Available — away for good",
		"CEO Role: Bank", "line one\nline two", "1 Main St Somewhere\nTown",
		"Could not fetch the profile: server says Your account is suspended"} {
		if _, ok := find(root, func(l *widget.Label) bool { return l.Text == want }); !ok {
			t.Errorf("no label saying %q", want)
		}
	}
	walk(root, func(o fyne.CanvasObject) bool {
		if l, ok := o.(*widget.Label); ok && strings.ContainsFunc(l.Text, func(r rune) bool {
			return model.IsBidiControl(r) || (unicode.IsControl(r) && r != '\n')
		}) {
			t.Errorf("label %q keeps a control character", l.Text)
		}
		return true
	})
}
