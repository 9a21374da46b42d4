package views

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"mellium.im/xmpp/stanza"
	"mellium.im/xmpp/stream"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	pictures "github.com/palaver-im/palaver/app/avatar"
	"github.com/palaver-im/palaver/app/certs"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/media"
	"github.com/palaver-im/palaver/app/saslauth"
	"github.com/palaver-im/palaver/app/vcard"
)

// stanzaConditions are the stanza error conditions of RFC 6120 §8.3.3.
var stanzaConditions = []stanza.Condition{
	stanza.BadRequest, stanza.Conflict, stanza.FeatureNotImplemented, stanza.Forbidden, stanza.Gone,
	stanza.InternalServerError, stanza.ItemNotFound, stanza.JIDMalformed, stanza.NotAcceptable,
	stanza.NotAllowed, stanza.NotAuthorized, stanza.PolicyViolation, stanza.RecipientUnavailable,
	stanza.Redirect, stanza.RegistrationRequired, stanza.RemoteServerNotFound, stanza.RemoteServerTimeout,
	stanza.ResourceConstraint, stanza.ServiceUnavailable, stanza.SubscriptionRequired,
	stanza.UndefinedCondition, stanza.UnexpectedRequest,
}

// streamConditions are the stream error conditions of RFC 6120 §4.9.3.
var streamConditions = []stream.Error{
	stream.BadFormat, stream.BadNamespacePrefix, stream.Conflict, stream.ConnectionTimeout, stream.HostGone,
	stream.HostUnknown, stream.ImproperAddressing, stream.InternalServerError, stream.InvalidFrom,
	stream.InvalidNamespace, stream.InvalidXML, stream.NotAuthorized, stream.NotWellFormed,
	stream.PolicyViolation, stream.RemoteConnectionFailed, stream.Reset, stream.ResourceConstraint,
	stream.RestrictedXML, stream.SeeOtherHost, stream.SystemShutdown, stream.UndefinedCondition,
	stream.UnsupportedEncoding, stream.UnsupportedFeature, stream.UnsupportedStanzaType,
	stream.UnsupportedVersion,
}

// jargon are words of protocols that no worded error may show: the
// conditions of stanza, stream and SASL errors (RFC 6120 §6.5) and OAuth
// error codes.
func jargon() []string {
	var out []string
	for _, c := range stanzaConditions {
		out = append(out, string(c))
	}
	for _, c := range streamConditions {
		out = append(out, c.Err)
	}
	return append(out, "account-disabled", "credentials-expired", "encryption-required", "mechanism-too-weak",
		"temporary-auth-failure", "invalid-mechanism", "malformed-request", "access_denied", "invalid_grant",
		"SASL", "SCRAM", "XEP", "HTTP", "disco", "stanza", "ping", "errno", "dial tcp", "x509", "tls:")
}

// errorCases are the errors errorText knows, each with words of what it
// must say.
func errorCases() []struct {
	err  error
	want string
} {
	now := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	return []struct {
		err  error
		want string
	}{
		// The core.
		{app.ErrNoUploadService, "your server does not take files"},
		{app.ErrUploadCanceled, "it was canceled"},
		{app.ErrUploadQuota, "no room left for files"},
		{app.ErrUploadRefused, "does not let this account send files"},
		{&app.FileTooLargeError{Size: 3_000_000, Max: 1_000_000}, "the file is 3.0 MB, and your server accepts files up to 1.0 MB"},
		{&app.UploadStatusError{Status: 500}, "the upload server answered with error 500"},
		{&media.StatusError{Code: 502}, "the web server answered with error 502"},
		{app.ErrNotHTTPS, "only secure links are downloaded"},
		{app.ErrMediaTooLarge, "the file is too large"},
		{app.ErrNoRoomService, "your server offers no group chats"},
		{fmt.Errorf("opening: %w", history.ErrNewerSchema), "newer version of Palaver"},
		{history.ErrNotArchive, "the message history file is damaged"},
		{history.ErrClosed, "the message history is closed"},
		{pictures.ErrTooLarge, "the picture is too large"},
		{vcard.ErrPhotoTooLarge, "the picture is too large"},
		{pictures.ErrTooManyPixels, "too many pixels"},
		{pictures.ErrNotImage, "not a PNG, JPEG or GIF picture"},
		{pictures.ErrCorrupt, "the picture is damaged"},
		{vcard.ErrBadPhoto, "the picture is damaged"},
		// The core's connection, sign-in and command errors, by type: the
		// same words however they are wrapped.
		{fmt.Errorf("%w: the server did not answer a ping within 10s", app.ErrStalled), "the server stopped answering"},
		{fmt.Errorf("reconnecting: %w", app.ErrStalled), "the server stopped answering"},
		{app.ErrConnectionClosed, "the server closed the connection"},
		{fmt.Errorf("x: %w", app.ErrConnectionClosed), "the server closed the connection"},
		{app.ErrNotConnected, "not connected; try again once it is online"},
		{fmt.Errorf("x: %w", app.ErrNotConnected), "not connected; try again once it is online"},
		{app.ErrNotJoined, "you are not in the room; join it first"},
		{fmt.Errorf("x: %w", app.ErrNotJoined), "you are not in the room; join it first"},
		{app.ErrSignInTooLong, "did not answer in time"},
		{fmt.Errorf("%w for 30s while signing in", app.ErrStoppedAnswering), "did not answer in time"},
		{fmt.Errorf("x: %w", app.ErrSessionNotSignedIn), "the server started the session without signing you in"},
		{app.ErrSessionNotBound, "the server started the session without giving this device an address"},
		{fmt.Errorf("%w: %w", app.ErrInvalidAddress, errors.New("jid: bad")), "the address is not valid"},
		{app.ErrUnexplained, "the server refused without saying why"},
		{fmt.Errorf("x: %w", app.ErrUnexplained), "the server refused without saying why"},
		// Stanza errors, as the core passes them on.
		{stanza.Error{Condition: stanza.RecipientUnavailable}, "the recipient is not online and the server keeps no messages for them"},
		{fmt.Errorf("joining: %w", stanza.Error{Condition: stanza.Conflict}), "that name is already taken"},
		{stanza.Error{Condition: stanza.RegistrationRequired, Text: map[string]string{"": "Members only"}}, "you need to register first, for example as a member; the server said “Members only”"},
		{stanza.Error{Condition: "made-up"}, "the server refused without saying why"},
		// Stream errors.
		{stream.Conflict, "signed in elsewhere under the same device name"},
		{fmt.Errorf("signed out: %w", stream.SystemShutdown), "the server is shutting down"},
		{stream.UnsupportedVersion, "the server ended the connection"},
		// Sign-in.
		{&saslauth.NoMechanismError{Offered: []string{"X-MAGIC"}}, "the server offers no sign-in method Palaver can use"},
		{&saslauth.VerifyError{Reason: saslauth.BadServerProof}, "did not prove that it knows your password"},
		{&saslauth.VerifyError{Reason: saslauth.BadIterations}, "unsafe password settings"},
		{&saslauth.VerifyError{Reason: saslauth.Downgrade}, "the list of sign-in methods was changed"},
		{&saslauth.Failure{Condition: "not-authorized", Err: &saslauth.BearerError{Status: "invalid_token"}}, "the server refused the sign-in"},
		{&account.AuthError{Code: "access_denied"}, "access was denied in the browser"},
		{&account.AuthError{Code: "server_error", Description: "try later"}, "the provider refused the sign-in and said “try later”"},
		{&account.AuthError{Code: "server_error"}, "the provider refused the sign-in"},
		{fmt.Errorf("%w (waited 5m0s)", account.ErrTimeout), "did not finish in time"},
		{account.ErrStateMismatch, "does not belong to this sign-in"},
		{account.ErrMissingCode, "without letting Palaver sign in"},
		{fmt.Errorf("%w: it names the issuer x", account.ErrIssuerMismatch), "another sign-in server"},
		{account.ErrNoLoopback, "cannot receive the browser's answer"},
		{fmt.Errorf("%w: %w", account.ErrSignInAgain, account.ErrNotSignedIn), "the account is not signed in"},
		{account.ErrSignedOut, "the account is not signed in"},
		{fmt.Errorf("reading the keychain: %w within 5s", account.ErrKeychainTimeout), "it may be locked, so unlock it and try again"},
		{account.ErrNoSecret, "nothing is stored"},
		{account.ErrRedirected, "answered in a way Palaver does not follow"},
		{account.ErrNoIssuer, "no sign-in server is known"},
		{&oauth2.RetrieveError{ErrorCode: "invalid_grant"}, "the provider no longer accepts this sign-in"},
		{&oauth2.RetrieveError{ErrorCode: "invalid_client"}, "refused the request"},
		{account.ErrSignInAgain, "the sign-in is no longer valid"},
		// Certificates.
		{&certs.UntrustedError{Info: certs.Info{Problem: certs.SelfSigned}}, "not trusted: it is self-signed, and no authority you trust vouches for it"},
		{&certs.UntrustedError{Info: certs.Info{Problem: certs.UnknownAuthority}}, "issued by an authority you do not trust"},
		{&certs.UntrustedError{Info: certs.Info{Problem: certs.WrongName, Host: "example.org"}}, "it is not valid for example.org"},
		{&certs.UntrustedError{Info: certs.Info{Problem: certs.Expired, NotAfter: now}}, "it expired on 2026-03-14"},
		{&certs.UntrustedError{Info: certs.Info{Problem: certs.NotYetValid, NotBefore: now}}, "it is only valid from 2026-03-14"},
		{&certs.UntrustedError{Info: certs.Info{Problem: certs.NoCertificate}}, "the server sent no certificate"},
		// The network.
		{&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "xmpp.example", IsNotFound: true}}, "the server xmpp.example was not found; check the address"},
		{&net.DNSError{Err: "server misbehaving", Name: "x"}, "could not be looked up"},
		{&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, "the server refused the connection"},
		{&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ENETUNREACH)}, "cannot be reached; check your internet connection"},
		{&net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, "the connection was cut off"},
		{fmt.Errorf("handshake: %w", tls.AlertError(40)), "a secure connection to the server could not be set up"},
		{&net.OpError{Op: "dial", Err: timeoutError{}}, "did not answer in time"},
		{context.DeadlineExceeded, "did not answer in time"},
		{fmt.Errorf("sign-in canceled: %w", context.Canceled), "it was canceled"},
		{io.ErrUnexpectedEOF, "the server closed the connection"},
		{&fs.PathError{Op: "open", Path: "/x", Err: fs.ErrNotExist}, "the file does not exist"},
		{&fs.PathError{Op: "open", Path: "/x", Err: fs.ErrPermission}, "Palaver may not use that file"},
		// Settings.
		{errOf(account.ParseJID("")), "enter the address of the account"},
		{errOf(account.ParseJID("example.org")), "“example.org” has no user name; write it as name@example.org"},
		{errOf(account.ParseJID("a@b..c")), "its server name b..c has an empty part"},
		{errOf(account.ParseJID("a@b@c")), "“a@b@c” is not a valid address"},
		{account.Account{JID: "a@b.c", Host: "h", Port: 99999}.Validate(), "the port 99999 does not exist"},
		{account.Account{JID: "a@b.c", Port: 5222}.Validate(), "a port needs a server"},
		{account.OAuthSettings{}.Validate(), "choose where the account signs in"},
		{account.OAuthSettings{Provider: account.ProviderGeneric}.Validate(), "the client ID is empty: register Palaver with your server's sign-in service and enter its client ID"},
		{account.OAuthSettings{Provider: account.ProviderGeneric, ClientID: "x", Issuer: "http://auth.example"}.Validate(),
			"the issuer URL “http://auth.example” must use https"},
		{account.OAuthSettings{Provider: account.ProviderGeneric, ClientID: "x", AuthURL: "https://a.example#x", TokenURL: "https://a.example/t"}.Validate(),
			"the authorization URL “https://a.example#x” must not have a part after #"},
		{account.OAuthSettings{Provider: account.ProviderGeneric, ClientID: "x", AuthURL: "https://a.example/a"}.Validate(), "enter both"},
		{account.OAuthSettings{Provider: account.ProviderGeneric, ClientID: "x", Scopes: []string{""}}.Validate(), "a scope is empty"},
	}
}

func errOf[T any](_ T, err error) error { return err }

// timeoutError is a network error that timed out.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// TestErrorText: each error Palaver knows has words of its own, with no
// protocol condition, no jargon and no parentheses in them.
func TestErrorText(t *testing.T) {
	words := jargon()
	for i, tc := range errorCases() {
		if tc.err == nil {
			t.Errorf("%d: no error to word (want %q)", i, tc.want)
			continue
		}
		got := errorText(tc.err)
		if !strings.Contains(got, tc.want) {
			t.Errorf("%d: errorText(%v) = %q, want %q in it", i, tc.err, got, tc.want)
		}
		if strings.ContainsAny(got, "()") {
			t.Errorf("%d: errorText(%v) = %q has parentheses", i, tc.err, got)
		}
		for _, w := range words {
			if strings.Contains(got, w) {
				t.Errorf("%d: errorText(%v) = %q shows %q", i, tc.err, got, w)
			}
		}
	}
}

// TestEveryConditionWorded: each stanza error condition has words of its
// own, and none names its condition; so do the stream errors the core
// ends a connection with.
func TestEveryConditionWorded(t *testing.T) {
	seen := map[string]stanza.Condition{}
	for _, c := range stanzaConditions {
		got := errorText(stanza.Error{Condition: c})
		if prev, ok := seen[got]; ok && c != stanza.UndefinedCondition {
			t.Errorf("%s is worded like %s: %q", c, prev, got)
		}
		seen[got] = c
		for _, w := range jargon() {
			if strings.Contains(got, w) {
				t.Errorf("%s: %q shows %q", c, got, w)
			}
		}
	}
	for _, c := range streamConditions {
		if got := errorText(c); strings.Contains(got, c.Err) || strings.ContainsAny(got, "()") {
			t.Errorf("stream %s: %q", c.Err, got)
		}
	}
}

// TestErrorTextFallsBack: an error errorText does not know keeps its own
// words, on one line and clipped; none is no words.
func TestErrorTextFallsBack(t *testing.T) {
	if got := errorText(errors.New("something odd")); got != "something odd" {
		t.Errorf("unknown: %q", got)
	}
	// The core's errors are known by type, not by their English text.
	if got := errorText(errors.New("not connected")); got != "not connected" {
		t.Errorf("the core's text without its error: %q", got)
	}
	if got := errorText(errors.New("two\nlines")); strings.Contains(got, "\n") {
		t.Errorf("not one line: %q", got)
	}
	if got := errorText(errors.New(strings.Repeat("x", 500))); len([]rune(got)) > 201 {
		t.Errorf("not clipped: %d runes", len([]rune(got)))
	}
	if got := errorText(nil); got != "" {
		t.Errorf("nil: %q", got)
	}
	if wordedError(nil) != nil {
		t.Error("wordedError(nil) is not nil")
	}
	if got := wordedError(app.ErrNoRoomService).Error(); got != "your server offers no group chats" {
		t.Errorf("wordedError: %q", got)
	}
}

// TestErrorTextGerman: the words are German with LANGUAGE=de, also inside
// the sentences that carry them.
func TestErrorTextGerman(t *testing.T) {
	useLanguage(t, "de")
	for i, tc := range []struct {
		err  error
		want string
	}{
		0: {fmt.Errorf("sending: %w", stanza.Error{Condition: stanza.RecipientUnavailable}), "der Empfänger ist nicht online, und der Server bewahrt keine Nachrichten für ihn auf"},
		1: {&certs.UntrustedError{Info: certs.Info{Problem: certs.SelfSigned}}, "dem Zertifikat des Servers wird nicht vertraut: es ist selbst signiert"},
		2: {fmt.Errorf("%w: the server did not answer a ping within 10s", app.ErrStalled), "der Server hat aufgehört zu antworten"},
		3: {errOf(account.ParseJID("x")), "„x“ hat keinen Benutzernamen; schreiben Sie sie als name@x"},
		4: {&net.DNSError{Err: "no such host", Name: "xmpp.example", IsNotFound: true}, "der Server xmpp.example wurde nicht gefunden"},
		5: {errors.New("something odd"), "something odd"},
	} {
		if got := errorText(tc.err); !strings.Contains(got, tc.want) {
			t.Errorf("%d: %q, want %q in it", i, got, tc.want)
		}
	}
	now := time.Date(2026, 3, 14, 15, 30, 0, 0, time.UTC)
	stall := fmt.Errorf("%w: the server did not answer a ping within 10s", app.ErrStalled)
	if got, want := waitingText(stall, now.Add(8*time.Second), now), "Getrennt: der Server hat aufgehört zu antworten. Neuer Verbindungsversuch in 8 s…"; got != want {
		t.Errorf("banner: %q, want %q", got, want)
	}
	e := app.CommandFailed{Op: app.OpAddContact, JID: "bob@example.org", Err: fmt.Errorf("refused: %w", stanza.Error{Condition: stanza.NotAllowed})}
	if got := commandFailedText(e); !strings.Contains(got, "das darf hier niemand") || strings.Contains(got, "not-allowed") {
		t.Errorf("command: %q", got)
	}
	if got := certReasonText(certs.Info{Problem: certs.WrongName, Host: "example.org"}); got != "es gilt nicht für example.org" {
		t.Errorf("certificate: %q", got)
	}
}
