package views

import (
	"fmt"
	"runtime"
	"strings"
	"unicode"

	"github.com/palaver-im/palaver/views/model"
)

// Text that others write reaches the user here: contacts' names and
// messages, their profile cards, servers' certificates and error texts.
// Each kind of place it is shown in has its own hazard, so each has its
// own function below, and every such text goes through one of them:
//
//   - Fyne labels and entries show text as it is, with no markup, but
//     control characters and Unicode bidi controls still forge text: a
//     right-to-left override turns "gnp.exe" into "exe.png" on screen,
//     and a line break starts what looks like a line of the dialog's own.
//     plainText (several lines) and plainLine (one line) drop them;
//     escapedLine writes them out as \n, \u202e… where the reader must see
//     what the text really holds (certificate names).
//   - Desktop notifications may interpret markup, or worse, depending on
//     the platform: notificationTitle and notificationBody.

// plainText and plainLine are the model's PlainText and PlainLine: the
// model cleans the names it keeps, the views everything else they show.
func plainText(s string) string { return model.PlainText(s) }
func plainLine(s string) string { return model.PlainLine(s) }

// escapedLine returns s on one line with nothing hidden: line breaks,
// tabs, other control characters, bidi controls and any other character
// that shows nothing are written out as Go escapes (\n, \t, \x00,
// \u202e). It is for text whose exact content the user judges, such as a
// certificate's names: there a name holding "\nSHA-256: …" must not look
// like a line of the dialog's own.
func escapedLine(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == unicode.ReplacementChar && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80 && (unicode.IsControl(r)):
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == ' ' || (unicode.IsGraphic(r) && !model.IsBidiControl(r)):
			b.WriteRune(r)
		default:
			// C1 controls, bidi and other format characters, separators
			// other than the space, unassigned code points.
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

// notificationTitle returns s fit for the title of a desktop notification
// on this platform (see notifyText).
func notificationTitle(s string) string { return notifyText(runtime.GOOS, s, false) }

// notificationBody returns s fit for the body of a desktop notification
// on this platform (see notifyText).
func notificationBody(s string) string { return notifyText(runtime.GOOS, s, true) }

// Look-alikes of the characters that notification markup gives a meaning
// to, for titles (see notifyText).
var titleMarkup = strings.NewReplacer("&", "\uFF06", "<", "\u2039", ">", "\u203A")

// Markup escapes of the notification body (see notifyText).
var bodyMarkup = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// What PowerShell reads as code inside a double-quoted string, and
// what Fyne does not escape (see notifyText).
var powerShell = strings.NewReplacer("$", "\uFF04", "\u201C", `"`, "\u201D", `"`, "\u201E", `"`)

// notifyText returns s fit for a notification's body (or, unless body,
// its title, on one line) on the platform goos. Fyne v2.7.1 passes the
// text on as it gets it, and each platform reads it differently:
//
//   - Linux and the BSDs (fyne app/app_xdg.go, SendNotification): the
//     title and body go unchanged into org.freedesktop.Notifications'
//     Notify. The Desktop Notifications Specification (1.2, "Markup")
//     lets a server with the body-markup capability, which GNOME, KDE,
//     dunst, mako and xfce4-notifyd all have, read the body as markup
//     with <a href>, <img src> and entities: so the body's & < > are
//     escaped as entities, which those servers show as the characters.
//     The title (summary) is plain text in the specification and GNOME
//     Shell shows it so (an entity would show as "&amp;"), but dunst and
//     mako put it inside their markup format: so & < > in a title become
//     look-alikes (＆ ‹ ›), right on both kinds of server.
//     (Built with Fyne's flatpak tag, Fyne would send through the
//     notification portal instead, whose body is plain text: Palaver is
//     not built so.)
//   - Windows (fyne app/app_windows.go): Fyne writes the text into a
//     PowerShell script, inside "…", escaping only ` and ". PowerShell
//     expands $name and $(command) in such strings, and ends them at the
//     typographic quotes “ ” „ too: a message "$(Remove-Item …)" would
//     run. So $ becomes ＄ and those quotes become ", which Fyne escapes.
//     The toast is made with CreateTextNode: no markup to escape.
//   - macOS (fyne app/app_darwin.go): UNNotification takes plain text,
//     and the osascript fallback escapes \ and ": nothing more to do.
//
// Everywhere, control and bidi characters are dropped first (plainText,
// plainLine), as in labels.
func notifyText(goos, s string, body bool) string {
	if body {
		s = plainText(s)
	} else {
		s = strings.TrimSpace(plainLine(s))
	}
	switch goos {
	case "windows":
		return powerShell.Replace(s)
	case "darwin", "ios", "android", "js", "wasip1":
		return s
	}
	if body {
		return bodyMarkup.Replace(s)
	}
	return titleMarkup.Replace(s)
}
