package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmpp"
	"mellium.im/xmpp/dial"
	"mellium.im/xmpp/jid"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app/bind"
	"github.com/palaver-im/palaver/app/certs"
	"github.com/palaver-im/palaver/app/internal/xmllimit"
	"github.com/palaver-im/palaver/app/saslauth"
	"github.com/palaver-im/palaver/app/sm"
)

// fatalError marks a failure that waits for the user instead of being
// retried (wrong password, untrusted certificate, no usable mechanism).
type fatalError struct{ error }

func (e fatalError) Unwrap() error { return e.error }

func (r *runner) reportFatal(err error) {
	var (
		fail      *saslauth.Failure
		untrusted *certs.UntrustedError
		nopw      *passwordError
		signin    *signInError
		plain     *plainRefusedError
		verify    *saslauth.VerifyError
		unauthed  *unauthenticatedError
	)
	switch {
	case errors.As(err, &untrusted):
		r.emit(CertUntrusted{base: r.b(), Cert: untrusted.Info})
	case errors.As(err, &signin):
		// Before fail: a refused token wraps the SASL failure.
		r.emit(SignInRequired{base: r.b(), Err: signin.err})
	case errors.As(err, &fail):
		r.emit(AuthFailed{base: r.b(), Condition: fail.Condition, Text: fail.Text})
	case errors.As(err, &nopw):
		r.emit(AuthFailed{base: r.b(), Condition: ConditionNoPassword, Text: nopw.Error()})
	case errors.As(err, &plain):
		cond := ConditionPlainNotAllowed
		if plain.pinned {
			cond = ConditionPlainAfterSCRAM
		}
		r.emit(AuthFailed{base: r.b(), Condition: cond})
	case errors.As(err, &verify), errors.As(err, &unauthed):
		r.emit(AuthFailed{base: r.b(), Condition: ConditionServerNotVerified, Text: err.Error(), Err: err})
	}
}

// AuthFailed conditions that are Palaver's, not the server's.
const (
	// ConditionNoPassword: no password is known.
	ConditionNoPassword = "no-password"
	// ConditionPlainNotAllowed: the server offers only PLAIN (the password
	// itself), and the account does not allow it (account.Account.AllowPlain).
	ConditionPlainNotAllowed = "palaver-plain-not-allowed"
	// ConditionPlainAfterSCRAM: the server offers only PLAIN although SCRAM
	// worked for this account before: a downgrade, perhaps by an attacker.
	ConditionPlainAfterSCRAM = "palaver-plain-after-scram"
	// ConditionServerNotVerified: the server did not prove that it knows the
	// password, asked for an unsafe SCRAM iteration count, showed that its
	// list of mechanisms was changed on the way (XEP-0474), or ended sign-in
	// without authentication or binding. Text says which.
	ConditionServerNotVerified = "palaver-server-not-verified"
)

type passwordError struct{ err error }

func (e *passwordError) Error() string { return "no password: " + e.err.Error() }
func (e *passwordError) Unwrap() error { return e.err }

// signInError marks an OAuth account whose authorization is gone.
type signInError struct{ err error }

func (e *signInError) Error() string { return "sign in again: " + e.err.Error() }
func (e *signInError) Unwrap() error { return e.err }

// bindingRefused is a SASL failure of SCRAM with channel binding on a server
// that did not list its channel binding types (XEP-0440). Some servers offer
// SCRAM-*-PLUS and then fail the binding type the TLS version calls for
// (tls-unique under TLS 1.3, or no tls-exporter): that failure looks like a
// wrong password. Palaver tries once more without channel binding, unless
// binding worked for this account before (ChannelBindingPinned): then
// falling back would hand a man in the middle holding a trusted certificate
// exactly the downgrade that channel binding prevents.
type bindingRefused struct{ err error }

func (e *bindingRefused) Error() string { return e.err.Error() }
func (e *bindingRefused) Unwrap() error { return e.err }

// tokenRejected is a SASL failure with an OAuth access token.
type tokenRejected struct {
	token string
	err   error
}

func (e *tokenRejected) Error() string { return e.err.Error() }
func (e *tokenRejected) Unwrap() error { return e.err }

// credentials returns the secret and the SASL mechanisms to sign in with:
// the password with SCRAM or PLAIN, or an OAuth access token with the
// mechanism of the account's provider, never one the server picks.
func (r *runner) credentials(ctx context.Context, a account.Account) (string, []saslauth.Mechanism, error) {
	if !a.UsesOAuth() {
		password, err := r.password(ctx)
		if err != nil {
			return "", nil, fatalError{&passwordError{err}}
		}
		mechs := passwordMechanisms(a, r.scramPinned)
		if r.noBinding {
			mechs = slices.DeleteFunc(mechs, func(m saslauth.Mechanism) bool { return strings.HasSuffix(m.Name, "-PLUS") })
		}
		return password, mechs, nil
	}
	mech, err := oauthMechanism(a.OAuth)
	if err != nil {
		return "", nil, fatalError{err}
	}
	tokens := r.tokenSource()
	if tokens == nil {
		return "", nil, fatalError{&signInError{errors.New("not signed in")}}
	}
	tok, err := tokens.TokenContext(ctx)
	switch {
	case errors.Is(err, account.ErrSignInAgain), errors.Is(err, account.ErrSignedOut):
		return "", nil, fatalError{&signInError{err}}
	case err != nil:
		// The token endpoint is down or unreachable: try again later.
		return "", nil, fmt.Errorf("getting an access token: %w", err)
	}
	return tok.AccessToken, []saslauth.Mechanism{mech}, nil
}

// passwordMechanisms returns the SASL mechanisms of a password account, best
// first: SCRAM with channel binding (used only where it can work, see
// saslauth.Features), then SCRAM. PLAIN hands the password itself to whoever
// holds a certificate the client accepts, so it is offered only when the
// user allowed it for this account, and never again once SCRAM worked for
// it (XEP-0474 §6: pin the use of SCRAM; pinned says so for this run).
func passwordMechanisms(a account.Account, pinned bool) []saslauth.Mechanism {
	mechs := []sasl.Mechanism{sasl.ScramSha256Plus, sasl.ScramSha1Plus, sasl.ScramSha256, sasl.ScramSha1}
	if a.AllowPlain && !a.SCRAMPinned && !pinned {
		mechs = append(mechs, sasl.Plain)
	}
	return saslauth.Wrap(mechs...)
}

// oauthMechanism returns the SASL mechanism named by the settings.
func oauthMechanism(s account.OAuthSettings) (saslauth.Mechanism, error) {
	switch name := s.MechanismName(); name {
	case account.MechanismMessenger:
		return saslauth.XMessengerOAuth2, nil
	case account.MechanismGoogle:
		return saslauth.XOAuth2, nil
	case account.MechanismFacebook:
		return saslauth.XFacebookPlatform(s.ClientID), nil
	case account.MechanismOAuthBearer:
		return saslauth.OAuthBearer, nil
	default:
		return saslauth.Mechanism{}, fmt.Errorf("unknown sign-in mechanism %q", name)
	}
}

// connect dials, secures, authenticates and binds a session.
func (r *runner) connect(ctx context.Context) (*xmpp.Session, error) {
	ctx, stopAll := context.WithTimeoutCause(ctx, connectLimit, ErrSignInTooLong)
	defer stopAll()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var progress atomic.Int64
	progress.Store(time.Now().UnixNano())
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-tick.C:
				if now.Sub(time.Unix(0, progress.Load())) > connectTimeout {
					cancel(fmt.Errorf("%w for %v while signing in", ErrStoppedAnswering, connectTimeout))
					return
				}
			}
		}
	}()

	a := r.settings()
	if _, err := a.Address(); err != nil {
		return nil, fatalError{err}
	}
	if r.redirect != "" {
		host, port, err := net.SplitHostPort(r.redirect)
		if err != nil {
			host, port = r.redirect, "5222"
		}
		a.Host, a.DirectTLS = host, false
		a.Port, _ = strconv.Atoi(port)
	}
	secret, mechs, err := r.credentials(ctx, a)
	if err != nil {
		return nil, err
	}
	info := sessionInfo{sm: r.sm}
	sess, verifier, err := openSessionInfo(ctx, a, secret, mechs, &progress, &info)
	if err != nil && ctx.Err() != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(err, cause) {
			err = fmt.Errorf("%w: %w", cause, err)
		}
	}
	var unreachable *unreachableError
	switch {
	case err == nil:
		r.mechanism = info.mechanism
		if strings.HasSuffix(info.mechanism, "-PLUS") {
			r.bindingPinned = true
		}
		if strings.HasPrefix(info.mechanism, "SCRAM-") {
			r.scramPinned = true
		}
		return sess, nil
	case errors.As(err, &unreachable):
		if ue := verifier.Rejected(); ue != nil {
			return nil, fatalError{ue}
		}
		return nil, err
	case verifier == nil:
		return nil, fatalError{err} // bad settings: CA file, address
	default:
		var (
			fail     *saslauth.Failure
			nom      *saslauth.NoMechanismError
			verify   *saslauth.VerifyError
			unauthed *unauthenticatedError
		)
		if ue := verifier.Rejected(); ue != nil {
			return nil, fatalError{ue}
		}
		switch {
		case errors.As(err, &verify), errors.As(err, &unauthed):
			// The server (or whoever answers for it) did not prove itself:
			// never try again by ourselves.
			return nil, fatalError{err}
		case errors.As(err, &nom) && !a.UsesOAuth() && slices.Contains(nom.Offered, sasl.Plain.Name):
			return nil, fatalError{&plainRefusedError{pinned: a.SCRAMPinned || r.scramPinned, err: err}}
		case errors.As(err, &fail):
			if fail.Condition == "temporary-auth-failure" {
				return nil, err
			}
			if a.UsesOAuth() {
				return nil, &tokenRejected{token: secret, err: err}
			}
			if strings.HasSuffix(info.mechanism, "-PLUS") && !info.bindingListed &&
				!r.noBinding && !a.ChannelBindingPinned && !r.bindingPinned {
				r.noBinding = true
				return nil, &bindingRefused{err}
			}
			return nil, fatalError{err}
		case errors.As(err, &nom):
			return nil, fatalError{err}
		}
		return nil, fmt.Errorf("signing in failed: %w", err)
	}
}

// plainRefusedError: the server offers PLAIN, and no mechanism this
// account may use.
type plainRefusedError struct {
	// pinned is true when SCRAM worked for this account before.
	pinned bool
	err    error
}

func (e *plainRefusedError) Error() string {
	return "refused to send the password in plain form (PLAIN): " + e.err.Error()
}
func (e *plainRefusedError) Unwrap() error { return e.err }

// unauthenticatedError: the server ended stream negotiation without
// authenticating or binding the session (a server that sends empty stream
// features after TLS): nothing may be sent on such a stream.
type unauthenticatedError struct{ state xmpp.SessionState }

func (e *unauthenticatedError) Error() string { return e.Unwrap().Error() }

// Unwrap gives ErrSessionNotSignedIn or ErrSessionNotBound.
func (e *unauthenticatedError) Unwrap() error {
	if e.state&xmpp.Authn == 0 {
		return ErrSessionNotSignedIn
	}
	return ErrSessionNotBound
}

// unreachableError is a failure to connect at all (DNS, TCP, direct TLS).
type unreachableError struct{ err error }

func (e *unreachableError) Error() string { return "cannot reach the server: " + e.err.Error() }
func (e *unreachableError) Unwrap() error { return e.err }

// openSession dials the server of a, secures the stream, signs in with
// secret by the first of mechs the server offers, and binds a resource.
// The verifier tells whether a TLS failure was the certificate; it is nil
// when the settings themselves are unusable.
// When progress is not nil, it is kept set to the time (UnixNano) data
// last arrived.
func openSession(ctx context.Context, a account.Account, secret string, mechs []saslauth.Mechanism, progress *atomic.Int64) (*xmpp.Session, *certs.Verifier, error) {
	return openSessionInfo(ctx, a, secret, mechs, progress, &sessionInfo{})
}

// sessionInfo is what openSessionInfo learned while opening a session.
type sessionInfo struct {
	// mechanism is the SASL mechanism that signed in, or that failed.
	mechanism string
	// bindingListed: the server listed its channel binding types.
	bindingListed bool
	// sm, when set by the caller, counts the session's stanzas and resumes
	// its earlier session instead of binding when it can (streammgmt.go).
	sm *sm.State
}

// openSessionInfo is openSession that also fills info.
func openSessionInfo(ctx context.Context, a account.Account, secret string, mechs []saslauth.Mechanism, progress *atomic.Int64, info *sessionInfo) (*xmpp.Session, *certs.Verifier, error) {
	addr, err := a.Address()
	if err != nil {
		return nil, nil, err
	}
	if a.Resource != "" {
		if full, err := addr.WithResource(a.Resource); err == nil {
			addr = full
		}
	}
	verifier := &certs.Verifier{ServerName: addr.Domainpart(), Pinned: a.IsPinned, CAFile: a.CAFile}
	tlsCfg, err := verifier.Config()
	if err != nil {
		return nil, nil, err
	}
	conn, err := dialServer(ctx, addr, a.ServerAddr(), a.DirectTLS, tlsCfg)
	if err != nil {
		return nil, verifier, &unreachableError{err}
	}
	// Everything the server sends passes a guard that bounds stanzas,
	// nesting, names and values (README, "Limits"): a hostile server ends
	// the session with an error instead of filling the memory.
	creds := func() ([]byte, []byte, []byte) {
		return []byte(addr.Localpart()), []byte(secret), nil
	}
	var (
		features []xmpp.StreamFeature
		state    xmpp.SessionState
		// secured is set once TLS is up: only then may the server send
		// us elsewhere (see-other-host).
		secured atomic.Bool
	)
	raw := conn
	if _, ok := conn.(*tls.Conn); ok {
		// TLS from the first byte, verified above; mellium recognises only
		// a bare *tls.Conn as secure, and the guard hides it.
		state = xmpp.Secure
		secured.Store(true)
	} else {
		starttls := xmllimit.StartTLS(tlsCfg, streamLimits)
		negotiate := starttls.Negotiate
		starttls.Negotiate = func(ctx context.Context, s *xmpp.Session, data any) (xmpp.SessionState, io.ReadWriter, error) {
			mask, rw, err := negotiate(ctx, s, data)
			if c, ok := rw.(net.Conn); ok {
				rw = smWrap(info.sm, noDeadlines{c})
				secured.Store(err == nil)
			}
			return mask, rw, err
		}
		features = append(features, starttls)
	}
	if progress != nil {
		conn = &liveConn{Conn: conn, last: progress}
	}
	conn = smWrap(info.sm, noDeadlines{xmllimit.Wrap(conn, streamLimits)})
	auth, outcome := saslauth.Features(creds, mechs...)
	// Our own bind: mellium's sends the requested resource empty (see
	// app/bind).
	features = append(append(features, auth...), smBind(info.sm, bind.Feature()))
	// With deadlines ignored, a negotiation that must stop is stopped by
	// closing the connection.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	// xmpp.NewClientSession, with the state given.
	sess, err := xmpp.NewSession(ctx, addr.Domain(), addr, conn, state, xmpp.NewNegotiator(
		func(*xmpp.Session, *xmpp.StreamConfig) xmpp.StreamConfig {
			return xmpp.StreamConfig{Features: features}
		}))
	info.mechanism, info.bindingListed = outcome.Mechanism, outcome.ChannelBindingListed
	if !stop() || err != nil {
		raw.Close()
		if err == nil {
			err = context.Cause(ctx)
		}
		if _, ok := seeOtherHost(err); ok && !secured.Load() {
			// RFC 6120 §4.9.3.19 lets a server redirect the client, but
			// before TLS anyone on the path can say so: refuse (losing the
			// stream.Error, so that the redirect is not followed).
			err = fmt.Errorf("the server asked to connect elsewhere before the connection was encrypted; not followed (%v)", err)
		}
		return nil, verifier, err
	}
	// mellium ends negotiation as soon as the server lists no feature it
	// knows, even right after TLS (features.go, negotiateFeatures): such a
	// session is neither authenticated nor bound, and nothing may be sent
	// on it.
	if st := sess.State(); st&xmpp.Authn == 0 || st&xmpp.Ready == 0 || sess.LocalAddr().Resourcepart() == "" {
		raw.Close()
		return nil, verifier, &unauthenticatedError{state: st}
	}
	return sess, verifier, nil
}

// DiscoverIssuer asks the XMPP server of a where its OAuth authorization
// server is, for an OAUTHBEARER account whose settings name none: it
// offers a placeholder token, and the server's RFC 7628 error (§3.2.2)
// names the openid-configuration document. The TLS rules are the
// account's own: an untrusted certificate gives a *certs.UntrustedError.
//
// The returned URL is only the server's word, and the way into a mix-up
// attack (RFC 9700 §4.4): vet it with account.CheckServerIssuer, ask the
// user before using it, and keep it in account.OAuthSettings.Issuer only
// after a sign-in with it worked (the views do all three).
func DiscoverIssuer(ctx context.Context, a account.Account) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	sess, verifier, err := openSession(ctx, a, "palaver-asks-for-the-authorization-server", []saslauth.Mechanism{saslauth.OAuthBearer}, nil)
	if err == nil {
		_ = sess.Close()
		_ = sess.Conn().Close()
		return "", errors.New("the server accepted a placeholder token; it cannot be trusted to name an authorization server")
	}
	if verifier != nil {
		if ue := verifier.Rejected(); ue != nil {
			return "", ue
		}
	}
	var (
		bearer *saslauth.BearerError
		nom    *saslauth.NoMechanismError
	)
	switch {
	case errors.As(err, &bearer) && bearer.OpenIDConfiguration != "":
		return bearer.OpenIDConfiguration, nil
	case errors.As(err, &nom):
		return "", fmt.Errorf("the server does not sign in with OAUTHBEARER: %w", err)
	case errors.As(err, &bearer):
		return "", errors.New("the server names no authorization server: enter its issuer URL")
	}
	return "", fmt.Errorf("asking the server for its authorization server: %w", err)
}

// dialServer opens the TCP (or direct TLS) connection: to the override
// address when there is one, else by DNS SRV lookup (XEP-0368 direct TLS
// first).
func dialServer(ctx context.Context, addr jid.JID, override string, directTLS bool, cfg *tls.Config) (net.Conn, error) {
	if override == "" {
		d := dial.Dialer{TLSConfig: cfg}
		return d.Dial(ctx, "tcp", addr)
	}
	var nd net.Dialer
	if directTLS {
		td := tls.Dialer{NetDialer: &nd, Config: cfg}
		return td.DialContext(ctx, "tcp", override)
	}
	return nd.DialContext(ctx, "tcp", override)
}

// noDeadlines hides a connection's deadlines from mellium. mellium turns
// every context it is given into deadlines on the connection, from a
// goroutine that, when the call has returned and the context ends at
// about the same time, may still set a deadline in the past: the next
// write, from anywhere, then fails half-way, and a TLS stream cut in a
// record is garbage for the server from there on (Prosody: "decryption
// failed or bad record mac"). Writes are bounded by the liveness check
// instead (it closes a connection that stopped answering), and a
// negotiation by closing the connection when its context ends.
type noDeadlines struct{ net.Conn }

func (noDeadlines) SetDeadline(time.Time) error      { return nil }
func (noDeadlines) SetReadDeadline(time.Time) error  { return nil }
func (noDeadlines) SetWriteDeadline(time.Time) error { return nil }

// ConnectionState returns the TLS state of the connection, if it has one
// (mellium takes channel binding data from it).
func (c noDeadlines) ConnectionState() tls.ConnectionState { return connState(c.Conn) }

// connState returns c's TLS state, the zero state if it has none.
func connState(c net.Conn) tls.ConnectionState {
	if tc, ok := c.(interface{ ConnectionState() tls.ConnectionState }); ok {
		return tc.ConnectionState()
	}
	return tls.ConnectionState{}
}

// liveConn records when data last arrived. It passes the TLS state of a
// direct TLS connection through, for channel binding.
type liveConn struct {
	net.Conn
	last *atomic.Int64
}

func (c *liveConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.last.Store(time.Now().UnixNano())
	}
	return n, err
}

// ConnectionState returns the TLS state of the connection, if it has one.
func (c *liveConn) ConnectionState() tls.ConnectionState { return connState(c.Conn) }
