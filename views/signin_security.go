package views

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app"
)

// Sign-in refusals that are Palaver's own decisions, not a wrong password:
// the server offered only PLAIN, or did not prove itself (issue 9).

// plainAllowExplained is the explanation next to the account dialog's
// "Allow PLAIN" choice and in the dialog that offers it.
func plainAllowExplained() string {
	return lang.L("With PLAIN, Palaver sends your password itself to the server (inside the encrypted connection). Whoever holds a certificate Palaver accepts for this server can read it. Servers that support SCRAM never see your password; Palaver always uses SCRAM when the server offers it, and refuses PLAIN for good once SCRAM has worked for the account.")
}

// securityRefusal words a sign-in that Palaver stopped for the account's
// safety, and reports whether e is one.
func securityRefusal(jid string, e app.AuthFailed) (title, msg string, ok bool) {
	who := map[string]any{"Address": jid}
	switch e.Condition {
	case app.ConditionPlainNotAllowed:
		return lang.L("Password would be sent as is"),
			lang.L("The server of {{.Address}} accepts your password only with PLAIN, which hands the password itself to the server. Palaver did not send it.", who) + "\n\n" + plainAllowExplained(), true
	case app.ConditionPlainAfterSCRAM:
		return lang.L("Possible attack: sign-in stopped"),
			lang.L("The server of {{.Address}} now accepts your password only with PLAIN, although it signed you in safely (SCRAM) before. Someone may be intercepting the connection. Palaver did not send your password.", who) + "\n\n" +
				lang.L("Try again on another network, and ask the server's administrator whether they changed the server."), true
	case app.ConditionServerNotVerified:
		msg := lang.L("Palaver stopped signing in to {{.Address}}: the server did not prove that it is your account's server, or the sign-in was tampered with on the way. Your password was not sent as is.", who) + "\n\n" +
			lang.L("Try again later or on another network; if it keeps happening, tell the server's administrator.")
		if e.Text != "" {
			msg += "\n\n" + lang.L("Details: {{.Details}}", map[string]any{"Details": notVerifiedText(e)})
		}
		return lang.L("Server not verified"), msg, true
	}
	return "", "", false
}

// notVerifiedText words the core's reason for ConditionServerNotVerified:
// the error it gives (a saslauth.VerifyError, or the server starting the
// session without signing in or binding), else its English text.
func notVerifiedText(e app.AuthFailed) string {
	if e.Err != nil {
		if s := knownErrorText(e.Err); s != "" {
			return s
		}
	}
	return clipRunes(plainLine(e.Text), 200)
}

// showSecurityRefusal shows a refusal of securityRefusal. For
// ConditionPlainNotAllowed it offers the explicit, per-account choice to
// allow PLAIN and sign in again.
func (u *UI) showSecurityRefusal(s *session, e app.AuthFailed) bool {
	title, text, ok := securityRefusal(s.acct.JID, e)
	if !ok {
		return false
	}
	msg := widget.NewLabel(text)
	msg.Wrapping = fyne.TextWrapWord
	var d *dialog.CustomDialog
	buttons := container.NewHBox(layout.NewSpacer())
	if e.Condition == app.ConditionPlainNotAllowed {
		cancel := widget.NewButton(lang.L("Don't sign in"), func() { d.Hide() })
		allow := widget.NewButton(lang.L("Allow PLAIN for this account"), func() {
			d.Hide()
			u.allowPlain(s)
		})
		allow.Importance = widget.WarningImportance
		buttons.Add(cancel)
		buttons.Add(allow)
	} else {
		buttons.Add(widget.NewButton(lang.L("OK"), func() { d.Hide() }))
	}
	d = dialog.NewCustomWithoutButtons(title, container.NewVBox(msg, buttons), u.win)
	u.showDialog(d, 520)
	return true
}

// allowPlain records the user's choice to allow PLAIN for s's account and
// signs in again.
func (u *UI) allowPlain(s *session) {
	s.acct.AllowPlain = true
	u.cfg.Put(s.acct)
	if err := u.cfg.Save(u.dir); err != nil {
		u.showNotice(lang.L("Could not save the settings: {{.Error}}", map[string]any{"Error": errorText(err)}))
	}
	s.core.SetAccount(s.acct)
	s.core.Connect()
}

// signedInWith keeps in the account's settings that SCRAM signed it in, so
// that PLAIN is refused from now on, and that channel binding did, so that
// a failure with it is never retried without it (the core also remembers
// both until it stops).
func (u *UI) signedInWith(s *session, mechanism string) {
	if s.acct.UsesOAuth() || !strings.HasPrefix(mechanism, "SCRAM-") {
		return
	}
	binding := strings.HasSuffix(mechanism, "-PLUS")
	if s.acct.SCRAMPinned && (s.acct.ChannelBindingPinned || !binding) {
		return // nothing new to keep
	}
	s.acct.SCRAMPinned = true
	s.acct.ChannelBindingPinned = s.acct.ChannelBindingPinned || binding
	if a := u.cfg.Find(s.acct.JID); a != nil {
		a.SCRAMPinned, a.ChannelBindingPinned = true, s.acct.ChannelBindingPinned
		if err := u.cfg.Save(u.dir); err != nil {
			u.showNotice(lang.L("Could not save the settings: {{.Error}}", map[string]any{"Error": errorText(err)}))
		}
	}
}
