package views

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/im"
)

// A server that archives nothing by default (ejabberd's mod_mam unless
// its administrator chose otherwise) keeps none of the messages that the
// user's other devices send or receive while Palaver is not running, and
// says nothing about it. The core reports the archiving default after
// each sign-in (app.ArchivePrefs); the user is told once per account,
// with a button that turns the archive on.

// Preference keys (Fyne's app preferences), per account.
func archiveToldKey(acct string) string  { return "archive-off-told/" + acct }
func archiveAskedKey(acct string) string { return "archive-on-asked/" + acct }

// archiveDefault applies the server's archiving default: "never" is
// explained once per account (also across runs); the default read back
// after the user turned the archive on is confirmed.
func (s *session) archiveDefault(e app.ArchivePrefs) {
	prefs := s.ui.app.Preferences()
	told, asked := archiveToldKey(s.acct.JID), archiveAskedKey(s.acct.JID)
	if prefs.Bool(asked) {
		prefs.RemoveValue(asked)
		if e.Default != im.ArchiveNever {
			s.ui.showNotice(lang.L("The server of {{.Account}} now keeps your messages, so they reach Palaver from your other devices.", map[string]any{"Account": s.acct.JID}))
			return
		}
		s.ui.showNotice(lang.L("The server of {{.Account}} still keeps no messages: it may not let you change that. Ask its administrator.", map[string]any{"Account": s.acct.JID}))
		return
	}
	if e.Default != im.ArchiveNever || prefs.Bool(told) {
		return
	}
	prefs.SetBool(told, true)
	text := widget.NewLabel(lang.L("The server of {{.Account}} does not keep your messages. Messages that you send or receive on another device while Palaver is not running never reach Palaver.\n\nTurn on the server's message archive for this account? It keeps your conversations on the server, as most servers do by default.",
		map[string]any{"Account": s.acct.JID}))
	text.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(lang.L("Your server keeps no messages"), lang.L("Turn on"), lang.L("Not now"), text, func(ok bool) {
		if !ok || s.closed {
			return
		}
		prefs.SetBool(asked, true)
		s.core.SetArchiveDefault(im.ArchiveAlways)
	}, s.ui.win)
	d.Resize(fyne.NewSize(380, 240))
	d.Show()
}
