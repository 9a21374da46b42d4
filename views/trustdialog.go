package views

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app/certs"
)

// showTrustDialog explains an untrusted server certificate and offers to
// pin it for s's account. A later certificate for the same account
// replaces the open dialog.
func (u *UI) showTrustDialog(s *session, cert certs.Info) {
	if d := u.trustOpen[s.acct.JID]; d != nil {
		d.Hide()
	}
	intro := widget.NewLabel("Palaver could not verify the certificate of the server for " + s.acct.JID +
		". Someone may be impersonating the server, or the server may use a certificate of its own." +
		" Trust it only if you know the fingerprint is right, for example because the server's administrator told you.")
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
	trust := widget.NewButtonWithIcon("Trust this certificate for "+s.acct.JID, theme.ConfirmIcon(), func() {
		d.Hide()
		u.trustCert(s, cert)
	})
	trust.Importance = widget.WarningImportance
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { d.Hide() })
	// Not SetButtons: it makes both buttons as wide as the long one.
	buttons := container.NewHBox(layout.NewSpacer(), cancel, trust)
	d = dialog.NewCustomWithoutButtons("Untrusted certificate",
		container.NewVBox(intro, widget.NewCard("", "", container.NewVBox(details, fingerprint)), buttons), u.win)
	d.SetOnClosed(func() {
		if u.trustOpen[s.acct.JID] == d {
			delete(u.trustOpen, s.acct.JID)
		}
	})
	u.trustOpen[s.acct.JID] = d
	u.showDialog(d, 560)
}

// trustCert pins the certificate for s's account, saves the settings and
// signs in again.
func (u *UI) trustCert(s *session, cert certs.Info) {
	s.acct.Pin(cert.SHA256)
	u.cfg.Put(s.acct)
	if err := u.cfg.Save(u.dir); err != nil {
		// The pin still holds for this session.
		u.showNotice("Could not save the settings: " + err.Error())
	}
	s.core.SetAccount(s.acct)
	s.core.Connect()
}

// describeCert splits cert.Describe into the text without the fingerprint
// and the fingerprint on lines of its own, 16 bytes each, which wrapping
// would otherwise break anywhere.
func describeCert(cert certs.Info) (text, fingerprint string) {
	desc := cert.Describe()
	fp := cert.Fingerprint()
	if len(fp) != 95 { // 32 pairs and 31 colons
		return desc, ""
	}
	return strings.Replace(desc, "\nSHA-256: "+fp, "", 1), "SHA-256:\n" + fp[:47] + "\n" + fp[48:]
}
