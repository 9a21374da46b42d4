package views

import (
	"context"
	"errors"
	"net"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/views/model"
)

// passwordMethod is the sign-in choice of a password account.
func passwordMethod() string { return lang.L("Password") }

// mechanismAuto is the SASL mechanism choice that keeps the preset's.
func mechanismAuto() string { return lang.L("Automatic (OAUTHBEARER)") }

// accountForm is the account dialog's content. The first row chooses how
// to sign in: with a password, or with one of the OAuth providers; the
// rows below are those the choice needs.
type accountForm struct {
	method                    *widget.Select
	jid, password, host, port *widget.Entry
	// caFile names a file of CA certificates to trust for the server
	// besides the system's (a private CA).
	caFile              *widget.Entry
	remember, directTLS *widget.Check
	// allowPlain is the explicit choice to let a server without SCRAM
	// have the password itself (SASL PLAIN); plainAbout explains it.
	allowPlain *widget.Check
	plainAbout *widget.Label
	// The OAuth rows; issuer, endpoints and scopes only for a provider
	// without preset endpoints.
	clientID, clientSecret           *widget.Entry
	issuer, authURL, tokenURL, scope *widget.Entry
	// mechanism chooses the SASL mechanism of your own server's sign-in
	// (advanced): mechanismAuto means the preset's, OAUTHBEARER.
	mechanism *widget.Select
	about     *widget.Label
	errLabel  *widget.Label
	form      *widget.Form
	box       *fyne.Container

	// provider is the chosen provider's ID, "" for a password.
	provider string
	// typed keeps the client ID and secret per provider, so that looking
	// at another provider loses nothing.
	typed map[string][2]string
	// filledHost and filledPort are the server a preset filled in; the
	// next choice replaces them, but not a server the user typed.
	filledHost, filledPort string
	// onLayout runs after the rows changed.
	onLayout func()
}

func newAccountForm(a account.Account, known bool) *accountForm {
	f := &accountForm{
		jid:          widget.NewEntry(),
		password:     widget.NewPasswordEntry(),
		host:         widget.NewEntry(),
		port:         widget.NewEntry(),
		caFile:       widget.NewEntry(),
		remember:     widget.NewCheck(lang.L("Remember password"), nil),
		directTLS:    widget.NewCheck(lang.L("Direct TLS (XEP-0368)"), nil),
		allowPlain:   widget.NewCheck(lang.L("Allow PLAIN"), nil),
		plainAbout:   widget.NewLabel(plainAllowExplained()),
		clientID:     widget.NewEntry(),
		clientSecret: widget.NewEntry(),
		issuer:       widget.NewEntry(),
		authURL:      widget.NewEntry(),
		tokenURL:     widget.NewEntry(),
		scope:        widget.NewEntry(),
		mechanism:    widget.NewSelect(append([]string{mechanismAuto()}, account.Mechanisms()...), nil),
		about:        widget.NewLabel(""),
		errLabel:     widget.NewLabel(""),
		typed:        make(map[string][2]string),
	}
	f.jid.SetPlaceHolder("name@example.org")
	f.jid.SetText(a.JID)
	f.jid.Validator = func(s string) error {
		_, err := account.ParseJID(f.address(s))
		return wordedError(err)
	}
	if known && !a.UsesOAuth() {
		f.password.SetPlaceHolder(lang.L("unchanged"))
	}
	f.remember.Checked = a.RememberPassword || !known || a.UsesOAuth()
	f.host.SetPlaceHolder(lang.L("optional"))
	f.host.SetText(a.Host)
	f.port.SetPlaceHolder(lang.L("optional"))
	if a.Port != 0 {
		f.port.SetText(strconv.Itoa(a.Port))
	}
	f.port.Validator = func(s string) error {
		_, err := parsePort(s)
		return err
	}
	f.directTLS.Checked = a.DirectTLS
	f.caFile.SetPlaceHolder(lang.L("optional: a private CA (PEM file)"))
	f.caFile.SetText(a.CAFile)
	f.allowPlain.Checked = a.AllowPlain
	f.plainAbout.Wrapping = fyne.TextWrapWord
	f.plainAbout.Importance = widget.MediumImportance
	f.plainAbout.Hidden = !a.AllowPlain
	f.allowPlain.OnChanged = func(on bool) {
		// The explanation shows while the box is ticked.
		f.plainAbout.Hidden = !on
		f.layout()
	}
	if a.SCRAMPinned {
		// SCRAM worked for this account: PLAIN is refused whatever the
		// box says, and the explanation says so.
		f.allowPlain.Disable()
		f.plainAbout.SetText(lang.L("PLAIN is refused for this account: SCRAM has signed it in before, so a server that now offers only PLAIN may be an attacker."))
		f.plainAbout.Hidden = false
	}

	// OAuth settings are kept while an account uses a password: going
	// back to the provider finds them again.
	o := a.OAuth
	if o.Provider != "" {
		f.typed[o.Provider] = [2]string{o.ClientID, o.ClientSecret}
	}
	f.mechanism.Selected = mechanismAuto()
	if o.Provider == account.ProviderGeneric {
		if o.Mechanism != "" {
			f.mechanism.Selected = o.Mechanism
		}
		f.issuer.SetText(o.Issuer)
		f.authURL.SetText(o.AuthURL)
		f.tokenURL.SetText(o.TokenURL)
		f.scope.SetText(strings.Join(o.Scopes, " "))
	}
	f.issuer.SetPlaceHolder("https://auth.example.org")
	f.authURL.SetPlaceHolder(lang.L("optional with an issuer"))
	f.tokenURL.SetPlaceHolder(lang.L("optional with an issuer"))
	f.about.Wrapping = fyne.TextWrapWord
	f.about.Selectable = true // the redirect URI, to copy
	f.errLabel.Importance = widget.DangerImportance
	f.errLabel.Wrapping = fyne.TextWrapWord
	f.errLabel.Hide()

	options := []string{passwordMethod()}
	for _, p := range account.Providers() {
		options = append(options, p.Name)
	}
	f.method = widget.NewSelect(options, nil)
	if a.UsesOAuth() {
		if p, ok := account.ProviderByID(o.Provider); ok {
			f.provider = p.ID
			f.method.Selected = p.Name
		}
	}
	if f.provider == "" {
		f.method.Selected = passwordMethod()
	}
	f.loadTyped()
	f.box = container.NewVBox(widget.NewForm(), f.about, f.errLabel)
	f.layout()
	f.method.OnChanged = f.choose
	return f
}

// chosen returns the chosen provider; ok is false for a password.
func (f *accountForm) chosen() (p account.Provider, ok bool) {
	if f.provider == "" {
		return account.Provider{}, false
	}
	return account.ProviderByID(f.provider)
}

// choose switches to the sign-in method named label.
func (f *accountForm) choose(label string) {
	f.saveTyped()
	f.provider = ""
	for _, p := range account.Providers() {
		if p.Name == label {
			f.provider = p.ID
		}
	}
	f.loadTyped()
	p, _ := f.chosen()
	f.applyPreset(p)
	f.errLabel.Hide()
	f.layout()
	if f.onLayout != nil {
		f.onLayout()
	}
}

func (f *accountForm) saveTyped() {
	if f.provider != "" {
		f.typed[f.provider] = [2]string{f.clientID.Text, f.clientSecret.Text}
	}
}

func (f *accountForm) loadTyped() {
	t := f.typed[f.provider]
	f.clientID.SetText(t[0])
	f.clientSecret.SetText(t[1])
}

// applyPreset fills in what the preset p knows (the zero Provider for a
// password): the domain of addresses and the server. What the user typed
// stays.
func (f *accountForm) applyPreset(p account.Provider) {
	f.jid.SetPlaceHolder("name@example.org")
	if p.Domain != "" {
		f.jid.SetPlaceHolder("name@" + p.Domain)
		if t := strings.TrimSpace(f.jid.Text); t != "" && !strings.Contains(t, "@") {
			f.jid.SetText(t + "@" + p.Domain)
		}
	}
	host := strings.TrimSpace(f.host.Text)
	if host != "" && host != f.filledHost {
		return
	}
	h, port := "", ""
	if p.Server != "" {
		var err error
		if h, port, err = net.SplitHostPort(p.Server); err != nil {
			h, port = p.Server, ""
		}
	}
	f.host.SetText(h)
	if strings.TrimSpace(f.port.Text) == "" || f.port.Text == f.filledPort {
		f.port.SetText(port)
	}
	f.filledHost, f.filledPort = h, port
}

// layout shows the rows the chosen method needs.
func (f *accountForm) layout() {
	items := []*widget.FormItem{
		widget.NewFormItem(lang.L("Sign in with"), f.method),
		widget.NewFormItem(lang.L("Address"), f.jid),
	}
	p, oauth := f.chosen()
	if !oauth {
		items = append(items,
			widget.NewFormItem(lang.L("Password"), f.password),
			widget.NewFormItem("", f.remember),
			widget.NewFormItem("", f.allowPlain))
		if !f.plainAbout.Hidden {
			items = append(items, widget.NewFormItem("", f.plainAbout))
		}
		f.about.Hide()
	} else {
		items = append(items, widget.NewFormItem(clientIDLabel(p), f.clientID))
		if p.NeedsClientSecret {
			items = append(items, widget.NewFormItem(secretLabel(p), f.clientSecret))
		}
		if p.Discovery {
			f.scope.SetPlaceHolder(strings.Join(p.Scopes, " "))
			items = append(items,
				widget.NewFormItem(lang.L("Issuer URL"), f.issuer),
				widget.NewFormItem(lang.L("Authorization URL"), f.authURL),
				widget.NewFormItem(lang.L("Token URL"), f.tokenURL),
				widget.NewFormItem(lang.L("Scopes"), f.scope),
				widget.NewFormItem(lang.L("SASL mechanism"), f.mechanism))
		}
		f.about.SetText(aboutProvider(p))
		f.about.Show()
	}
	items = append(items,
		widget.NewFormItem(lang.L("Server"), f.host),
		widget.NewFormItem(lang.L("Port"), f.port),
		widget.NewFormItem("", f.directTLS),
		widget.NewFormItem(lang.L("CA file"), f.caFile))
	f.form = widget.NewForm(items...)
	f.box.Objects[0] = f.form
	f.box.Refresh()
}

// clientIDLabel names p's client ID as a form label, the way p names it
// (account.Provider.ClientIDLabel), in the user's language.
func clientIDLabel(p account.Provider) string {
	switch p.ClientIDLabel {
	case "App ID": // not translated: the provider's term, matched
		return lang.L("App ID")
	case "Client ID": // not translated: the provider's term, matched
		return lang.L("Client ID")
	}
	return p.ClientIDLabel
}

// clientIDWord names p's client ID within a sentence ("enter its client ID").
func clientIDWord(p account.Provider) string {
	switch p.ClientIDLabel {
	case "App ID": // not translated: the provider's term, matched
		return lang.L("app ID")
	case "Client ID": // not translated: the provider's term, matched
		return lang.L("client ID")
	}
	return lowerID(p.ClientIDLabel)
}

// secretLabel names p's client secret the way p names its client ID, as a
// form label.
func secretLabel(p account.Provider) string {
	switch p.ClientIDLabel {
	case "App ID": // not translated: the provider's term, matched
		return lang.L("App secret")
	case "Client ID": // not translated: the provider's term, matched
		return lang.L("Client secret")
	}
	if s, ok := strings.CutSuffix(p.ClientIDLabel, " ID"); ok {
		return s + " secret"
	}
	return lang.L("Client secret")
}

// secretWord names p's client secret within a sentence.
func secretWord(p account.Provider) string {
	switch p.ClientIDLabel {
	case "App ID": // not translated: the provider's term, matched
		return lang.L("app secret")
	case "Client ID": // not translated: the provider's term, matched
		return lang.L("client secret")
	}
	if s, ok := strings.CutSuffix(p.ClientIDLabel, " ID"); ok {
		return lowerID(s + " secret")
	}
	return lang.L("client secret")
}

// aboutProvider says how signing in with p works and what it needs.
func aboutProvider(p account.Provider) string {
	uri := "http://127.0.0.1" + account.CallbackPath
	var about string
	if p.Discovery {
		about = lang.L("Palaver signs in on the page of your server's sign-in service in your web browser and keeps the sign-in in your keychain; it never sees your password. Register Palaver with your server's sign-in service as a desktop app with the redirect URI {{.URI}} and enter its {{.ID}}.",
			map[string]any{"URI": uri, "ID": clientIDWord(p)})
	} else {
		about = lang.L("Palaver signs in on the page of {{.Provider}} in your web browser and keeps the sign-in in your keychain; it never sees your password. Register Palaver with {{.Provider}} as a desktop app with the redirect URI {{.URI}} and enter its {{.ID}}.",
			map[string]any{"Provider": p.Name, "URI": uri, "ID": clientIDWord(p)})
	}
	if p.NeedsClientSecret {
		about += " " + lang.L("{{.Provider}} also wants the {{.Secret}}, which is not secret: anyone can read it in Palaver's settings file.",
			map[string]any{"Provider": p.Name, "Secret": secretWord(p)})
	}
	if p.Discovery {
		about += " " + lang.L("Leave the issuer empty to let your XMPP server name it (Palaver asks you before it is used), or enter its issuer URL (or openid-configuration URL), or its authorization and token URLs.")
	}
	return about
}

// lowerID lower-cases the first word of a label such as "App ID".
func lowerID(label string) string {
	if label == "" {
		return label
	}
	return strings.ToLower(label[:1]) + label[1:]
}

// address completes a user name typed alone with the domain of the
// chosen provider, if it has one: "alice" is alice@gmail.com on Google Talk.
func (f *accountForm) address(typed string) string {
	t := strings.TrimSpace(typed)
	if p, ok := f.chosen(); ok && p.Domain != "" && t != "" && !strings.Contains(t, "@") {
		return t + "@" + p.Domain
	}
	return typed
}

// entries returns the form's entries, for Enter to save.
func (f *accountForm) entries() []*widget.Entry {
	return []*widget.Entry{f.jid, f.password, f.host, f.port, f.caFile, f.clientID, f.clientSecret, f.issuer, f.authURL, f.tokenURL, f.scope}
}

func parsePort(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errors.New(lang.L("the port must be a number"))
	}
	return n, nil
}

// account returns the settings in the form on top of base (which carries
// what the form does not show, like pinned certificates).
func (f *accountForm) account(base account.Account) (account.Account, error) {
	a := base
	j, err := account.ParseJID(f.address(f.jid.Text))
	if err != nil {
		return a, err
	}
	if !strings.EqualFold(j.String(), base.JID) {
		// Another account: nothing of the old one applies.
		a = account.Account{}
	}
	a.JID = j.String()
	a.Host = strings.TrimSpace(f.host.Text)
	if a.Port, err = parsePort(f.port.Text); err != nil {
		return a, err
	}
	a.DirectTLS = f.directTLS.Checked
	a.CAFile = strings.TrimSpace(f.caFile.Text)
	if a.CAFile != "" {
		if _, err := os.Stat(a.CAFile); err != nil {
			return a, errors.New(lang.L("the CA file cannot be read: {{.Error}}; give the path of a PEM file, or leave the field empty", map[string]any{"Error": errorText(err)}))
		}
	}
	p, oauth := f.chosen()
	if !oauth {
		if a.UsesOAuth() {
			a.Auth = account.AuthPassword
		}
		a.RememberPassword = f.remember.Checked
		a.AllowPlain = f.allowPlain.Checked
		return a, a.Validate()
	}
	o := account.OAuthSettings{}
	if a.OAuth.Provider == p.ID {
		// What the form does not show (a mechanism, a revocation endpoint
		// set in the settings file) stays.
		o = a.OAuth
	}
	o.Provider = p.ID
	o.ClientID = strings.TrimSpace(f.clientID.Text)
	o.ClientSecret = ""
	if p.NeedsClientSecret {
		o.ClientSecret = strings.TrimSpace(f.clientSecret.Text)
	}
	if p.Discovery {
		o.Issuer = strings.TrimSpace(f.issuer.Text)
		o.AuthURL = strings.TrimSpace(f.authURL.Text)
		o.TokenURL = strings.TrimSpace(f.tokenURL.Text)
		o.Scopes = strings.Fields(f.scope.Text)
		o.Mechanism = ""
		if m := f.mechanism.Selected; m != mechanismAuto() {
			o.Mechanism = m
		}
	}
	a.Auth = account.AuthOAuth
	a.OAuth = o
	return a, a.Validate()
}

func (f *accountForm) showError(err error) {
	f.errLabel.SetText(errorText(err))
	f.errLabel.Show()
}

// showAccountDialog edits the account bare, or sets up a new one ("").
func (u *UI) showAccountDialog(bare string) {
	if u.accountOpen != nil {
		return
	}
	var base account.Account
	known := false
	if a := u.cfg.Find(bare); a != nil {
		base, known = *a, true
	}
	f := newAccountForm(base, known)
	var title string
	switch {
	case !known && len(u.cfg.Accounts) == 0:
		title = lang.L("Set up your XMPP account")
	case !known:
		title = lang.L("Add an account")
	default:
		title = lang.L("Account {{.Address}}", map[string]any{"Address": base.JID})
	}
	d := dialog.NewCustomWithoutButtons(title, f.box, u.win)
	save := func() {
		a, err := f.account(base)
		if err != nil {
			f.showError(err)
			return
		}
		if !a.UsesOAuth() && f.password.Text == "" && (!known || a.JID != base.JID || base.UsesOAuth()) {
			if _, ok := u.pw.Get(a.JID); !ok {
				f.showError(errors.New(lang.L("enter the password")))
				return
			}
		}
		if other := u.cfg.Find(a.JID); other != nil && (!known || !strings.EqualFold(a.JID, base.JID)) {
			f.showError(errors.New(lang.L("{{.Address}} is set up already; edit it in the Accounts window", map[string]any{"Address": a.JID})))
			return
		}
		if known {
			// Edited in place: the account keeps its place in the list.
			*u.cfg.Find(base.JID) = a
		} else {
			u.cfg.Accounts = append(u.cfg.Accounts, a)
		}
		if err := u.cfg.Save(u.dir); err != nil {
			f.showError(err)
			return
		}
		u.cfgErr = nil
		d.Hide()
		if known {
			u.leave(base, a)
		}
		if a.UsesOAuth() {
			u.oauthAccountSaved(a)
			return
		}
		u.accountSaved(a, f.password.Text, known && a.JID == base.JID && base.RememberPassword)
	}
	for _, e := range f.entries() {
		e.OnSubmitted = func(string) { save() }
	}
	cancel := widget.NewButton(lang.L("Cancel"), d.Hide)
	ok := widget.NewButton("", save)
	ok.Importance = widget.HighImportance
	label := func() {
		ok.SetText(lang.L("Save"))
		if _, oauth := f.chosen(); oauth {
			ok.SetText(lang.L("Save and sign in"))
		}
	}
	label()
	d.SetButtons([]fyne.CanvasObject{cancel, ok})
	f.onLayout = func() {
		label()
		u.fitDialog(d, 460)
	}
	d.SetOnClosed(func() { u.accountOpen = nil })
	u.accountOpen = d
	u.showDialog(d, 460)
	// A new account starts with the choice of how to sign in; focusing
	// the address would mark it wrong as soon as the choice is made.
	if known {
		u.win.Canvas().Focus(f.jid)
	} else {
		u.win.Canvas().Focus(f.method)
	}
}

// leave stops the session of the account base when its saved settings a
// are another account's, and ends its OAuth sign-in when a no longer
// holds for it (a password, or another provider or client): the old grant
// is of no use then, so it is deleted and revoked.
func (u *UI) leave(base, a account.Account) {
	s := u.session(base.JID)
	if s == nil {
		return
	}
	same := a.JID == s.acct.JID
	switch {
	case s.acct.UsesOAuth() && !(a.UsesOAuth() && same && sameOAuth(a.OAuth, s.acct.OAuth)):
		old, tokens := s.acct, s.tokens
		u.stopSession(old.JID)
		u.forgetSignIn(old, tokens)
	case !same:
		u.stopSession(s.acct.JID)
	}
	u.refreshState()
}

// run brings the session of a in line with the settings a: a running
// session that signs in the same way (password, or OAuth with a grant
// that still holds) keeps its core and gets the new settings; otherwise a
// new one starts. tokens, when not nil, are a fresh OAuth sign-in's.
// The session then connects, unless it needs a browser sign-in first.
// A disabled account is stopped; run returns nil for it.
// This is the one place that decides between reusing and restarting.
func (u *UI) run(a account.Account, tokens model.TokenSource) *session {
	if a.Disabled {
		u.stopSession(a.JID)
		u.refreshState()
		return nil
	}
	s := u.session(a.JID)
	if s == nil || s.acct.UsesOAuth() != a.UsesOAuth() {
		u.stopSession(a.JID)
		u.startSession(a, tokens)
		return u.session(a.JID)
	}
	if !reflect.DeepEqual(s.acct, a) {
		s.acct = a
		s.core.SetAccount(a)
	}
	if !a.UsesOAuth() {
		u.pw.SetRemember(a.JID, a.RememberPassword)
	}
	if tokens != nil {
		s.tokens = tokens
		s.SignIn = model.SignedIn
		s.core.SetTokens(tokens)
	}
	if !s.NeedsSignIn() {
		s.core.Connect()
	}
	u.refreshState()
	return s
}

// oauthAccountSaved signs in the OAuth account a after its settings were
// saved: in the browser, unless its session is signed in already with
// these settings (only the connection changed).
// Without a session, none starts before the sign-in ends (signedIn).
func (u *UI) oauthAccountSaved(a account.Account) {
	if s := u.session(a.JID); s != nil && s.acct.UsesOAuth() {
		if s = u.run(a, nil); s != nil && s.NeedsSignIn() {
			u.authorize(a)
		}
		return
	}
	u.stopSession(a.JID)
	if !a.Disabled {
		u.authorize(a)
	}
}

// accountSaved stores the password as the user chose and (re)starts the
// account with the new settings.
func (u *UI) accountSaved(a account.Account, pw string, wasRemembered bool) {
	_, inMemory := u.pw.Get(a.JID)
	if pw != "" {
		u.pw.Set(a.JID, pw)
	}
	u.pw.SetRemember(a.JID, a.RememberPassword)
	proceed := func() { u.run(a, nil) }
	// Without "remember" any stored password is deleted, also one an
	// earlier run may have left behind. If none was typed this session,
	// the stored one is read into memory first and the sign-in waits.
	forget := !a.RememberPassword
	wait := forget && pw == "" && !inMemory
	u.storePassword(a.JID, pw, a.RememberPassword, forget, func(err error) {
		// A failed delete matters only if a password was stored.
		if err != nil && (a.RememberPassword || wasRemembered) {
			u.keychainFailed(err, a.RememberPassword)
		}
		if wait {
			proceed()
		}
	})
	if !wait {
		proceed()
	}
}

// removeAccount asks, then removes the account bare from Palaver: its
// settings, and its sign-in (an OAuth account's refresh token, deleted
// and revoked) or remembered password; and, if the user ticks it, the
// messages and pictures kept on this computer.
func (u *UI) removeAccount(bare string) {
	p := u.cfg.Find(bare)
	if p == nil {
		return
	}
	a := *p
	var text string
	switch {
	case a.UsesOAuth():
		text = lang.L("Remove {{.Address}} from Palaver? Palaver forgets its settings and its sign-in with {{.Provider}}. The account itself and your contacts stay on the server.",
			map[string]any{"Address": a.JID, "Provider": providerName(a)})
	case a.RememberPassword:
		text = lang.L("Remove {{.Address}} from Palaver? Palaver forgets its settings and its password in the keychain. The account itself and your contacts stay on the server.",
			map[string]any{"Address": a.JID})
	default:
		text = lang.L("Remove {{.Address}} from Palaver? Palaver forgets its settings. The account itself and your contacts stay on the server.",
			map[string]any{"Address": a.JID})
	}
	msg := widget.NewLabel(text)
	msg.Wrapping = fyne.TextWrapWord
	data := widget.NewCheck(lang.L("Also delete its messages and pictures on this computer"), nil)
	d := dialog.NewCustomConfirm(lang.L("Remove account"), lang.L("Remove"), lang.L("Cancel"), container.NewVBox(msg, data), func(ok bool) {
		if ok && u.cfg.Find(a.JID) != nil {
			u.removeSession(a, data.Checked)
		}
	}, u.win)
	d.SetConfirmImportance(widget.DangerImportance)
	u.showDialog(d, 440)
}

// removeSession stops a's session and forgets the account; withData also
// deletes its local archive and pictures.
func (u *UI) removeSession(a account.Account, withData bool) {
	var tokens model.TokenSource
	if s := u.session(a.JID); s != nil {
		tokens = s.tokens
	}
	u.stopSession(a.JID)
	u.cfg.Remove(a.JID)
	if err := u.cfg.Save(u.dir); err != nil {
		u.showNotice(lang.L("Could not save the settings: {{.Error}}", map[string]any{"Error": errorText(err)}))
	}
	u.listMerged()
	if a.UsesOAuth() {
		u.forgetSignIn(a, tokens)
	} else {
		u.pw.Forget(a.JID)
		if secrets := u.secrets; secrets != nil && a.RememberPassword {
			go func() {
				_, err := model.WithTimeout(context.Background(), func() (string, error) {
					return "", secrets.DeletePassword(a.JID)
				})
				if err != nil {
					u.do(func() { u.keychainFailed(err, false) })
				}
			}()
		}
	}
	if withData && u.dir != "" {
		dir := u.dir
		go func() {
			// The core closes its archive as it stops, a moment later;
			// until then Windows refuses to delete the open files.
			var err error
			for range 20 {
				if err = account.RemoveData(dir, a.JID); err == nil {
					return
				}
				time.Sleep(250 * time.Millisecond)
			}
			u.do(func() {
				u.showNotice(lang.L("Palaver could not delete all local data of {{.Address}}: {{.Error}}.", map[string]any{"Address": a.JID, "Error": errorText(err)}))
			})
		}()
	}
	u.showRows()
	u.refreshState()
	u.refreshRequests()
	u.refreshMessageRequests()
}
