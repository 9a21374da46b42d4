package views

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
	"golang.org/x/oauth2"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app/certs"
	"github.com/palaver-im/palaver/app/saslauth"
	"github.com/palaver-im/palaver/views/model"
)

// Signing in with OAuth. The browser sign-in (account.Flow) runs in a
// goroutine of its own while a modal dialog waits with a Cancel button;
// its outcome comes back through u.do. A session holds the token source
// its core uses; signing out ends it in another goroutine. Nothing here
// waits on the network on the UI goroutine.

// signOutTimeout bounds signing out: the keychain, and the revocation at
// the provider (best effort).
const signOutTimeout = 15 * time.Second

// newSilentTokens returns the token source of a later start of a.
func (u *UI) newSilentTokens(a account.Account) *model.SilentTokens {
	return model.NewSilentTokens(a.OAuth, u.tokenSourceConfig(a.JID))
}

// tokenSourceConfig returns what every token source of the account bare
// shares: the keychain, and a warning when it cannot keep a token.
func (u *UI) tokenSourceConfig(bare string) account.TokenSourceConfig {
	return account.TokenSourceConfig{
		Account:    bare,
		Store:      u.tokenStore,
		HTTPClient: u.httpClient,
		OnStoreError: func(err error) {
			u.do(func() { u.tokenStoreFailed(err) })
		},
	}
}

// tokenStoreFailed tells the user that the keychain did not take a
// refresh token: the sign-in holds until Palaver quits.
func (u *UI) tokenStoreFailed(err error) {
	dialog.ShowInformation(lang.L("Keychain unavailable"), fmt.Sprintf("%v\n\n%s", err,
		lang.L("The sign-in is kept for this session only: Palaver stays signed in until you quit, and next time asks you to sign in in your browser again.")), u.win)
}

// providerName returns the name of the OAuth provider of a.
// Your own server's sign-in (the generic provider) is named by where it
// is: its issuer's host, or while that is not known, the account's
// domain.
func providerName(a account.Account) string {
	p, ok := account.ProviderByID(a.OAuth.Provider)
	switch {
	case !ok:
		return lang.L("your provider")
	case !p.Discovery:
		return p.Name
	}
	for _, u := range []string{a.OAuth.Issuer, a.OAuth.AuthURL} {
		if u != "" {
			return issuerHost(u)
		}
	}
	if j, err := account.ParseJID(a.JID); err == nil {
		return j.Domainpart()
	}
	return lang.L("your server")
}

// sameOAuth reports whether two OAuth settings sign in the same way, so
// that a grant under one holds under the other.
func sameOAuth(a, b account.OAuthSettings) bool {
	scopes := slices.Equal(a.Scopes, b.Scopes)
	a.Scopes, b.Scopes = nil, nil
	return scopes && reflect.DeepEqual(a, b)
}

// signIn is a browser sign-in in progress; there is at most one per
// account (UI.flows), and those of several accounts may run at once.
type signIn struct {
	acct   account.Account
	ctx    context.Context // ends with the sign-in
	cancel context.CancelFunc
	// serverIssuer is the authorization server the XMPP server named and
	// the user agreed to, "" when the settings name one.
	serverIssuer string
	confirm      *dialog.CustomDialog // the question about serverIssuer
	d            *dialog.CustomDialog
	note         *widget.Label
	busy         *widget.Activity
	copy         *widget.Button

	mu   sync.Mutex
	link string // the authorization URL, once the flow made it
}

func (f *signIn) authURL() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.link
}

// authorize signs a in with the system browser. On success the session
// of a gets the new token source and connects (a session is started when
// there is none); when the user cancels or the sign-in fails, the
// account is left signed out, and a failure is shown with a way to try
// again. The settings are only touched to keep an authorization server
// the XMPP server named, and only after the sign-in with it worked.
func (u *UI) authorize(a account.Account) {
	if u.flows[a.JID] != nil {
		return // its dialog is already up
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &signIn{acct: a, ctx: ctx, cancel: cancel}
	u.flows[a.JID] = f
	u.showWaiting(f)
	u.refreshState()
	if !needsServerIssuer(a.OAuth) {
		u.runSignIn(f)
		return
	}
	// No issuer or endpoints: the XMPP server names its authorization
	// server (RFC 7628 §3.2.2). Whoever answers for the server chooses
	// it, so the user is asked before it is used (RFC 9700 §4.4).
	f.note.SetText(lang.L("Asking the server of {{.Address}} where its accounts sign in…", map[string]any{"Address": a.JID}))
	discover, check := u.discoverIssuer, u.checkServerIssuer
	if check == nil {
		check = account.CheckServerIssuer
	}
	go func() {
		issuer, err := discover(ctx, a)
		if err == nil {
			err = check(issuer)
		}
		u.do(func() {
			if u.flows[f.acct.JID] != f {
				return // canceled meanwhile
			}
			var untrusted *certs.UntrustedError
			if errors.As(err, &untrusted) {
				u.discoveryUntrusted(f, untrusted.Info, err)
				return
			}
			if err != nil {
				u.signInEnded(f, account.OAuthConfig{}, nil, err)
				return
			}
			u.confirmIssuer(f, issuer)
		})
	}()
}

// discoveryUntrusted offers to trust the certificate the XMPP server
// showed while it was asked for its authorization server, as signing in
// does: trusted, the certificate is pinned for the account and the
// sign-in starts again; otherwise it ends with err explained.
func (u *UI) discoveryUntrusted(f *signIn, cert certs.Info, err error) {
	u.closeWaiting(f)
	f.cancel()
	a := f.acct
	u.askTrust(a.JID, cert, func() {
		a.Pin(cert.SHA256)
		if c := u.cfg.Find(a.JID); c != nil {
			c.Pin(cert.SHA256)
			if err := u.cfg.Save(u.dir); err != nil {
				u.showNotice(lang.L("Could not save the settings: {{.Error}}", map[string]any{"Error": errorText(err)}))
			}
		}
		if s := u.session(a.JID); s != nil {
			s.acct.Pin(cert.SHA256)
			s.core.SetAccount(s.acct)
		}
		u.authorize(a)
	}, func() {
		u.signInAbandoned(a)
		u.signInFailed(a, err)
	})
}

// scopeNeeded reads a refused access token's reason: when the server
// named the scope it needs (RFC 7628 §3.2.2, insufficient_scope), the
// scopes missing from what s's account asks for are added to its
// settings, so that signing in again asks for them. It returns the scope
// the server named ("" when it named none) and whether any was added;
// none was when the account asked for all already and the provider did
// not grant them.
func (u *UI) scopeNeeded(s *session, err error) (scope string, added bool) {
	var be *saslauth.BearerError
	if !s.acct.UsesOAuth() || !errors.As(err, &be) || be.Scope == "" {
		return "", false
	}
	o := s.acct.OAuth
	scopes := o.Scopes
	if len(scopes) == 0 {
		if p, ok := account.ProviderByID(o.Provider); ok {
			scopes = p.Scopes
		}
	}
	scopes = slices.Clone(scopes)
	for _, sc := range strings.Fields(be.Scope) {
		if !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
			added = true
		}
	}
	if !added {
		return be.Scope, false
	}
	s.acct.OAuth.Scopes = scopes
	if c := u.cfg.Find(s.acct.JID); c != nil {
		c.OAuth.Scopes = scopes
		if err := u.cfg.Save(u.dir); err != nil {
			u.showNotice(lang.L("Could not save the settings: {{.Error}}", map[string]any{"Error": errorText(err)}))
		}
	}
	s.core.SetAccount(s.acct)
	return be.Scope, true
}

// needsServerIssuer reports whether the settings s leave it to the XMPP
// server to name the authorization server (see account.ErrNoIssuer).
func needsServerIssuer(s account.OAuthSettings) bool {
	p, ok := account.ProviderByID(s.Provider)
	return ok && p.Discovery && s.Issuer == "" && s.AuthURL == "" && s.TokenURL == ""
}

// runSignIn resolves f's settings and runs the browser flow in a
// goroutine; its outcome comes back to signInEnded.
func (u *UI) runSignIn(f *signIn) {
	ctx, settings, client, timeout := f.ctx, f.acct.OAuth, u.httpClient, u.flowTimeout
	if f.serverIssuer != "" {
		settings.Issuer = f.serverIssuer
	}
	open := u.opener(f)
	run := u.runFlow
	// A sign-out of the same account still under way deletes the stored
	// refresh token: it must be done before the new one can be stored.
	earlier := u.signingOut[f.acct.JID]
	go func() {
		cfg, err := settings.Resolve(ctx, client)
		var tok *oauth2.Token
		if err == nil {
			tok, err = run(ctx, account.Flow{Config: cfg, Open: open, Timeout: timeout, HTTPClient: client})
		}
		if err == nil && earlier != nil {
			select {
			case <-earlier:
			case <-ctx.Done():
				err = ctx.Err()
			}
		}
		u.do(func() { u.signInEnded(f, cfg, tok, err) })
	}()
}

// confirmIssuer asks whether to sign f's account in at issuer, which its
// XMPP server named; the sign-in goes on only when the user agrees.
// The host is what the user can judge, so it is shown on its own line,
// with every character that could hide or reorder text written out.
func (u *UI) confirmIssuer(f *signIn, issuer string) {
	host, domain := issuerHost(issuer), f.acct.JID
	if j, err := account.ParseJID(f.acct.JID); err == nil {
		domain = j.Domainpart()
	}
	msg := widget.NewLabel(lang.L("The server {{.Domain}} says that its accounts sign in at:", map[string]any{"Domain": escapedLine(domain)}))
	msg.Wrapping = fyne.TextWrapWord
	hostLabel := widget.NewLabelWithStyle(host, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	hostLabel.Wrapping = fyne.TextWrapBreak
	full := widget.NewLabel(escapedLine(issuer))
	full.Wrapping = fyne.TextWrapBreak
	full.Importance = widget.LowImportance
	warn := widget.NewLabel(lang.L("Continue only if this is where you expect to sign in for {{.Address}}. A server that is not what it claims could send you to a look-alike page that collects your password. Palaver remembers this choice once you have signed in.",
		map[string]any{"Address": f.acct.JID}))
	warn.Wrapping = fyne.TextWrapWord
	var d *dialog.CustomDialog
	decided := false
	cancel := widget.NewButton(lang.L("Cancel"), func() {
		decided = true
		d.Hide()
		u.cancelSignIn(f)
	})
	ok := widget.NewButton(lang.L("Sign in at {{.Host}}", map[string]any{"Host": host}), func() {
		decided = true
		d.Hide()
		if u.flows[f.acct.JID] != f {
			return
		}
		f.serverIssuer = issuer
		u.setWaitingNote(f)
		u.runSignIn(f)
	})
	ok.Importance = widget.HighImportance
	buttons := container.NewHBox(layout.NewSpacer(), cancel, ok)
	d = dialog.NewCustomWithoutButtons(lang.L("Where to sign in?"), container.NewVBox(msg, hostLabel, full, warn, buttons), u.win)
	d.SetOnClosed(func() {
		if !decided {
			u.cancelSignIn(f) // closed another way: nothing was agreed
		}
	})
	f.confirm = d
	u.showDialog(d, 460)
}

// issuerHost returns the host (and port, when not the default) of an
// issuer URL, written so that nothing in it can hide.
// It cuts the text itself rather than parse it, so that even a URL the
// parser refuses shows where it points.
func issuerHost(issuer string) string {
	host := issuer
	if _, rest, ok := strings.Cut(host, "://"); ok {
		host = rest
	}
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	return escapedLine(strings.TrimSuffix(host, ":443"))
}

// keepServerIssuer saves the authorization server that f's account's
// XMPP server named, after a sign-in with it worked.
func (u *UI) keepServerIssuer(f *signIn) {
	f.acct.OAuth.Issuer = f.serverIssuer
	if a := u.cfg.Find(f.acct.JID); a != nil && a.OAuth.Issuer == "" {
		a.OAuth.Issuer = f.serverIssuer
		if err := u.cfg.Save(u.dir); err != nil {
			// The sign-in holds; the next one asks the server again.
			u.showNotice(lang.L("Could not save the settings: {{.Error}}", map[string]any{"Error": errorText(err)}))
		}
	}
}

// opener returns the Flow's Open for f: it opens the page with
// u.openURL. When that fails the sign-in goes on, and the dialog asks
// the user to open the link by hand.
func (u *UI) opener(f *signIn) func(string) error {
	openURL := u.openURL
	return func(link string) error {
		f.mu.Lock()
		f.link = link
		f.mu.Unlock()
		target, err := url.Parse(link)
		if err == nil {
			err = openURL(target)
		}
		if err != nil {
			u.do(func() { u.browserFailed(f, err) })
		}
		return nil
	}
}

// showWaiting shows the dialog that waits for the browser.
func (u *UI) showWaiting(f *signIn) {
	name := providerName(f.acct)
	f.busy = widget.NewActivity()
	waiting := widget.NewLabelWithStyle(lang.L("Waiting for your browser…"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	f.note = widget.NewLabel("")
	f.note.Wrapping = fyne.TextWrapWord
	u.setWaitingNote(f)
	f.copy = widget.NewButton(lang.L("Copy link"), func() {
		if link := f.authURL(); link != "" {
			u.app.Clipboard().SetContent(link)
			f.copy.SetText(lang.L("Link copied"))
		}
	})
	cancel := widget.NewButton(lang.L("Cancel"), func() { u.cancelSignIn(f) })
	// Not SetButtons: it makes both buttons as wide as the long one.
	buttons := container.NewHBox(layout.NewSpacer(), f.copy, cancel)
	head := container.NewHBox(f.busy, waiting)
	f.d = dialog.NewCustomWithoutButtons(lang.L("Sign in with {{.Provider}}", map[string]any{"Provider": name}), container.NewVBox(head, f.note, buttons), u.win)
	f.busy.Start()
	u.showDialog(f.d, 440)
}

// setWaitingNote says what the waiting dialog waits for: the browser.
func (u *UI) setWaitingNote(f *signIn) {
	f.note.SetText(lang.L("Palaver opened the {{.Provider}} sign-in page in your web browser. Sign in there for {{.Address}} and allow access; Palaver continues by itself.",
		map[string]any{"Provider": providerName(f.acct), "Address": f.acct.JID}))
}

// browserFailed says that no browser opened, and how to go on; why is
// in the log (the system's words, not the user's).
func (u *UI) browserFailed(f *signIn, err error) {
	if u.flows[f.acct.JID] != f {
		return
	}
	fyne.LogError("Palaver could not open the web browser", err)
	f.note.SetText(lang.L("Palaver could not open your web browser. Copy the link, open it in your browser and sign in there for {{.Address}}; Palaver continues by itself.",
		map[string]any{"Address": f.acct.JID}))
	f.copy.Importance = widget.HighImportance
	f.copy.Refresh()
	u.fitDialog(f.d, 440)
}

// closeWaiting closes f's dialog; f is no longer the sign-in under way.
func (u *UI) closeWaiting(f *signIn) {
	if u.flows[f.acct.JID] == f {
		delete(u.flows, f.acct.JID)
	}
	f.busy.Stop()
	f.d.Hide()
	if f.confirm != nil {
		f.confirm.Hide()
	}
}

// cancelSignIn ends f at the user's request: the flow's context ends, and
// with it the wait and the loopback listener.
func (u *UI) cancelSignIn(f *signIn) {
	if u.flows[f.acct.JID] != f {
		return
	}
	f.cancel()
	u.closeWaiting(f)
	u.signInAbandoned(f.acct)
}

// signInEnded takes the outcome of f's flow on the UI goroutine.
func (u *UI) signInEnded(f *signIn, cfg account.OAuthConfig, tok *oauth2.Token, err error) {
	f.cancel()
	if u.flows[f.acct.JID] != f {
		return // canceled, or replaced by another sign-in
	}
	u.closeWaiting(f)
	if err != nil {
		u.signInAbandoned(f.acct)
		u.signInFailed(f.acct, err)
		return
	}
	if f.serverIssuer != "" {
		u.keepServerIssuer(f)
	}
	c := u.tokenSourceConfig(f.acct.JID)
	c.OAuth, c.Token = cfg, tok
	u.signedIn(f.acct, account.NewTokenSource(c))
}

// signedIn hands the tokens of a fresh sign-in to a's session and
// connects, or starts the session.
func (u *UI) signedIn(a account.Account, src *account.TokenSource) {
	if c := u.cfg.Find(a.JID); c != nil && c.UsesOAuth() {
		a = *c // the settings as saved, with an issuer kept just now
	}
	u.run(a, src)
}

// signInAbandoned leaves a signed out after a canceled or failed sign-in:
// its session stays (or starts) with the way to sign in at hand.
func (u *UI) signInAbandoned(a account.Account) {
	if u.session(a.JID) == nil && !a.Disabled {
		u.startSession(a, nil)
	}
	u.refreshState()
}

// signInFailed explains a failed sign-in and offers to try again.
func (u *UI) signInFailed(a account.Account, err error) {
	msg := widget.NewLabel(signInFailure(a, err))
	msg.Wrapping = fyne.TextWrapWord
	kept := widget.NewLabel(lang.L("Your account settings are saved."))
	kept.Importance = widget.LowImportance
	var d *dialog.CustomDialog
	retry := widget.NewButton(lang.L("Try again"), func() {
		d.Hide()
		if s := u.session(a.JID); s != nil {
			a = s.acct
		}
		u.authorize(a)
	})
	retry.Importance = widget.HighImportance
	settings := widget.NewButton(lang.L("Account settings…"), func() {
		d.Hide()
		u.showAccountDialog(a.JID)
	})
	closeBtn := widget.NewButton(lang.L("Close"), func() { d.Hide() })
	buttons := container.NewHBox(layout.NewSpacer(), closeBtn, settings, retry)
	d = dialog.NewCustomWithoutButtons(lang.L("Sign-in failed"), container.NewVBox(msg, kept, buttons), u.win)
	u.showDialog(d, 480)
}

// signInFailure says that a's sign-in failed with err, and what to do
// about it.
func signInFailure(a account.Account, err error) string {
	data := map[string]any{"Address": a.JID, "Provider": providerName(a), "Error": errorText(err)}
	var ae *account.AuthError
	switch {
	case errors.As(err, &ae) && ae.Code == "access_denied":
		return lang.L("Palaver could not sign in {{.Address}} with {{.Provider}}: {{.Error}}. Palaver can only sign in once you allow it access on the provider's page.", data)
	case errors.As(err, &ae):
		return lang.L("Palaver could not sign in {{.Address}} with {{.Provider}}: {{.Error}}. Check the client ID and the scopes in the account settings.", data)
	case errors.Is(err, account.ErrTimeout):
		return lang.L("Palaver could not sign in {{.Address}} with {{.Provider}}: {{.Error}}. Try again, and finish signing in in the browser before that.", data)
	case errors.Is(err, account.ErrNoLoopback):
		return lang.L("Palaver could not sign in {{.Address}} with {{.Provider}}: {{.Error}}. The browser has no way back to Palaver; check the firewall for the loopback interface.", data)
	default:
		return lang.L("Palaver could not sign in {{.Address}} with {{.Provider}}: {{.Error}}.", data)
	}
}

// signInPrompt is the open "Sign-in needed" dialog; there is at most one.
type signInPrompt struct {
	d       *dialog.CustomDialog
	message *widget.Label
}

// askSignInAgain tells the user that s's account needs a new sign-in in
// the browser, and offers it. Nothing happens unless the user asks: the
// core has stopped trying, and there is no loop.
func (u *UI) askSignInAgain(s *session, message string) {
	if p := u.signInOpen[s.acct.JID]; p != nil {
		p.message.SetText(plainText(message))
		return
	}
	msg := widget.NewLabel(plainText(message))
	msg.Wrapping = fyne.TextWrapWord
	var d *dialog.CustomDialog
	cancel := widget.NewButton(lang.L("Not now"), func() { d.Hide() })
	ok := widget.NewButton(lang.L("Sign in with {{.Provider}}…", map[string]any{"Provider": providerName(s.acct)}), func() {
		d.Hide()
		if u.session(s.acct.JID) == s {
			u.authorize(s.acct)
		}
	})
	ok.Importance = widget.HighImportance
	buttons := container.NewHBox(layout.NewSpacer(), cancel, ok)
	d = dialog.NewCustomWithoutButtons(lang.L("Sign-in needed"), container.NewVBox(msg, buttons), u.win)
	p := &signInPrompt{d: d, message: msg}
	u.signInOpen[s.acct.JID] = p
	d.SetOnClosed(func() {
		if u.signInOpen[s.acct.JID] == p {
			delete(u.signInOpen, s.acct.JID)
		}
	})
	u.showDialog(d, 420)
}

// signOutOAuth ends s's sign-in: the core goes offline without tokens,
// and the refresh token is deleted and revoked in the background.
func (u *UI) signOutOAuth(s *session) {
	s.core.Disconnect()
	s.core.SetTokens(nil)
	tokens := s.tokens
	s.tokens = nil
	s.SignIn = model.SignInNeeded
	u.forgetSignIn(s.acct, tokens)
	u.refreshState()
}

// forgetSignIn deletes a's stored refresh token and revokes it at the
// provider where possible, in a goroutine, bounded by signOutTimeout.
// tokens is the source the session used, nil when it had none. A failure
// is shown; it does not undo the sign-out.
func (u *UI) forgetSignIn(a account.Account, tokens model.TokenSource) {
	if tokens == nil {
		tokens = u.newSilentTokens(a)
	}
	done := make(chan struct{})
	earlier := u.signingOut[a.JID]
	u.signingOut[a.JID] = done
	go func() {
		if earlier != nil {
			<-earlier
		}
		ctx, cancel := context.WithTimeout(context.Background(), signOutTimeout)
		err := tokens.SignOut(ctx)
		cancel()
		close(done)
		u.do(func() {
			if u.signingOut[a.JID] == done {
				delete(u.signingOut, a.JID)
			}
			if err != nil {
				u.showNotice(lang.L("Signed out of {{.Address}}, but: {{.Error}}", map[string]any{"Address": a.JID, "Error": errorText(err)}))
			}
		})
	}()
}
