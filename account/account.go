// Package account describes a Palaver account and stores its settings.
//
// Settings live in a JSON file (accounts.json) in the profile directory,
// which defaults to os.UserConfigDir()/palaver.
// Secrets never go into that file: passwords and OAuth refresh tokens are
// kept in the OS keychain (see Keychain), OAuth access tokens in memory.
//
// OAuth 2.0 sign-in (provider presets, the loopback browser flow with
// PKCE, a refreshing token source, revocation) is in the files oauth.go,
// providers.go, discovery.go, loopback.go, tokens.go and revoke.go.
package account

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"mellium.im/xmpp/jid"
)

// FileName is the name of the settings file inside the profile directory.
const FileName = "accounts.json"

// currentVersion is the settings file format written by this version.
const currentVersion = 1

// Account is one XMPP account.
type Account struct {
	// JID is the bare address the user signs in with, e.g. alice@example.org.
	JID string `json:"jid"`
	// Resource is the resource to request; empty lets the server choose.
	Resource string `json:"resource,omitempty"`
	// Host and Port override the server found by DNS SRV lookup.
	Host string `json:"host,omitempty"`
	Port int    `json:"port,omitempty"`
	// DirectTLS makes a Host/Port override speak TLS from the first byte
	// (XEP-0368) instead of STARTTLS.
	DirectTLS bool `json:"direct_tls,omitempty"`
	// RememberPassword keeps the password in the OS keychain.
	RememberPassword bool `json:"remember_password"`
	// PinnedCerts holds SHA-256 fingerprints (hex, lower case) of server
	// certificates the user has chosen to trust for this account.
	PinnedCerts []string `json:"pinned_certs,omitempty"`
	// CAFile names a PEM file with extra certificate authorities to trust.
	CAFile string `json:"ca_file,omitempty"`
	// AllowPlain lets a password account sign in with SASL PLAIN, which
	// hands the password itself to the server (inside TLS), when the
	// server offers nothing better. Off unless the user chooses it.
	AllowPlain bool `json:"allow_plain,omitempty"`
	// SCRAMPinned records that SCRAM signed this account in once: PLAIN is
	// refused from then on, whatever AllowPlain says (XEP-0474 §6).
	SCRAMPinned bool `json:"scram_pinned,omitempty"`
	// ChannelBindingPinned records that SCRAM with channel binding
	// (SCRAM-*-PLUS) signed this account in once: a failure with channel
	// binding is then never retried without it.
	ChannelBindingPinned bool `json:"channel_binding_pinned,omitempty"`
	// Priority is sent with available presence (RFC 6121 §4.7.2.3).
	Priority int8 `json:"priority,omitempty"`
	// Disabled keeps the account in the settings without signing it in:
	// it is not started, and its contacts are not listed.
	Disabled bool `json:"disabled,omitempty"`
	// Auth is how the account proves who it is: AuthPassword (also when
	// empty, as in files written before OAuth) or AuthOAuth.
	Auth string `json:"auth,omitempty"`
	// OAuth says where an AuthOAuth account gets its tokens. It is kept
	// when the account goes back to a password.
	OAuth OAuthSettings `json:"oauth,omitzero"`
	// RoomNotify says, by room JID, when a group chat notifies:
	// RoomNotifyAll or RoomNotifyNone; a room not listed notifies when a
	// message names our nickname (RoomNotifyMentions).
	RoomNotify map[string]string `json:"room_notify,omitempty"`
}

// When a room notifies (Account.RoomNotify).
const (
	RoomNotifyAll      = "all"      // every message
	RoomNotifyMentions = "mentions" // a message that names our nickname
	RoomNotifyNone     = "none"     // never
)

// UsesOAuth reports whether the account signs in with OAuth.
func (a Account) UsesOAuth() bool { return a.Auth == AuthOAuth }

// Address parses the account's JID and checks that it is a bare user address.
func (a Account) Address() (jid.JID, error) {
	return ParseJID(a.JID)
}

// ParseJID parses s as a bare user address (local@domain) and says clearly
// what is wrong with it when it is not one.
func ParseJID(s string) (jid.JID, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return jid.JID{}, &SettingsError{Problem: ProblemNoAddress, msg: "the address is empty"}
	}
	j, err := jid.Parse(s)
	if err != nil {
		return jid.JID{}, &SettingsError{Problem: ProblemBadAddress, Value: s, msg: fmt.Sprintf("%q is not a valid address: %v", s, err), err: err}
	}
	if j.Localpart() == "" {
		return jid.JID{}, &SettingsError{Problem: ProblemNoUserName, Value: s, Domain: j.Domainpart(),
			msg: fmt.Sprintf("%q has no user name: write it as name@%s", s, j.Domainpart())}
	}
	// jid.Parse accepts empty DNS labels ("a@.b", "a@b..c", and "a@.." as
	// "a@." since it drops one trailing dot), which no server can have.
	if d := j.Domainpart(); !strings.HasPrefix(d, "[") &&
		(strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") || strings.Contains(d, "..")) {
		return jid.JID{}, &SettingsError{Problem: ProblemEmptyDomainPart, Value: s, Domain: d,
			msg: fmt.Sprintf("%q is not a valid address: the domain %q has an empty part", s, d)}
	}
	return j.Bare(), nil
}

// ServerAddr returns the host:port override, or "" when DNS decides.
func (a Account) ServerAddr() string {
	if a.Host == "" {
		return ""
	}
	port := a.Port
	if port == 0 {
		port = 5222
		if a.DirectTLS {
			port = 5223
		}
	}
	return netJoin(a.Host, port)
}

func netJoin(host string, port int) string {
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(port)
}

// Validate reports the first problem with the account's settings.
func (a Account) Validate() error {
	if _, err := a.Address(); err != nil {
		return err
	}
	if a.Port < 0 || a.Port > 65535 {
		return &SettingsError{Problem: ProblemPortRange, Value: strconv.Itoa(a.Port), msg: fmt.Sprintf("port %d is out of range (1-65535)", a.Port)}
	}
	if a.Port != 0 && a.Host == "" {
		return &SettingsError{Problem: ProblemPortWithoutHost, msg: "a port needs a host"}
	}
	switch a.Auth {
	case "", AuthPassword:
	case AuthOAuth:
		return a.OAuth.Validate()
	default:
		return &SettingsError{Problem: ProblemUnknownAuth, Value: a.Auth, msg: fmt.Sprintf("unknown sign-in method %q (want %q or %q)", a.Auth, AuthPassword, AuthOAuth)}
	}
	return nil
}

// IsPinned reports whether the certificate fingerprint fp is trusted for a.
func (a Account) IsPinned(fp string) bool {
	for _, p := range a.PinnedCerts {
		if strings.EqualFold(p, fp) {
			return true
		}
	}
	return false
}

// Pin adds fp to the trusted certificate fingerprints.
func (a *Account) Pin(fp string) {
	if !a.IsPinned(fp) {
		a.PinnedCerts = append(a.PinnedCerts, strings.ToLower(fp))
	}
}

// Config is the content of the settings file.
type Config struct {
	Version  int       `json:"version"`
	Accounts []Account `json:"accounts"`
	// Merged lists the contacts the user merged into one (metacontacts, as
	// in Pidgin): the same person on several accounts, listed once.
	Merged []Metacontact `json:"merged,omitempty"`
}

// Metacontact is one person's contacts on several accounts.
type Metacontact struct {
	Members []ContactRef `json:"members"`
}

// ContactRef names a contact of an account: both bare JIDs.
type ContactRef struct {
	Account string `json:"account"`
	JID     string `json:"jid"`
}

// Merge makes the contacts a and b one metacontact, joining the
// metacontacts they are in already.
func (c *Config) Merge(a, b ContactRef) {
	ia, ib := c.mergedIndex(a), c.mergedIndex(b)
	switch {
	case ia >= 0 && ia == ib:
	case ia >= 0 && ib >= 0:
		c.Merged[ia].Members = append(c.Merged[ia].Members, c.Merged[ib].Members...)
		c.Merged = slices.Delete(c.Merged, ib, ib+1)
	case ia >= 0:
		c.Merged[ia].Members = append(c.Merged[ia].Members, b)
	case ib >= 0:
		c.Merged[ib].Members = append(c.Merged[ib].Members, a)
	default:
		c.Merged = append(c.Merged, Metacontact{Members: []ContactRef{a, b}})
	}
}

// Separate takes r out of its metacontact; one left alone is no longer
// merged.
func (c *Config) Separate(r ContactRef) {
	i := c.mergedIndex(r)
	if i < 0 {
		return
	}
	m := &c.Merged[i]
	m.Members = slices.DeleteFunc(m.Members, func(x ContactRef) bool { return sameRef(x, r) })
	if len(m.Members) < 2 {
		c.Merged = slices.Delete(c.Merged, i, i+1)
	}
}

// forgetAccount drops the account bare from every metacontact.
func (c *Config) forgetAccount(bare string) {
	for i := len(c.Merged) - 1; i >= 0; i-- {
		m := &c.Merged[i]
		m.Members = slices.DeleteFunc(m.Members, func(x ContactRef) bool { return strings.EqualFold(x.Account, bare) })
		if len(m.Members) < 2 {
			c.Merged = slices.Delete(c.Merged, i, i+1)
		}
	}
}

func (c *Config) mergedIndex(r ContactRef) int {
	for i, m := range c.Merged {
		if slices.ContainsFunc(m.Members, func(x ContactRef) bool { return sameRef(x, r) }) {
			return i
		}
	}
	return -1
}

func sameRef(a, b ContactRef) bool {
	return strings.EqualFold(a.Account, b.Account) && strings.EqualFold(a.JID, b.JID)
}

// DefaultDir returns the default profile directory, os.UserConfigDir()/palaver.
func DefaultDir() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot find the user config directory: %w", err)
	}
	return filepath.Join(d, "palaver"), nil
}

// DataDir returns the folder of an account's local data (message history,
// picture cache) inside the profile directory dir: dir/data/<bare JID>,
// with every byte that is not a letter, digit, '@', '.', '_' or '-'
// written as %XX so that any JID makes a valid, distinct file name on
// every system.
func DataDir(dir, bare string) string {
	var b strings.Builder
	for i := 0; i < len(bare); i++ {
		c := bare[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '@', c == '.' && i > 0, c == '_', c == '-':
			b.WriteByte(c)
		default:
			// Upper case too: Windows and macOS file names ignore case.
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return filepath.Join(dir, "data", b.String())
}

// Load reads the settings from dir.
// A missing file gives an empty Config and no error.
func Load(dir string) (*Config, error) {
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if errors.Is(err, os.ErrNotExist) {
		return &Config{Version: currentVersion}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading settings: %w", err)
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("settings file %s is damaged: %w", filepath.Join(dir, FileName), err)
	}
	if c.Version > currentVersion {
		return nil, fmt.Errorf("settings file %s was written by a newer Palaver (format %d)", filepath.Join(dir, FileName), c.Version)
	}
	c.Version = currentVersion
	return &c, nil
}

// Save writes the settings to dir atomically, readable by the user only.
func (c *Config) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating profile directory: %w", err)
	}
	c.Version = currentVersion
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, FileName+".*")
	if err != nil {
		return fmt.Errorf("saving settings: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("saving settings: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("saving settings: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving settings: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, FileName)); err != nil {
		return fmt.Errorf("saving settings: %w", err)
	}
	return nil
}

// Find returns the account with the given bare JID, or nil.
func (c *Config) Find(bare string) *Account {
	for i := range c.Accounts {
		if strings.EqualFold(c.Accounts[i].JID, bare) {
			return &c.Accounts[i]
		}
	}
	return nil
}

// Put adds a or replaces the account with the same JID.
func (c *Config) Put(a Account) {
	if old := c.Find(a.JID); old != nil {
		*old = a
		return
	}
	c.Accounts = append(c.Accounts, a)
}

// Move puts the account with the given bare JID at index to (clamped to
// the list), keeping the order of the others. It reports whether the
// account is known.
func (c *Config) Move(bare string, to int) bool {
	from := -1
	for i := range c.Accounts {
		if strings.EqualFold(c.Accounts[i].JID, bare) {
			from = i
			break
		}
	}
	if from < 0 {
		return false
	}
	to = max(0, min(to, len(c.Accounts)-1))
	a := c.Accounts[from]
	c.Accounts = slices.Delete(c.Accounts, from, from+1)
	c.Accounts = slices.Insert(c.Accounts, to, a)
	return true
}

// Enabled returns the accounts that are not disabled, in order.
func (c *Config) Enabled() []Account {
	var out []Account
	for _, a := range c.Accounts {
		if !a.Disabled {
			out = append(out, a)
		}
	}
	return out
}

// RemoveData deletes what Palaver keeps on this computer for the account
// bare in the profile directory dir: its message archive and its pictures
// (the folder DataDir names). The account's settings are not touched.
func RemoveData(dir, bare string) error {
	d := DataDir(dir, bare)
	if filepath.Dir(d) != filepath.Join(dir, "data") {
		// DataDir escapes every separator; this guards that promise.
		return fmt.Errorf("refusing to delete %s: not an account folder", d)
	}
	if err := os.RemoveAll(d); err != nil {
		return fmt.Errorf("deleting the local data of %s: %w", bare, err)
	}
	return nil
}

// Remove deletes the account with the given bare JID, and its contacts
// from the metacontacts.
func (c *Config) Remove(bare string) {
	c.forgetAccount(bare)
	out := c.Accounts[:0]
	for _, a := range c.Accounts {
		if !strings.EqualFold(a.JID, bare) {
			out = append(out, a)
		}
	}
	c.Accounts = out
}
