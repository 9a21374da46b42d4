package views

import (
	"fmt"
	"strings"

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
		return "Connecting…"
	case app.Online:
		return "Online"
	case app.Waiting:
		return "Disconnected"
	default:
		return "Offline"
	}
}

// showText words a presence show (RFC 6121 §4.7.2.1).
func showText(s im.Show) string {
	switch s {
	case im.Chat:
		return "Free to chat"
	case im.Available:
		return "Available"
	case im.Away:
		return "Away"
	case im.XA:
		return "Extended away"
	case im.DND:
		return "Do not disturb"
	default:
		return "Offline"
	}
}

// authFailedText words a refused sign-in by its SASL condition (RFC 6120
// §6.5) or Palaver's own (app.ConditionNoPassword).
func authFailedText(e app.AuthFailed) string {
	var msg string
	switch e.Condition {
	case app.ConditionNoPassword:
		// Not the server's word: no password could be found locally.
		msg = "Enter the password of this account to sign in."
		if e.Text != "" {
			msg += " (" + e.Text + ")"
		}
		return msg
	case "not-authorized", "":
		msg = "The server rejected the user name or password."
	case "account-disabled":
		msg = "This account is disabled on the server."
	case "credentials-expired":
		msg = "The password has expired; change it with your provider."
	case "encryption-required", "mechanism-too-weak":
		msg = "The server refused the sign-in method (" + e.Condition + ")."
	case "temporary-auth-failure":
		msg = "The server could not check the password right now; try again later."
	default:
		msg = "Sign-in failed (" + e.Condition + ")."
	}
	if e.Text != "" {
		msg += " The server said: " + e.Text
	}
	return msg
}

// signInRequiredText words an OAuth account whose authorization is gone.
func signInRequiredText(e app.SignInRequired) string {
	msg := "Sign in again in your browser to use this account."
	if e.Err != nil {
		// The reason often starts with account.ErrSignInAgain's own words.
		reason := strings.TrimPrefix(e.Err.Error(), account.ErrSignInAgain.Error()+": ")
		if reason != account.ErrSignInAgain.Error() {
			msg += " (" + reason + ")"
		}
	}
	return msg
}

// scopeText words a sign-in that the server refused for want of scope
// (the OAuth scope it named): added when Palaver now asks for it.
func scopeText(scope string, added bool) string {
	if added {
		return "The server needs the sign-in to allow “" + plainLine(scope) + "”, which Palaver did not ask for. " +
			"Palaver asks for it now: sign in again in your browser."
	}
	return "The server needs the sign-in to allow “" + plainLine(scope) + "”, but your provider did not grant it. " +
		"Check that the client registered for Palaver may have that scope, then sign in again."
}

// opText words what a failed command was about, as the verb phrase of
// "Could not …".
func opText(o app.Op) string {
	switch o {
	case app.OpSetStatus:
		return "set your status"
	case app.OpAnnouncePicture:
		return "announce your picture"
	case app.OpAddContact:
		return "add contact"
	case app.OpChangeContact:
		return "change contact"
	case app.OpRemoveContact:
		return "remove contact"
	case app.OpAskPresence:
		return "ask for the presence of"
	case app.OpAnswerRequest:
		return "answer the request of"
	case app.OpApproveRequest:
		return "approve the request of"
	case app.OpDenyRequest:
		return "deny the request of"
	case app.OpBlock:
		return "block"
	case app.OpUnblock:
		return "unblock that address"
	case app.OpSetArchiving:
		return "change what the server archives"
	case app.OpOpenHistory:
		return "open the message history"
	case app.OpKeepHistory:
		return "keep the message history"
	case app.OpOpenPictures:
		return "open the picture cache"
	case app.OpChangeNick:
		return "change your nickname in the room"
	case app.OpCreateRoom:
		return "open the new room"
	case app.OpRoomPresence:
		return "tell the room your status"
	case app.OpKick:
		return "remove that participant from the room"
	case app.OpFetchBookmarks:
		return "read your room bookmarks"
	case app.OpSetBookmark:
		return "save the room bookmark"
	case app.OpRemoveBookmark:
		return "remove the room bookmark"
	case app.OpSetRole:
		return "change that participant's role"
	case app.OpSetAffiliation:
		return "change that person's standing in the room"
	case app.OpInvite:
		return "send the invitation"
	case app.OpDecline:
		return "decline the invitation"
	case app.OpListRooms:
		return "list the rooms"
	case app.OpRoomHistory:
		return "read the room's history"
	case app.OpRoomConfig:
		return "change the settings of the room"
	case app.OpDestroyRoom:
		return "destroy the room"
	case app.OpCorrect:
		return "correct the message"
	case app.OpReact:
		return "react to the message"
	}
	return "do that (" + o.String() + ")"
}

// commandFailedText words a command the core could not carry out.
func commandFailedText(e app.CommandFailed) string {
	if e.JID != "" {
		return fmt.Sprintf("Could not %s %s: %v", opText(e.Op), e.JID, e.Err)
	}
	return fmt.Sprintf("Could not %s: %v", opText(e.Op), e.Err)
}
