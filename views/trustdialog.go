package views

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app/certs"
)

// showTrustDialog explains an untrusted server certificate and offers to
// pin it for s's account. A later certificate for the same account
// replaces the open dialog.
func (u *UI) showTrustDialog(s *session, cert certs.Info) {
	u.askTrust(s.acct.JID, cert, func() { u.trustCert(s, cert) }, nil)
}

// askTrust asks whether to trust cert, which the server of the account
// bare showed, and calls trusted if the user does, else canceled (nil:
// nothing).
func (u *UI) askTrust(bare string, cert certs.Info, trusted, canceled func()) {
	if d := u.trustOpen[bare]; d != nil {
		d.Hide()
	}
	intro := widget.NewLabel(lang.L("Palaver could not verify the certificate of the server for {{.Address}}. Someone may be impersonating the server, or the server may use a certificate of its own. Trust it only if you know the fingerprint is right, for example because the server's administrator told you.",
		map[string]any{"Address": bare}))
	intro.Wrapping = fyne.TextWrapWord
	text, fp := describeCert(cert)
	details := widget.NewLabel(text)
	details.Wrapping = fyne.TextWrapWord
	details.Selectable = true
	// Not wrapped: the dialog grows to show the fingerprint as it is
	// usually read out, two rows of 16 bytes.
	fingerprint := widget.NewLabel(fp)
	fingerprint.TextStyle.Monospace = true
	fingerprint.Selectable = true
	var d *dialog.CustomDialog
	decided := false
	trust := widget.NewButtonWithIcon(lang.L("Trust this certificate for {{.Address}}", map[string]any{"Address": bare}), theme.ConfirmIcon(), func() {
		decided = true
		d.Hide()
		trusted()
	})
	trust.Importance = widget.WarningImportance
	cancel := widget.NewButtonWithIcon(lang.L("Cancel"), theme.CancelIcon(), func() { d.Hide() })
	// Not SetButtons: it makes both buttons as wide as the long one.
	buttons := container.NewHBox(layout.NewSpacer(), cancel, trust)
	d = dialog.NewCustomWithoutButtons(lang.L("Untrusted certificate"),
		container.NewVBox(intro, widget.NewCard("", "", container.NewVBox(details, fingerprint)), buttons), u.win)
	d.SetOnClosed(func() {
		if !decided && canceled != nil {
			canceled()
		}
		if u.trustOpen[bare] == d {
			delete(u.trustOpen, bare)
		}
	})
	u.trustOpen[bare] = d
	u.showDialog(d, 560)
}

// trustCert pins the certificate for s's account, saves the settings and
// signs in again.
func (u *UI) trustCert(s *session, cert certs.Info) {
	s.acct.Pin(cert.SHA256)
	u.cfg.Put(s.acct)
	if err := u.cfg.Save(u.dir); err != nil {
		// The pin still holds for this session.
		u.showNotice(lang.L("Could not save the settings: {{.Error}}", map[string]any{"Error": errorText(err)}))
	}
	s.core.SetAccount(s.acct)
	s.core.Connect()
}

// describeCert words cert for the dialog: the text without the
// fingerprint, and the fingerprint on lines of its own, 16 bytes each,
// which wrapping would otherwise break anywhere.
//
// The names come from the certificate, which whoever answers for the
// server wrote: each is shown on its one line with its control and bidi
// characters written out (escapedLine), so that a subject such as
// "CN=x\nSHA-256: <a fingerprint the user expects>" cannot add a line
// that looks like the dialog's own.
func describeCert(cert certs.Info) (text, fingerprint string) {
	names := make([]string, len(cert.Names))
	for i, n := range cert.Names {
		names[i] = escapedLine(n)
	}
	list := strings.Join(names, ", ")
	if list == "" {
		list = lang.L("(none)")
	}
	fp := cert.Fingerprint()
	text = lang.L("Why: {{.Reason}}\nIssued to: {{.Subject}}\nNames: {{.Names}}\nIssued by: {{.Issuer}}\nValid: {{.From}} to {{.Until}}",
		map[string]any{
			"Reason":  certReasonText(cert),
			"Subject": escapedLine(cert.Subject),
			"Names":   list,
			"Issuer":  escapedLine(cert.Issuer),
			"From":    cert.NotBefore.Format(time.DateOnly),
			"Until":   cert.NotAfter.Format(time.DateOnly),
		})
	if len(fp) != 95 { // 32 pairs and 31 colons
		return text + "\nSHA-256: " + escapedLine(fp), ""
	}
	return text, "SHA-256:\n" + fp[:47] + "\n" + fp[48:]
}
