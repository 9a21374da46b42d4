// Package views is Palaver's Fyne user interface: the main window with the
// contact list, chat windows, and the account, sign-in and trust dialogs.
//
// Everything here runs on Fyne's UI goroutine except one loop per account
// (see pump) that reads the core's event batches and hands them to the UI
// with fyne.Do, and the goroutines of what may take long: the keychain,
// the OAuth sign-in in the system browser (account.Flow, see oauth.go) and
// signing out, which hand their outcome back the same way. Views talk to
// the core only through the Core interface, whose methods return at once,
// so no UI callback ever waits on the network.
//
// Messages: each of the user's messages shows how far it has come next to
// its time (Sending…, ✓ sent, ✓✓ delivered), or why it failed, with a
// Retry button. A message sent offline is pending, not failed: the core
// keeps it until it can send it. A message the user sent from another
// device (a carbon) joins its conversation as the user's own, pops up no
// window, raises no notification and, when it comes live, marks the
// conversation read. Messages the server's archive brings after a
// reconnection count as unread but pop up no window; one notification sums
// them up once they stop coming (see catchup.go).
//
// The package never imports fyne.io/fyne/v2/app: main builds the app and
// passes it in, which keeps every view testable with fyne.io/fyne/v2/test.
package views
