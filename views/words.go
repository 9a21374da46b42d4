package views

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"io/fs"
	"net"
	"strings"
	"syscall"
	"time"

	"fyne.io/fyne/v2/lang"
	"golang.org/x/oauth2"
	"mellium.im/xmpp/stanza"
	"mellium.im/xmpp/stream"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	pictures "github.com/palaver-im/palaver/app/avatar"
	"github.com/palaver-im/palaver/app/certs"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/media"
	"github.com/palaver-im/palaver/app/saslauth"
	"github.com/palaver-im/palaver/app/vcard"
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
		// Not the server's word: no password could be found locally. Text
		// is the core's English, for the log.
		return lang.L("Enter the password of this account to sign in.")
	case "not-authorized", "":
		msg = lang.L("The server rejected the user name or password.")
	case "account-disabled":
		msg = lang.L("This account is disabled on the server.")
	case "credentials-expired":
		msg = lang.L("The password has expired; change it with your provider.")
	case "encryption-required", "mechanism-too-weak":
		msg = lang.L("The server does not accept the way Palaver signs in. Ask its administrator which sign-in methods it allows.")
	case "temporary-auth-failure":
		msg = lang.L("The server could not check the password right now; try again later.")
	default:
		msg = lang.L("The server refused the sign-in. Try again; if it keeps happening, tell the server's administrator.")
	}
	if e.Text != "" {
		msg += " " + lang.L("The server said: {{.Text}}", map[string]any{"Text": e.Text})
	}
	return msg
}

// signInRequiredText words an OAuth account whose authorization is gone,
// or that never signed in here: then it does not say "again".
func signInRequiredText(e app.SignInRequired) string {
	if e.Err == nil || errors.Is(e.Err, account.ErrNotSignedIn) || errors.Is(e.Err, account.ErrSignedOut) ||
		e.Err.Error() == "not signed in" { // not translated: the core's words for an account without tokens
		return lang.L("This account is not signed in. Sign in in your browser to use it.")
	}
	if reason := signInReason(e.Err); reason != "" {
		return lang.L("The sign-in of this account no longer holds: {{.Reason}}. Sign in again in your browser to use it.", map[string]any{"Reason": reason})
	}
	return lang.L("The sign-in of this account no longer holds. Sign in again in your browser to use it.")
}

// signInReason words why a sign-in no longer holds: the error behind
// account.ErrSignInAgain, "" when there is nothing more to say.
func signInReason(err error) string {
	if !errors.Is(err, account.ErrSignInAgain) {
		return errorText(err)
	}
	if err == account.ErrSignInAgain {
		return ""
	}
	if u, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range u.Unwrap() {
			if e != account.ErrSignInAgain {
				return signInReason(e)
			}
		}
		return ""
	}
	if u, ok := err.(interface{ Unwrap() error }); ok && u.Unwrap() != account.ErrSignInAgain {
		return signInReason(u.Unwrap())
	}
	// ErrSignInAgain's own words, then the reason in English.
	return clipRunes(plainLine(strings.TrimPrefix(err.Error(), account.ErrSignInAgain.Error()+": ")), 200)
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
// it was about and the error.
type failData struct{ Address, Error string }

// commandFailedText words a command the core could not carry out: one
// sentence for each command, with the address it was about when there is
// one, so that each language can put the words in its own order.
func commandFailedText(e app.CommandFailed) string {
	d := failData{Address: e.JID, Error: errorText(e.Err)}
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
	return lang.L("Could not do that: {{.Error}}", d)
}

// errorText words err for the user: what went wrong, as a phrase that the
// sentences around it ("Could not add contact …: {{.Error}}") finish. It
// knows the errors of the core and of the account package, stanza and
// stream errors (RFC 6120 §8.3.3, §4.9.3), certificates, the network and
// files; an error it does not know keeps its own words, on one line. The
// words name no protocol condition and hold no parentheses, so that the
// sentence around them may.
func errorText(err error) string {
	if err == nil {
		return ""
	}
	if s := knownErrorText(err); s != "" {
		return s
	}
	return clipRunes(plainLine(err.Error()), 200)
}

// wordedError is err with errorText's words, for what shows an error
// itself (an entry's validator); nil stays nil.
func wordedError(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(errorText(err))
}

// knownErrorText is errorText's words for the errors it knows, "" for
// the others.
func knownErrorText(err error) string {
	var (
		untrusted *certs.UntrustedError
		settings  *account.SettingsError
		authErr   *account.AuthError
		retrieve  *oauth2.RetrieveError
		se        stanza.Error
		streamErr stream.Error
		nomech    *saslauth.NoMechanismError
		verify    *saslauth.VerifyError
		bearer    *saslauth.BearerError
		failure   *saslauth.Failure
		tooLarge  *app.FileTooLargeError
		upStatus  *app.UploadStatusError
		mediaSt   *media.StatusError
		dns       *net.DNSError
		x509Err   x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		tlsAlert  tls.AlertError
		tlsRecord tls.RecordHeaderError
		netErr    net.Error
	)
	switch {
	case errors.As(err, &untrusted):
		return lang.L("the server's certificate is not trusted: {{.Reason}}", map[string]any{"Reason": certReasonText(untrusted.Info)})
	case errors.As(err, &settings):
		return settingsErrorText(settings)
	case errors.As(err, &authErr) && authErr.Code == "access_denied": // not translated: an OAuth error code
		return lang.L("access was denied in the browser")
	case errors.As(err, &authErr) && authErr.Description != "":
		return lang.L("the provider refused the sign-in and said “{{.Text}}”", map[string]any{"Text": clipRunes(plainLine(authErr.Description), 200)})
	case errors.As(err, &authErr):
		return lang.L("the provider refused the sign-in")
	case errors.Is(err, account.ErrTimeout):
		return lang.L("the sign-in in the browser did not finish in time")
	case errors.Is(err, account.ErrIssuerMismatch):
		return lang.L("the answer came from another sign-in server than the one Palaver asked, so Palaver did not use it")
	case errors.Is(err, account.ErrStateMismatch):
		return lang.L("the browser came back with an answer that does not belong to this sign-in")
	case errors.Is(err, account.ErrMissingCode):
		return lang.L("the provider sent the browser back without letting Palaver sign in")
	case errors.Is(err, account.ErrNoLoopback):
		return lang.L("Palaver cannot receive the browser's answer on this computer")
	case errors.Is(err, account.ErrNotSignedIn), errors.Is(err, account.ErrSignedOut):
		return lang.L("the account is not signed in")
	case errors.Is(err, account.ErrKeychainTimeout):
		return lang.L("the keychain did not answer; it may be locked, so unlock it and try again")
	case errors.Is(err, account.ErrNoSecret):
		return lang.L("nothing is stored for this account in the keychain")
	case errors.Is(err, account.ErrRedirected):
		return lang.L("the sign-in server answered in a way Palaver does not follow")
	case errors.Is(err, account.ErrNoIssuer):
		return lang.L("no sign-in server is known for this account yet")
	case errors.As(err, &retrieve) && retrieve.ErrorCode == "invalid_grant": // not translated: an OAuth error code
		return lang.L("the provider no longer accepts this sign-in")
	case errors.As(err, &retrieve):
		return lang.L("the provider's sign-in server refused the request")
	case errors.Is(err, account.ErrSignInAgain):
		return lang.L("the sign-in is no longer valid")
	case errors.As(err, &se):
		return stanzaErrorText(se)
	case errors.As(err, &streamErr):
		return streamErrorText(streamErr)
	case errors.As(err, &nomech):
		return lang.L("the server offers no sign-in method Palaver can use")
	case errors.As(err, &verify) && verify.Reason == saslauth.BadIterations:
		return lang.L("the server asked for unsafe password settings")
	case errors.As(err, &verify) && verify.Reason == saslauth.Downgrade:
		return lang.L("the list of sign-in methods was changed on its way from the server")
	case errors.As(err, &verify):
		return lang.L("the server did not prove that it knows your password")
	case errors.As(err, &bearer), errors.As(err, &failure):
		return lang.L("the server refused the sign-in")
	case errors.Is(err, app.ErrNoUploadService):
		return lang.L("your server does not take files")
	case errors.Is(err, app.ErrUploadCanceled):
		return lang.L("it was canceled")
	case errors.Is(err, app.ErrUploadQuota):
		return lang.L("your server has no room left for files")
	case errors.Is(err, app.ErrUploadRefused):
		return lang.L("your server does not let this account send files")
	case errors.As(err, &tooLarge):
		return lang.L("the file is {{.Size}}, and your server accepts files up to {{.Max}}", map[string]any{"Size": sizeText(tooLarge.Size), "Max": sizeText(tooLarge.Max)})
	case errors.As(err, &upStatus):
		return lang.L("the upload server answered with error {{.Status}}", map[string]any{"Status": upStatus.Status})
	case errors.As(err, &mediaSt):
		return lang.L("the web server answered with error {{.Status}}", map[string]any{"Status": mediaSt.Code})
	case errors.Is(err, app.ErrNotHTTPS):
		return lang.L("only secure links are downloaded")
	case errors.Is(err, app.ErrMediaTooLarge):
		return lang.L("the file is too large")
	case errors.Is(err, app.ErrNoRoomService):
		return lang.L("your server offers no group chats")
	case errors.Is(err, history.ErrNewerSchema):
		return lang.L("the message history was written by a newer version of Palaver")
	case errors.Is(err, history.ErrNotArchive):
		return lang.L("the message history file is damaged")
	case errors.Is(err, history.ErrClosed):
		return lang.L("the message history is closed")
	case errors.Is(err, pictures.ErrTooLarge), errors.Is(err, vcard.ErrPhotoTooLarge):
		return lang.L("the picture is too large")
	case errors.Is(err, pictures.ErrTooManyPixels):
		return lang.L("the picture has too many pixels")
	case errors.Is(err, pictures.ErrNotImage):
		return lang.L("it is not a PNG, JPEG or GIF picture")
	case errors.Is(err, pictures.ErrCorrupt), errors.Is(err, vcard.ErrBadPhoto):
		return lang.L("the picture is damaged")
	case errors.As(err, &x509Err), errors.As(err, &hostErr), errors.As(err, &invalid):
		return lang.L("the server's certificate is not trusted")
	case errors.As(err, &dns) && dns.IsNotFound:
		return lang.L("the server {{.Name}} was not found; check the address and your internet connection", map[string]any{"Name": clipRunes(plainLine(dns.Name), 100)})
	case errors.As(err, &dns):
		return lang.L("the server's name could not be looked up; check your internet connection")
	case errors.Is(err, syscall.ECONNREFUSED):
		return lang.L("the server refused the connection; it may be down, so try again later")
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETDOWN):
		return lang.L("the server cannot be reached; check your internet connection")
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE):
		return lang.L("the connection was cut off")
	case errors.As(err, &tlsAlert), errors.As(err, &tlsRecord):
		return lang.L("a secure connection to the server could not be set up")
	case errors.Is(err, context.Canceled):
		return lang.L("it was canceled")
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return lang.L("the server did not answer in time; try again later")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return lang.L("the server closed the connection")
	case errors.Is(err, fs.ErrNotExist):
		return lang.L("the file does not exist")
	case errors.Is(err, fs.ErrPermission):
		return lang.L("Palaver may not use that file")
	}
	return coreErrorText(err)
}

// coreErrorText words the core's connection, sign-in and command errors,
// "" for others.
func coreErrorText(err error) string {
	switch {
	case errors.Is(err, app.ErrStalled):
		return lang.L("the server stopped answering")
	case errors.Is(err, app.ErrConnectionClosed):
		return lang.L("the server closed the connection")
	case errors.Is(err, app.ErrNotConnected):
		return lang.L("the account is not connected; try again once it is online")
	case errors.Is(err, app.ErrNotJoined):
		return lang.L("you are not in the room; join it first")
	case errors.Is(err, app.ErrSignInTooLong), errors.Is(err, app.ErrStoppedAnswering):
		return lang.L("the server did not answer in time; try again later")
	case errors.Is(err, app.ErrSessionNotSignedIn):
		return lang.L("the server started the session without signing you in")
	case errors.Is(err, app.ErrSessionNotBound):
		return lang.L("the server started the session without giving this device an address")
	case errors.Is(err, app.ErrInvalidAddress):
		return lang.L("the address is not valid")
	case errors.Is(err, app.ErrUnexplained):
		return stanzaErrorText(stanza.Error{Condition: stanza.UndefinedCondition})
	}
	return ""
}

// stanzaErrorText words a stanza error by its condition (RFC 6120
// §8.3.3), with the text the server gave, if any.
func stanzaErrorText(e stanza.Error) string {
	var msg string
	switch e.Condition {
	case stanza.BadRequest:
		msg = lang.L("the server did not understand the request")
	case stanza.Conflict:
		msg = lang.L("that name is already taken")
	case stanza.FeatureNotImplemented:
		msg = lang.L("the other side does not support this")
	case stanza.Forbidden:
		msg = lang.L("you are not allowed to do that")
	case stanza.Gone:
		msg = lang.L("the address no longer exists")
	case stanza.InternalServerError:
		msg = lang.L("the server had a problem of its own; try again later")
	case stanza.ItemNotFound:
		msg = lang.L("the server does not know that address")
	case stanza.JIDMalformed:
		msg = lang.L("the address is not valid")
	case stanza.NotAcceptable:
		msg = lang.L("the server did not accept what was sent")
	case stanza.NotAllowed:
		msg = lang.L("nobody is allowed to do that here")
	case stanza.NotAuthorized:
		msg = lang.L("you need permission first, such as a password")
	case stanza.PolicyViolation:
		msg = lang.L("the server's rules do not allow that")
	case stanza.RecipientUnavailable:
		msg = lang.L("the recipient is not online and the server keeps no messages for them")
	case stanza.Redirect:
		msg = lang.L("the address has moved")
	case stanza.RegistrationRequired:
		msg = lang.L("you need to register first, for example as a member")
	case stanza.RemoteServerNotFound:
		msg = lang.L("the other person's server could not be found")
	case stanza.RemoteServerTimeout:
		msg = lang.L("the other person's server did not answer in time; try again later")
	case stanza.ResourceConstraint:
		msg = lang.L("the server is too busy right now; try again later")
	case stanza.ServiceUnavailable:
		msg = lang.L("the service is not available")
	case stanza.SubscriptionRequired:
		msg = lang.L("you need to see the contact's status first; ask them to allow it")
	case stanza.UnexpectedRequest:
		msg = lang.L("the request came at the wrong time")
	default:
		msg = lang.L("the server refused without saying why")
	}
	text := e.Text[""]
	if text == "" {
		for _, t := range e.Text {
			text = t
			break
		}
	}
	if text = clipRunes(plainLine(text), 200); text != "" {
		msg = lang.L("{{.Reason}}; the server said “{{.Text}}”", map[string]any{"Reason": msg, "Text": text})
	}
	return msg
}

// streamErrorText words the error that ended a connection (RFC 6120
// §4.9.3).
func streamErrorText(e stream.Error) string {
	switch e.Err {
	case "conflict": // not translated: a condition
		return lang.L("this account signed in elsewhere under the same device name, which took over the connection")
	case "system-shutdown": // not translated: a condition
		return lang.L("the server is shutting down")
	case "connection-timeout": // not translated: a condition
		return lang.L("the server closed the idle connection")
	case "host-unknown", "host-gone": // not translated: conditions
		return lang.L("the server does not serve this address")
	case "policy-violation": // not translated: a condition
		return lang.L("the server's rules ended the connection")
	case "resource-constraint": // not translated: a condition
		return lang.L("the server is too busy right now; try again later")
	case "not-authorized": // not translated: a condition
		return lang.L("the server ended the connection before signing in")
	}
	return lang.L("the server ended the connection")
}

// certReasonText words why a certificate is not trusted.
func certReasonText(c certs.Info) string {
	switch c.Problem {
	case certs.NoCertificate:
		return lang.L("the server sent no certificate")
	case certs.SelfSigned:
		return lang.L("it is self-signed, and no authority you trust vouches for it")
	case certs.UnknownAuthority:
		return lang.L("it was issued by an authority you do not trust")
	case certs.WrongName:
		return lang.L("it is not valid for {{.Host}}", map[string]any{"Host": escapedLine(c.Host)})
	case certs.Expired:
		return lang.L("it expired on {{.Date}}", map[string]any{"Date": c.NotAfter.Format(time.DateOnly)})
	case certs.NotYetValid:
		return lang.L("it is only valid from {{.Date}}", map[string]any{"Date": c.NotBefore.Format(time.DateOnly)})
	}
	return clipRunes(escapedLine(c.Reason), 200)
}

// settingsErrorText words a problem with an account's settings.
func settingsErrorText(e *account.SettingsError) string {
	d := map[string]any{"Value": clipRunes(escapedLine(e.Value), 100), "Domain": clipRunes(escapedLine(e.Domain), 100), "Field": settingsFieldText(e.Field)} // not translated: placeholder names
	p, named := account.ProviderByID(e.Provider)
	if named {
		d["Provider"], d["ClientID"] = p.Name, clientIDWord(p) // not translated: placeholder names
		if p.Discovery {
			// The preset's name is a choice in a list, not a name to
			// register with.
			d["Provider"] = lang.L("your server's sign-in service") // not translated: a placeholder name
		}
	}
	switch e.Problem {
	case account.ProblemNoAddress:
		return lang.L("enter the address of the account, such as name@example.org")
	case account.ProblemBadAddress:
		return lang.L("“{{.Value}}” is not a valid address; write it as name@example.org", d)
	case account.ProblemNoUserName:
		return lang.L("“{{.Value}}” has no user name; write it as name@{{.Domain}}", d)
	case account.ProblemEmptyDomainPart:
		return lang.L("“{{.Value}}” is not a valid address: its server name {{.Domain}} has an empty part", d)
	case account.ProblemPortRange:
		return lang.L("the port {{.Value}} does not exist; ports go from 1 to 65535", d)
	case account.ProblemPortWithoutHost:
		return lang.L("a port needs a server; enter the server too, or leave both empty")
	case account.ProblemUnknownAuth:
		return lang.L("the sign-in method “{{.Value}}” is unknown", d)
	case account.ProblemNoProvider:
		return lang.L("choose where the account signs in")
	case account.ProblemUnknownProvider:
		return lang.L("the sign-in provider “{{.Value}}” is unknown", d)
	case account.ProblemNoClientID:
		if named {
			return lang.L("the {{.ClientID}} is empty: register Palaver with {{.Provider}} and enter its {{.ClientID}}", d)
		}
	case account.ProblemNoClientSecret:
		if named {
			return lang.L("{{.Provider}} also needs the secret of the app", d)
		}
	case account.ProblemHalfEndpoints:
		return lang.L("enter both the authorization and the token endpoint, or an issuer URL, or neither to ask the server")
	case account.ProblemUnknownMechanism:
		return lang.L("the sign-in mechanism “{{.Value}}” is unknown", d)
	case account.ProblemBadURL:
		return lang.L("the {{.Field}} “{{.Value}}” is not a valid web address", d)
	case account.ProblemURLNoHost:
		return lang.L("the {{.Field}} “{{.Value}}” names no server", d)
	case account.ProblemURLUserInfo:
		return lang.L("the {{.Field}} “{{.Value}}” must not hold a user name or password", d)
	case account.ProblemURLFragment:
		return lang.L("the {{.Field}} “{{.Value}}” must not have a part after #", d)
	case account.ProblemURLNotHTTPS:
		return lang.L("the {{.Field}} “{{.Value}}” must use https", d)
	case account.ProblemIssuerQuery:
		return lang.L("the issuer URL “{{.Value}}” must not have a part after ?", d)
	case account.ProblemNotIssuerURL:
		return lang.L("“{{.Value}}” is neither an issuer URL nor the address of an OpenID configuration", d)
	case account.ProblemEmptyScope:
		return lang.L("a scope is empty")
	case account.ProblemBadScope:
		return lang.L("the scope “{{.Value}}” has a character scopes cannot hold; separate scopes with spaces", d)
	}
	return clipRunes(plainLine(e.Error()), 200)
}

// settingsFieldText names a field of account.SettingsError.
func settingsFieldText(f string) string {
	switch f {
	case account.FieldIssuer:
		return lang.L("issuer URL")
	case account.FieldAuthURL:
		return lang.L("authorization URL")
	case account.FieldTokenURL:
		return lang.L("token URL")
	case account.FieldRevocation:
		return lang.L("revocation URL")
	}
	return lang.L("address")
}
