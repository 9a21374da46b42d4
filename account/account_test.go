package account_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/palaver-im/palaver/account"
)

func TestParseJID(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // the bare JID, when there is no error
		wantErr  string // a part of the error message
	}{
		{name: "empty", in: "", wantErr: "the address is empty"},
		{name: "blank", in: " \t ", wantErr: "the address is empty"},
		{name: "no at sign", in: "no-at-sign.example", wantErr: `"no-at-sign.example" has no user name: write it as name@no-at-sign.example`},
		{name: "domain and resource", in: "example.org/res", wantErr: "has no user name: write it as name@example.org"},
		{name: "bare", in: "a@b", want: "a@b"},
		{name: "full gives bare", in: "a@b/res", want: "a@b"},
		{name: "resource with spaces", in: "alice@example.org/my phone", want: "alice@example.org"},
		{name: "surrounding space", in: "  alice@example.org\n", want: "alice@example.org"},
		{name: "case folded", in: "Alice@Example.ORG", want: "alice@example.org"},
		{name: "unicode", in: "Ünïcödé@Exämple.org", want: "ünïcödé@exämple.org"},
		{name: "trailing dot", in: "a@example.org.", want: "a@example.org"},
		{name: "IPv4 domain", in: "a@127.0.0.1", want: "a@127.0.0.1"},
		{name: "IPv6 domain", in: "a@[::1]", want: "a@[::1]"},
		{name: "empty localpart", in: "@example.org", wantErr: `"@example.org" is not a valid address`},
		{name: "empty domain", in: "alice@", wantErr: "is not a valid address"},
		{name: "domain of dots", in: "alice@..", wantErr: `"alice@.." is not a valid address`}, // found by FuzzParseJID
		{name: "three dots", in: "alice@...", wantErr: `the domain ".." has an empty part`},
		{name: "empty label", in: "alice@example..org", wantErr: `the domain "example..org" has an empty part`},
		{name: "leading dot", in: "alice@.example.org", wantErr: "has an empty part"},
		{name: "two trailing dots", in: "alice@example.org..", wantErr: "has an empty part"},
		{name: "empty resource", in: "alice@example.org/", wantErr: "is not a valid address"},
		{name: "two at signs", in: "a@b@c", wantErr: "is not a valid address"},
		{name: "space in localpart", in: "a b@c", wantErr: "is not a valid address"},
		{name: "space in domain", in: "a@b c", wantErr: "is not a valid address"},
		{name: "bad label", in: "user@-bad-.example", wantErr: "is not a valid address"},
		{name: "invalid UTF-8", in: "\xff\xfe@example.org", wantErr: "is not a valid address"},
		{name: "NUL", in: "a\x00@b", wantErr: "is not a valid address"},
		{name: "garbage", in: "<>\"'&", wantErr: "is not a valid address"},
		{name: "localpart too long", in: strings.Repeat("a", 1024) + "@b", wantErr: "is not a valid address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := account.ParseJID(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseJID(%q) = %q, want an error containing %q", tt.in, j, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ParseJID(%q) error %q, want it to contain %q", tt.in, err, tt.wantErr)
				}
				if j.String() != "" {
					t.Errorf("ParseJID(%q) returned %q with its error, want the zero JID", tt.in, j)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseJID(%q): %v", tt.in, err)
			}
			if j.String() != tt.want {
				t.Errorf("ParseJID(%q) = %q, want %q", tt.in, j, tt.want)
			}
			if j.Resourcepart() != "" {
				t.Errorf("ParseJID(%q) kept the resource %q", tt.in, j.Resourcepart())
			}
		})
	}
}

func TestAccountAddress(t *testing.T) {
	j, err := account.Account{JID: "Alice@Example.org/phone"}.Address()
	if err != nil || j.String() != "alice@example.org" {
		t.Errorf("Address() = %q, %v; want alice@example.org", j, err)
	}
	if _, err := (account.Account{}).Address(); err == nil {
		t.Error("Address() of an empty JID: no error")
	}
}

// FuzzParseJID checks that ParseJID never panics, and that what it accepts
// is a bare user address that parses to itself again.
func FuzzParseJID(f *testing.F) {
	for _, s := range []string{
		"", "a@b", "a@b/res", "no-at-sign.example", "@b", "a@", "a@b/",
		"\xff@b", "a@[::1]", "Ünïcödé@Exämple.org.", " a@b ", "a@b@c", "a@b/c/d@e",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		j, err := account.ParseJID(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParseJID(%q): empty error message", s)
			}
			return
		}
		if j.Localpart() == "" || j.Domainpart() == "" || j.Resourcepart() != "" {
			t.Fatalf("ParseJID(%q) = %q: want a bare user address", s, j)
		}
		if !utf8.ValidString(j.String()) {
			t.Fatalf("ParseJID(%q) = %q: invalid UTF-8", s, j)
		}
		again, err := account.ParseJID(j.String())
		if err != nil {
			t.Fatalf("ParseJID(%q) = %q, which does not parse again: %v", s, j, err)
		}
		if !again.Equal(j) {
			t.Fatalf("ParseJID(%q) = %q, which parses to %q", s, j, again)
		}
	})
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		a       account.Account
		wantErr string // a part of the error message, "" for valid
	}{
		{name: "minimal", a: account.Account{JID: "alice@example.org"}},
		{name: "host only", a: account.Account{JID: "alice@example.org", Host: "xmpp.example.org"}},
		{name: "host and port", a: account.Account{JID: "alice@example.org", Host: "127.0.0.1", Port: 5222}},
		{name: "highest port", a: account.Account{JID: "alice@example.org", Host: "::1", Port: 65535}},
		{name: "full JID", a: account.Account{JID: "alice@example.org/res"}},
		{name: "empty JID", a: account.Account{}, wantErr: "the address is empty"},
		{name: "no user name", a: account.Account{JID: "example.org"}, wantErr: "has no user name"},
		{name: "invalid JID", a: account.Account{JID: "a b@c"}, wantErr: "is not a valid address"},
		{name: "negative port", a: account.Account{JID: "alice@example.org", Host: "h", Port: -1}, wantErr: "port -1 is out of range"},
		{name: "port too big", a: account.Account{JID: "alice@example.org", Host: "h", Port: 65536}, wantErr: "port 65536 is out of range"},
		{name: "port without host", a: account.Account{JID: "alice@example.org", Port: 5222}, wantErr: "a port needs a host"},
		{name: "JID checked first", a: account.Account{JID: "x", Port: -5}, wantErr: "has no user name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.a.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("Validate() = nil, want an error containing %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("Validate() = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestServerAddr(t *testing.T) {
	tests := []struct {
		name string
		a    account.Account
		want string
	}{
		{"DNS decides", account.Account{JID: "a@b"}, ""},
		{"DNS decides, port ignored", account.Account{Port: 5223}, ""},
		{"default STARTTLS port", account.Account{Host: "xmpp.example.org"}, "xmpp.example.org:5222"},
		{"default direct TLS port", account.Account{Host: "xmpp.example.org", DirectTLS: true}, "xmpp.example.org:5223"},
		{"explicit port", account.Account{Host: "xmpp.example.org", Port: 443, DirectTLS: true}, "xmpp.example.org:443"},
		{"IPv4", account.Account{Host: "127.0.0.1", Port: 15222}, "127.0.0.1:15222"},
		{"IPv6", account.Account{Host: "::1", Port: 15222}, "[::1]:15222"},
		{"IPv6 in brackets", account.Account{Host: "[::1]"}, "[::1]:5222"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.ServerAddr(); got != tt.want {
				t.Errorf("ServerAddr() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPin(t *testing.T) {
	const fp = "AB12CD34ef"
	var a account.Account
	if a.IsPinned(fp) {
		t.Fatal("IsPinned on an account without pins")
	}
	a.Pin(fp)
	if !reflect.DeepEqual(a.PinnedCerts, []string{"ab12cd34ef"}) {
		t.Errorf("PinnedCerts = %q, want the fingerprint in lower case", a.PinnedCerts)
	}
	a.Pin("ab12cd34EF") // the same in another case: no duplicate
	if len(a.PinnedCerts) != 1 {
		t.Errorf("PinnedCerts = %q after pinning the same fingerprint twice", a.PinnedCerts)
	}
	a.Pin("0011")
	tests := []struct {
		fp   string
		want bool
	}{
		{"ab12cd34ef", true},
		{"AB12CD34EF", true},
		{"0011", true},
		{"ab12cd34", false},
		{"", false},
		{"ffff", false},
	}
	for _, tt := range tests {
		if got := a.IsPinned(tt.fp); got != tt.want {
			t.Errorf("IsPinned(%q) = %v, want %v (pins %q)", tt.fp, got, tt.want, a.PinnedCerts)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	for _, dir := range []string{t.TempDir(), filepath.Join(t.TempDir(), "does", "not", "exist")} {
		c, err := account.Load(dir)
		if err != nil {
			t.Fatalf("Load(%s): %v", dir, err)
		}
		if c.Version != 1 || len(c.Accounts) != 0 {
			t.Errorf("Load(%s) = %+v, want an empty version 1 config", dir, c)
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "profile") // Save creates it
	want := &account.Config{Accounts: []account.Account{
		{
			JID:              "alice@example.org",
			Resource:         "desktop",
			Host:             "::1",
			Port:             5223,
			DirectTLS:        true,
			RememberPassword: true,
			PinnedCerts:      []string{"00ff", "abcd"},
			CAFile:           "/etc/ssl/my ca.pem",
			Priority:         -5,
		},
		{JID: "bob@example.net"},
	}}
	if err := want.Save(dir); err != nil {
		t.Fatal(err)
	}
	if want.Version != 1 {
		t.Errorf("Save set Version %d, want 1", want.Version)
	}
	got, err := account.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load after Save:\n got %+v\nwant %+v", got, want)
	}

	// Saving again replaces the file and leaves no temporary file behind.
	got.Remove("bob@example.net")
	if err := got.Save(dir); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != account.FileName {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("profile directory holds %q, want only %s", names, account.FileName)
	}
	again, err := account.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Accounts) != 1 || again.Accounts[0].JID != "alice@example.org" {
		t.Errorf("after the second Save: %+v", again.Accounts)
	}
}

func TestSaveFileModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix file modes")
	}
	dir := filepath.Join(t.TempDir(), "profile")
	c := &account.Config{Accounts: []account.Account{{JID: "alice@example.org"}}}
	if err := c.Save(dir); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path string
		want os.FileMode
	}{
		{dir, 0o700},
		{filepath.Join(dir, account.FileName), 0o600},
	} {
		fi, err := os.Stat(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != tt.want {
			t.Errorf("%s has mode %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestSaveErrors(t *testing.T) {
	// The profile "directory" is a file.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := (&account.Config{}).Save(file); err == nil {
		t.Error("Save into a file: no error")
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []string // parts of the error message
	}{
		{"damaged", `{"version": 1, "accounts": [`, []string{"is damaged"}},
		{"not JSON", "\x00\x01garbage", []string{"is damaged"}},
		{"wrong type", `{"version": "one"}`, []string{"is damaged"}},
		{"newer version", `{"version": 2, "accounts": []}`, []string{"newer Palaver", "format 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, account.FileName)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := account.Load(dir)
			if err == nil {
				t.Fatalf("Load = %+v, want an error", c)
			}
			for _, want := range append(tt.want, path) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}

	t.Run("unreadable", func(t *testing.T) {
		dir := t.TempDir()
		// A directory where the file should be cannot be read as one.
		if err := os.Mkdir(filepath.Join(dir, account.FileName), 0o700); err != nil {
			t.Fatal(err)
		}
		if _, err := account.Load(dir); err == nil || errors.Is(err, os.ErrNotExist) {
			t.Errorf("Load = %v, want a read error", err)
		}
	})
}

func TestLoadOlderVersion(t *testing.T) {
	dir := t.TempDir()
	// A file without a version (format 0) is read and upgraded.
	content := `{"accounts": [{"jid": "alice@example.org", "remember_password": true}]}`
	if err := os.WriteFile(filepath.Join(dir, account.FileName), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := account.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != 1 || len(c.Accounts) != 1 || !c.Accounts[0].RememberPassword {
		t.Errorf("Load = %+v", c)
	}
}

func TestFindPutRemove(t *testing.T) {
	var c account.Config
	if c.Find("alice@example.org") != nil {
		t.Fatal("Find in an empty config")
	}
	c.Put(account.Account{JID: "alice@example.org"})
	c.Put(account.Account{JID: "bob@example.org"})
	c.Put(account.Account{JID: "Alice@Example.org", Resource: "laptop"}) // replaces alice

	if len(c.Accounts) != 2 {
		t.Fatalf("Accounts = %+v, want 2", c.Accounts)
	}
	a := c.Find("ALICE@example.org")
	if a == nil || a.Resource != "laptop" {
		t.Fatalf("Find(alice) = %+v", a)
	}
	a.Priority = 7 // Find returns a pointer into the config
	if c.Accounts[0].Priority != 7 {
		t.Error("changing the account Find returned did not change the config")
	}

	c.Remove("nobody@example.org")
	c.Remove("BOB@example.org")
	if len(c.Accounts) != 1 || c.Find("bob@example.org") != nil {
		t.Errorf("after Remove(bob): %+v", c.Accounts)
	}
	c.Remove("alice@example.org")
	if len(c.Accounts) != 0 {
		t.Errorf("after Remove(alice): %+v", c.Accounts)
	}
}

func TestDefaultDir(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("XDG_CONFIG_HOME is Linux's")
	}
	base := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", base)
	got, err := account.DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(base, "palaver"); got != want {
		t.Errorf("DefaultDir() = %q, want %q", got, want)
	}
}

func TestDataDir(t *testing.T) {
	for i, tc := range []struct{ jid, want string }{
		0: {"alice@example.org", "alice@example.org"},
		1: {"Alice@example.org", "%41lice@example.org"},
		2: {"a/b\\c:d@x", "a%2Fb%5Cc%3Ad@x"},
		3: {"..@x", "%2E.@x"},
		4: {"é@x", "%C3%A9@x"},
	} {
		got := account.DataDir("/p", tc.jid)
		want := filepath.Join("/p", "data", tc.want)
		if got != want {
			t.Errorf("%d: DataDir(%q) = %q, want %q", i, tc.jid, got, want)
		}
	}
	if account.DataDir("/p", "A@x") == account.DataDir("/p", "a@x") {
		t.Error("JIDs that differ in case share a folder")
	}
}

func TestConfigMove(t *testing.T) {
	cases := []struct {
		move string
		to   int
		want string
		ok   bool
	}{
		0: {"c@x", 0, "c@x a@x b@x", true},
		1: {"A@X", 2, "b@x c@x a@x", true},
		2: {"b@x", 9, "a@x c@x b@x", true},
		3: {"b@x", -1, "b@x a@x c@x", true},
		4: {"d@x", 0, "a@x b@x c@x", false},
	}
	for i, c := range cases {
		cfg := &account.Config{Accounts: []account.Account{{JID: "a@x"}, {JID: "b@x"}, {JID: "c@x"}}}
		ok := cfg.Move(c.move, c.to)
		var got []string
		for _, a := range cfg.Accounts {
			got = append(got, a.JID)
		}
		if ok != c.ok || strings.Join(got, " ") != c.want {
			t.Errorf("%d: Move(%q, %d) = %v, %v; want %s, %v", i, c.move, c.to, got, ok, c.want, c.ok)
		}
	}
}

func TestConfigEnabledAndSaved(t *testing.T) {
	dir := t.TempDir()
	cfg := &account.Config{Accounts: []account.Account{{JID: "a@x"}, {JID: "b@x", Disabled: true}, {JID: "c@x"}}}
	if err := cfg.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := account.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range back.Enabled() {
		got = append(got, a.JID)
	}
	if strings.Join(got, " ") != "a@x c@x" {
		t.Errorf("Enabled after Save and Load = %v, want a@x c@x", got)
	}
}

func TestRemoveData(t *testing.T) {
	dir := t.TempDir()
	mine, other := account.DataDir(dir, "a@x"), account.DataDir(dir, "b@x")
	for _, d := range []string{mine, other} {
		if err := os.MkdirAll(filepath.Join(d, "avatars"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "history.db"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := account.RemoveData(dir, "a@x"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(mine); !os.IsNotExist(err) {
		t.Errorf("a@x's folder is still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(other, "history.db")); err != nil {
		t.Errorf("b@x's archive went too: %v", err)
	}
	if err := account.RemoveData(dir, "../../etc"); err != nil {
		t.Errorf("RemoveData of an odd name: %v (it only names a folder under data)", err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("the profile folder went: %v", err)
	}
}

func TestConfigMergeAndSeparate(t *testing.T) {
	ref := func(a, j string) account.ContactRef { return account.ContactRef{Account: a, JID: j} }
	show := func(c *account.Config) string {
		var parts []string
		for _, m := range c.Merged {
			var ms []string
			for _, r := range m.Members {
				ms = append(ms, r.JID+"/"+r.Account)
			}
			parts = append(parts, strings.Join(ms, "+"))
		}
		return strings.Join(parts, " ")
	}
	c := &account.Config{Accounts: []account.Account{{JID: "w@x"}, {JID: "h@x"}, {JID: "o@x"}}}
	c.Merge(ref("w@x", "ann@a"), ref("h@x", "ann@b"))
	c.Merge(ref("h@x", "ANN@b"), ref("o@x", "ann@c")) // joins the same metacontact
	c.Merge(ref("w@x", "bob@a"), ref("h@x", "bob@b"))
	if got := show(c); got != "ann@a/w@x+ann@b/h@x+ann@c/o@x bob@a/w@x+bob@b/h@x" {
		t.Fatalf("merged %q", got)
	}
	c.Merge(ref("w@x", "ann@a"), ref("w@x", "bob@a")) // two metacontacts become one
	if got := show(c); got != "ann@a/w@x+ann@b/h@x+ann@c/o@x+bob@a/w@x+bob@b/h@x" {
		t.Fatalf("joined %q", got)
	}
	c.Separate(ref("w@x", "bob@a"))
	c.Separate(ref("h@x", "bob@b"))
	if got := show(c); got != "ann@a/w@x+ann@b/h@x+ann@c/o@x" {
		t.Fatalf("after separating Bob: %q", got)
	}
	c.Remove("o@x")
	c.Remove("h@x")
	if got := show(c); got != "" {
		t.Fatalf("a metacontact of one account's contact is kept: %q", got)
	}
}
