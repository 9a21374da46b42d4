package views

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2/lang"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/im"
)

// The sentences a user reads about the core's facts: connection states,
// presence, refused sign-ins and commands. The core (package app) hands
// the views facts — states, conditions, errors — and the words are chosen
// here, so that translating Palaver means translating the views.

// connStateText words a connection state for the status line.
func connStateText(s app.ConnState) string {
	switch s {
	case app.Connecting:
		return lang.L("Connecting…")
	case app.Online:
		return lang.L("Online")
	case app.Waiting:
		return lang.L("Disconnected")
	default:
		return lang.L("Offline")
	}
}

// showText words a presence show (RFC 6121 §4.7.2.1).
func showText(s im.Show) string {
	switch s {
	case im.Chat:
		return lang.L("Free to chat")
	case im.Available:
		return lang.L("Available")
	case im.Away:
		return lang.L("Away")
	case im.XA:
		return lang.L("Extended away")
	case im.DND:
		return lang.L("Do not disturb")
	default:
		return lang.L("Offline")
	}
}

// authFailedText words a refused sign-in by its SASL condition (RFC 6120
// §6.5) or Palaver's own (app.ConditionNoPassword).
func authFailedText(e app.AuthFailed) string {
	var msg string
	switch e.Condition {
	case app.ConditionNoPassword:
		// Not the server's word: no password could be found locally.
		if e.Text != "" {
			return lang.L("Enter the password of this account to sign in. ({{.Text}})", map[string]any{"Text": e.Text})
		}
		return lang.L("Enter the password of this account to sign in.")
	case "not-authorized", "":
		msg = lang.L("The server rejected the user name or password.")
	case "account-disabled":
		msg = lang.L("This account is disabled on the server.")
	case "credentials-expired":
		msg = lang.L("The password has expired; change it with your provider.")
	case "encryption-required", "mechanism-too-weak":
		msg = lang.L("The server refused the sign-in method ({{.Condition}}).", map[string]any{"Condition": e.Condition})
	case "temporary-auth-failure":
		msg = lang.L("The server could not check the password right now; try again later.")
	default:
		msg = lang.L("Sign-in failed ({{.Condition}}).", map[string]any{"Condition": e.Condition})
	}
	if e.Text != "" {
		msg += " " + lang.L("The server said: {{.Text}}", map[string]any{"Text": e.Text})
	}
	return msg
}

// signInRequiredText words an OAuth account whose authorization is gone.
func signInRequiredText(e app.SignInRequired) string {
	if e.Err != nil {
		// The reason often starts with account.ErrSignInAgain's own words.
		reason := strings.TrimPrefix(e.Err.Error(), account.ErrSignInAgain.Error()+": ")
		if reason != account.ErrSignInAgain.Error() {
			return lang.L("Sign in again in your browser to use this account. ({{.Reason}})", map[string]any{"Reason": reason})
		}
	}
	return lang.L("Sign in again in your browser to use this account.")
}

// scopeText words a sign-in that the server refused for want of scope
// (the OAuth scope it named): added when Palaver now asks for it.
func scopeText(scope string, added bool) string {
	d := struct{ Scope string }{plainLine(scope)}
	if added {
		return lang.L("The server needs the sign-in to allow “{{.Scope}}”, which Palaver did not ask for. Palaver asks for it now: sign in again in your browser.", d)
	}
	return lang.L("The server needs the sign-in to allow “{{.Scope}}”, but your provider did not grant it. Check that the client registered for Palaver may have that scope, then sign in again.", d)
}

// failData is what the sentences of a failed command take: the address
// it was about, the error, and the command's name (for an unknown one).
type failData struct{ Address, Error, Operation string }

// commandFailedText words a command the core could not carry out: one
// sentence for each command, with the address it was about when there is
// one, so that each language can put the words in its own order.
func commandFailedText(e app.CommandFailed) string {
	d := failData{Address: e.JID, Error: fmt.Sprint(e.Err), Operation: e.Op.String()}
	if e.JID != "" {
		switch e.Op {
		case app.OpAddContact:
			return lang.L("Could not add contact {{.Address}}: {{.Error}}", d)
		case app.OpChangeContact:
			return lang.L("Could not change contact {{.Address}}: {{.Error}}", d)
		case app.OpRemoveContact:
			return lang.L("Could not remove contact {{.Address}}: {{.Error}}", d)
		case app.OpAskPresence:
			return lang.L("Could not ask for the presence of {{.Address}}: {{.Error}}", d)
		case app.OpAnswerRequest:
			return lang.L("Could not answer the request of {{.Address}}: {{.Error}}", d)
		case app.OpApproveRequest:
			return lang.L("Could not approve the request of {{.Address}}: {{.Error}}", d)
		case app.OpDenyRequest:
			return lang.L("Could not deny the request of {{.Address}}: {{.Error}}", d)
		case app.OpBlock:
			return lang.L("Could not block {{.Address}}: {{.Error}}", d)
		case app.OpUnblock:
			return lang.L("Could not unblock that address {{.Address}}: {{.Error}}", d)
		case app.OpChangeNick:
			return lang.L("Could not change your nickname in the room {{.Address}}: {{.Error}}", d)
		case app.OpCreateRoom:
			return lang.L("Could not open the new room {{.Address}}: {{.Error}}", d)
		case app.OpRoomPresence:
			return lang.L("Could not tell the room your status {{.Address}}: {{.Error}}", d)
		case app.OpKick:
			return lang.L("Could not remove that participant from the room {{.Address}}: {{.Error}}", d)
		case app.OpSetBookmark:
			return lang.L("Could not save the room bookmark {{.Address}}: {{.Error}}", d)
		case app.OpRemoveBookmark:
			return lang.L("Could not remove the room bookmark {{.Address}}: {{.Error}}", d)
		case app.OpSetRole:
			return lang.L("Could not change that participant's role {{.Address}}: {{.Error}}", d)
		case app.OpSetAffiliation:
			return lang.L("Could not change that person's standing in the room {{.Address}}: {{.Error}}", d)
		case app.OpInvite:
			return lang.L("Could not send the invitation {{.Address}}: {{.Error}}", d)
		case app.OpDecline:
			return lang.L("Could not decline the invitation {{.Address}}: {{.Error}}", d)
		case app.OpListRooms:
			return lang.L("Could not list the rooms {{.Address}}: {{.Error}}", d)
		case app.OpRoomHistory:
			return lang.L("Could not read the room's history {{.Address}}: {{.Error}}", d)
		case app.OpRoomConfig:
			return lang.L("Could not change the settings of the room {{.Address}}: {{.Error}}", d)
		case app.OpDestroyRoom:
			return lang.L("Could not destroy the room {{.Address}}: {{.Error}}", d)
		case app.OpCorrect:
			return lang.L("Could not correct the message {{.Address}}: {{.Error}}", d)
		case app.OpReact:
			return lang.L("Could not react to the message {{.Address}}: {{.Error}}", d)
		}
	}
	switch e.Op {
	case app.OpSetStatus:
		return lang.L("Could not set your status: {{.Error}}", d)
	case app.OpAnnouncePicture:
		return lang.L("Could not announce your picture: {{.Error}}", d)
	case app.OpAddContact:
		return lang.L("Could not add contact: {{.Error}}", d)
	case app.OpChangeContact:
		return lang.L("Could not change contact: {{.Error}}", d)
	case app.OpRemoveContact:
		return lang.L("Could not remove contact: {{.Error}}", d)
	case app.OpAskPresence:
		return lang.L("Could not ask for the presence of: {{.Error}}", d)
	case app.OpAnswerRequest:
		return lang.L("Could not answer the request of: {{.Error}}", d)
	case app.OpApproveRequest:
		return lang.L("Could not approve the request of: {{.Error}}", d)
	case app.OpDenyRequest:
		return lang.L("Could not deny the request of: {{.Error}}", d)
	case app.OpBlock:
		return lang.L("Could not block: {{.Error}}", d)
	case app.OpUnblock:
		return lang.L("Could not unblock that address: {{.Error}}", d)
	case app.OpSetArchiving:
		return lang.L("Could not change what the server archives: {{.Error}}", d)
	case app.OpOpenHistory:
		return lang.L("Could not open the message history: {{.Error}}", d)
	case app.OpKeepHistory:
		return lang.L("Could not keep the message history: {{.Error}}", d)
	case app.OpOpenPictures:
		return lang.L("Could not open the picture cache: {{.Error}}", d)
	case app.OpChangeNick:
		return lang.L("Could not change your nickname in the room: {{.Error}}", d)
	case app.OpCreateRoom:
		return lang.L("Could not open the new room: {{.Error}}", d)
	case app.OpRoomPresence:
		return lang.L("Could not tell the room your status: {{.Error}}", d)
	case app.OpKick:
		return lang.L("Could not remove that participant from the room: {{.Error}}", d)
	case app.OpFetchBookmarks:
		return lang.L("Could not read your room bookmarks: {{.Error}}", d)
	case app.OpSetBookmark:
		return lang.L("Could not save the room bookmark: {{.Error}}", d)
	case app.OpRemoveBookmark:
		return lang.L("Could not remove the room bookmark: {{.Error}}", d)
	case app.OpSetRole:
		return lang.L("Could not change that participant's role: {{.Error}}", d)
	case app.OpSetAffiliation:
		return lang.L("Could not change that person's standing in the room: {{.Error}}", d)
	case app.OpInvite:
		return lang.L("Could not send the invitation: {{.Error}}", d)
	case app.OpDecline:
		return lang.L("Could not decline the invitation: {{.Error}}", d)
	case app.OpListRooms:
		return lang.L("Could not list the rooms: {{.Error}}", d)
	case app.OpRoomHistory:
		return lang.L("Could not read the room's history: {{.Error}}", d)
	case app.OpRoomConfig:
		return lang.L("Could not change the settings of the room: {{.Error}}", d)
	case app.OpDestroyRoom:
		return lang.L("Could not destroy the room: {{.Error}}", d)
	case app.OpCorrect:
		return lang.L("Could not correct the message: {{.Error}}", d)
	case app.OpReact:
		return lang.L("Could not react to the message: {{.Error}}", d)
	}
	return lang.L("Could not do that ({{.Operation}}): {{.Error}}", d)
}
