package app

import (
	"context"
	"crypto/tls"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
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
	"mellium.im/xmpp/ping"
	"mellium.im/xmpp/stanza"
	"mellium.im/xmpp/stream"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app/bind"
	"github.com/palaver-im/palaver/app/certs"
	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/internal/netwatch"
	"github.com/palaver-im/palaver/app/internal/queue"
	"github.com/palaver-im/palaver/app/internal/xmllimit"
	"github.com/palaver-im/palaver/app/saslauth"
	"github.com/palaver-im/palaver/app/sm"
)

// Timeouts of the session goroutine.
const (
	// Signing in gives up after connectTimeout without a byte from the
	// server, or after connectLimit in all: a slow link (2 s round trips)
	// needs a minute for the dozen round trips of TLS, SASL and bind.
	connectTimeout = 30 * time.Second
	connectLimit   = 3 * time.Minute
	requestTimeout = 20 * time.Second
	sendTimeout    = 10 * time.Second
	closeTimeout   = 3 * time.Second
	maxBackoff     = 2 * time.Minute
	// A connection silent for pingIdle is pinged (XEP-0199); no answer
	// within pingTimeout means it is dead, however open the socket looks.
	pingIdle    = 60 * time.Second
	pingTimeout = 10 * time.Second
)

// streamLimits bound what the server may send (see xmllimit).
var streamLimits = xmllimit.DefaultLimits

// errNotConnected is given for commands that need a connection.
var errNotConnected = errors.New("not connected")

// fatalError marks a failure that waits for the user instead of being
// retried (wrong password, untrusted certificate, no usable mechanism).
type fatalError struct{ error }

func (e fatalError) Unwrap() error { return e.error }

func (c *Client) b() base { return base{Acct: c.acct} }

// Run runs the client until ctx ends: it signs in at once, reconnects with
// backoff after network failures, and carries out commands. It returns
// ctx's error; the Events channel is closed when it returns.
func (c *Client) Run(ctx context.Context) error {
	done := make(chan struct{})
	pumped := make(chan struct{})
	go func() {
		c.pump(ctx, done)
		close(pumped)
	}()
	defer func() {
		close(done)
		<-pumped
	}()

	// The archive is written on its own goroutine; quitting flushes it.
	c.arch = newArchiver(c)
	c.chats = newChatStates()
	stopArch := make(chan struct{})
	go c.arch.run(stopArch)
	defer func() {
		close(stopArch)
		<-c.arch.done
		c.closeStore()
	}()
	st, err := c.store()
	if err != nil {
		c.emit(CommandFailed{base: c.b(), Op: "open the message history", Err: err})
	}
	if c.pics, err = c.openAvatars(st); err != nil {
		c.emit(CommandFailed{base: c.b(), Op: "open the picture cache", Err: err})
	}
	if c.pics == nil {
		return fmt.Errorf("no picture cache: %w", err)
	}
	defer c.pics.close()
	for _, ev := range c.cachedAvatars() {
		c.emit(ev)
	}

	// Until our own vCard is fetched, the picture is "not ready"
	// (XEP-0153 §4.1).
	r := &runner{Client: c, want: true, own: im.Presence{Show: im.Available, Photo: im.PhotoNotReady}, sm: &sm.State{}}
	r.comp.byPeer = map[string]*chatstate.Composer{}
	r.loadOutbox()
	return r.loop(ctx)
}

// runner is the state of Run's goroutine.
type runner struct {
	*Client
	// want is true while the user wants to be online.
	want bool
	// own is the presence to send after signing in.
	own      im.Presence
	failures int
	roster   *rosterState
	// rosterOps feeds the roster worker of the current session.
	rosterOps *queue.Queue[cmdRoster]
	// profileOps feeds the vCard workers of the current session.
	profileOps *queue.Queue[profileJob]
	// comp sends our chat states.
	comp composers
	// session counts the sessions that went online.
	session uint64
	// outbox holds the messages the server has not confirmed, in order.
	outbox []*outMsg
	// confirming is the session whose confirming ping is on its way.
	confirming uint64
	// netEvents tells that the network came back or the system woke.
	netEvents <-chan netwatch.Event
	// redirect is where see-other-host sent us (host:port), redirects
	// how many times in a row.
	redirect  string
	redirects int
	// sm is the stream management state (XEP-0198), kept across
	// connections so that a lost session can be resumed (streammgmt.go);
	// liveBefore is the presence live when the last session ended.
	sm         *sm.State
	liveBefore map[string]map[string]im.Presence
	// mechanism is the SASL mechanism of the current session;
	// scramPinned is true once SCRAM signed in during this run (the views
	// keep it in the account's settings for the next runs).
	mechanism   string
	scramPinned bool
	// bindingPinned: SCRAM with channel binding signed in during this
	// run; noBinding: it failed on this server, so this run goes without
	// (see bindingRefused).
	bindingPinned, noBinding bool
	// carried are commands taken in the batch that ended a session, after
	// the one that ended it: waitOffline handles them first.
	carried []command
}

func (r *runner) loop(ctx context.Context) error {
	r.roster = newRosterState()
	// The OS says when the network is back or the system woke up (Linux:
	// NetworkManager and logind over D-Bus); elsewhere the clock check in
	// waitOffline notices sleep.
	r.netEvents = netwatch.Watch(ctx).Events()
	for {
		if err := ctx.Err(); err != nil {
			r.emit(StateChanged{base: r.b(), State: Offline})
			return err
		}
		if !r.want {
			r.emit(StateChanged{base: r.b(), State: Offline})
			if err := r.waitOffline(ctx, nil); err != nil {
				return err
			}
			continue
		}
		r.emit(StateChanged{base: r.b(), State: Connecting})
		sess, err := r.connect(ctx)
		var (
			rejected *tokenRejected
			binding  *bindingRefused
		)
		if errors.As(err, &binding) {
			// Once, at once, without channel binding (see bindingRefused).
			sess, err = r.connect(ctx)
		}
		if errors.As(err, &rejected) {
			// The server refused the access token (RFC 7628 invalid_token,
			// or not-authorized): refresh once and try again at once; a
			// second refusal means the authorization itself is gone.
			r.tokenSource().Invalidate(rejected.token)
			if sess, err = r.connect(ctx); errors.As(err, &rejected) {
				err = fatalError{&signInError{rejected.err}}
			}
		}
		redirected := r.redirect != ""
		if err == nil {
			r.failures = 0
			err = r.online(ctx, sess)
			if err == nil { // signed out on purpose
				r.redirect, r.redirects = "", 0
				continue
			}
		}
		if ctx.Err() != nil {
			continue
		}
		// RFC 6120 §4.9.3.19: the server sends us elsewhere; go at once (a
		// few times in a row at most). The certificate is still checked
		// against the account's domain.
		if to, ok := seeOtherHost(err); ok && r.redirects < maxRedirects {
			r.redirect = to
			r.redirects++
			continue
		}
		if redirected {
			r.redirect = "" // back to the account's own server next time
		}
		r.redirects = 0
		if conflict(err) {
			err = fatalError{fmt.Errorf("signed out: this account signed in elsewhere with the same resource (%w)", err)}
		}
		var fatal fatalError
		if errors.As(err, &fatal) {
			r.want = false
			r.reportFatal(err)
			r.emit(StateChanged{base: r.b(), State: Offline, Err: err})
			if err := r.waitOffline(ctx, nil); err != nil {
				return err
			}
			continue
		}
		r.failures++
		delay := backoff(r.failures)
		timer := time.NewTimer(delay)
		r.emit(StateChanged{base: r.b(), State: Waiting, Err: err, RetryAt: time.Now().Add(delay)})
		err = r.waitOffline(ctx, timer.C)
		timer.Stop()
		if err != nil {
			return err
		}
	}
}

// maxRedirects bounds see-other-host redirections in a row.
const maxRedirects = 5

// seeOtherHost returns the address a see-other-host stream error names.
func seeOtherHost(err error) (string, bool) {
	var se stream.Error
	if !errors.As(err, &se) || se.Err != "see-other-host" {
		return "", false
	}
	to := strings.TrimSpace(se.Content)
	if to == "" || len(to) > 300 || strings.ContainsAny(to, "/ \t\n") {
		return "", false
	}
	return to, true
}

// conflict reports a stream error saying that another session took ours
// (RFC 6120 §4.9.3.3): reconnecting would take it back, and the two would
// push each other off forever.
func conflict(err error) bool {
	var se stream.Error
	return errors.As(err, &se) && se.Err == "conflict"
}

// backoff returns the wait before attempt n+1: exponential from 1 s,
// capped, with ±20% jitter so that many clients do not retry in step.
func backoff(n int) time.Duration {
	d := time.Second << min(n-1, 7)
	if d > maxBackoff {
		d = maxBackoff
	}
	jitter := time.Duration(rand.Int64N(int64(d)/5*2+1)) - d/5
	return d + jitter
}

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
		r.emit(AuthFailed{base: r.b(), Condition: ConditionServerNotVerified, Text: err.Error()})
	}
}

// waitOffline handles commands while there is no connection, until retry
// fires or a command asks to connect.
func (r *runner) waitOffline(ctx context.Context, retry <-chan time.Time) error {
	// While a retry is scheduled, a system that wakes from sleep retries
	// at once: the network that failed is likely back, and the backoff
	// may have grown to minutes.
	var (
		wake  <-chan time.Time
		netUp <-chan netwatch.Event
	)
	if retry != nil {
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		wake = tick.C
		netUp = r.netEvents
	}
	clock := newSleepDetector()
	for {
		// Commands carried over from the session that just ended come
		// first, in order.
		cmds := r.carried
		r.carried = nil
		if len(cmds) == 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-retry:
				return nil
			case now := <-wake:
				if clock.slept(now) {
					return nil
				}
				continue
			case _, ok := <-netUp:
				if !ok {
					netUp = nil
					continue
				}
				return nil
			case <-r.cmds.Ready():
			}
			cmds = r.cmds.Take()
		}
		for _, cmd := range cmds {
			switch cmd := cmd.(type) {
			case cmdConnect:
				r.want = true
			case cmdDisconnect:
				r.want = false
			case cmdPresence:
				r.own.Show, r.own.Status = cmd.show, cmd.status
				r.want = cmd.show != im.Offline
			case cmdMessage:
				r.queueMessage(ctx, nil, cmd)
			case cmdRetry:
				r.retry(ctx, nil, cmd)
			case cmdAcked:
				r.acked(cmd)
			case cmdBounced:
				r.failed(cmd.peer, cmd.id)
			case cmdRoster:
				r.emit(CommandFailed{base: r.b(), Op: cmd.op.String() + " contact", JID: cmd.jid, Err: errNotConnected})
			case cmdSubscription:
				r.emit(CommandFailed{base: r.b(), Op: "answer the request of", JID: cmd.jid, Err: errNotConnected})
			case cmdFetchProfile:
				r.requestProfile(cmd, nil)
			case cmdSetProfile:
				r.emit(ProfileSaved{base: r.b(), Card: cmd.card, Err: errNotConnected})
			case cmdOwnPhoto:
				r.ownPhoto(cmd.hash)
			case cmdActivity:
				// Chat states mean nothing to peers while we are away.
			}
		}
		if r.want {
			return nil
		}
		// Still offline on purpose: say so again only if asked to sign out.
		if retry != nil {
			r.emit(StateChanged{base: r.b(), State: Offline})
			retry = nil
		}
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
	ctx, stopAll := context.WithTimeoutCause(ctx, connectLimit, errors.New("signing in took too long"))
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
					cancel(fmt.Errorf("the server stopped answering for %v while signing in", connectTimeout))
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

func (e *unauthenticatedError) Error() string {
	if e.state&xmpp.Authn == 0 {
		return "the server started the session without signing in"
	}
	return "the server started the session without binding an address"
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

// online serves a signed-in session until it ends. It returns nil when the
// user signed out, else why the session ended.
func (r *runner) online(ctx context.Context, sess *xmpp.Session) error {
	resumed := r.resumeSession()
	r.session++
	r.heard()
	h := newHandler(r.Client, sess, r.roster)
	served := make(chan error, 1)
	go func() { served <- sess.Serve(smHandler(r.sm, h)) }()
	// Roster changes are IQ round trips: one worker carries them out in the
	// order they were asked for, so the session goroutine keeps taking
	// commands and "add" never overtakes a later "remove".
	r.rosterOps = queue.New[cmdRoster]()
	opsCtx, stopOps := context.WithCancel(ctx)
	opsDone := make(chan struct{})
	go func() {
		defer close(opsDone)
		r.rosterWorker(opsCtx, sess, r.rosterOps)
	}()
	r.profileOps = h.profiles
	profilesDone := make(chan struct{})
	go func() {
		defer close(profilesDone)
		r.profileWorker(opsCtx, sess, r.profileOps)
	}()
	defer func() {
		sess.Conn().Close()
		stopOps()
		<-opsDone
		<-profilesDone
		r.profileOps = nil
		r.endPresence(h)
		// A new session starts the conversations' states afresh.
		clear(r.comp.byPeer)
		r.armChatTimer()
	}()

	// A resumed session keeps its roster (XEP-0198 §5): changes made
	// meanwhile come as the pushes the server resends.
	if !resumed {
		fetchCtx, cancel := context.WithTimeout(ctx, requestTimeout)
		contacts, err := r.roster.fetch(fetchCtx, sess)
		cancel()
		if err != nil {
			return fmt.Errorf("fetching the contact list: %w", err)
		}
		r.emit(RosterReset{base: r.b(), Contacts: contacts})
	}
	if err := r.sendOwnPresence(ctx, sess); err != nil {
		return err
	}
	if !resumed {
		r.enableSM(ctx, sess)
	}
	r.emit(StateChanged{base: r.b(), State: Online, Bound: sess.LocalAddr().String(), Mechanism: r.mechanism})
	dead := make(chan error, 1)
	go r.watchLiveness(opsCtx, sess, dead)
	r.flushOutbox(ctx, sess)
	go r.afterOnline(opsCtx, sess)
	// Our own vCard tells the picture hash to announce (XEP-0153 §4.1).
	r.profileOps.Push(profileJob{jid: r.acct})

	for {
		select {
		case <-ctx.Done():
			r.signOff(sess, served)
			return nil
		case err := <-served:
			if err == nil {
				err = errors.New("the server closed the connection")
			}
			return err
		case err := <-dead:
			return err
		case now := <-r.chatTimer():
			r.chatTick(ctx, sess, now)
			continue
		case <-r.cmds.Ready():
		}
		cmds := r.cmds.Take()
		for i, cmd := range cmds {
			if stop := r.do(ctx, sess, cmd); stop {
				// What came after the sign-out in the same batch (a message,
				// Connect again) is still to be done, offline or in the next
				// session.
				r.carried = append(r.carried, cmds[i+1:]...)
				r.signOff(sess, served)
				return nil
			}
		}
		// New messages, and those an answered ping leaves unconfirmed.
		r.flushOutbox(ctx, sess)
	}
}

// watchLiveness pings the server after a silence (XEP-0199 §4.2) and
// closes the connection when the ping goes unanswered: a stalled TCP
// connection (a laptop that slept, a NAT that forgot us) can look open
// for a long time. It reports why on dead. A wall clock that jumped ahead
// (the system slept) pings at once.
func (r *runner) watchLiveness(ctx context.Context, sess *xmpp.Session, dead chan<- error) {
	idle, timeout := r.liveness()
	server := sess.LocalAddr().Domain()
	check := min(idle/4, 5*time.Second)
	clock := newSleepDetector()
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(check):
		}
		now := time.Now()
		slept := clock.slept(now)
		silent := now.Sub(time.Unix(0, r.lastHeard.Load()))
		if silent < idle && !slept {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, timeout)
		err := ping.Send(pctx, sess, server)
		cancel()
		if err == nil {
			r.heard()
			continue
		}
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("the connection stalled: the server did not answer a ping within %v", timeout)
		} else {
			err = fmt.Errorf("the connection failed a ping: %w", err)
		}
		dead <- err
		_ = sess.Conn().Close()
		return
	}
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

// sleepDetector notices that the system slept: the monotonic clock stops
// while it sleeps (on Linux, and on macOS and Windows as Go reads it), the
// wall clock does not.
type sleepDetector struct{ wall, mono time.Time }

func newSleepDetector() *sleepDetector {
	now := time.Now()
	return &sleepDetector{wall: now.Round(0), mono: now}
}

// slept reports whether the system slept (more than 5 s) since the last
// call.
func (d *sleepDetector) slept(now time.Time) bool {
	gap := now.Round(0).Sub(d.wall) - now.Sub(d.mono)
	d.wall, d.mono = now.Round(0), now
	return gap > 5*time.Second
}

// signOff sends unavailable presence and closes the stream politely.
func (r *runner) signOff(sess *xmpp.Session, served <-chan error) {
	// The server ends a session closed on purpose: nothing to resume.
	defer r.sm.Forget()
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	// Messages written but not yet confirmed: one last ping settles them,
	// so that they are not sent again next time.
	var unconfirmed []string
	for _, m := range r.outbox {
		if m.written == r.session {
			unconfirmed = append(unconfirmed, m.id)
		}
	}
	if len(unconfirmed) > 0 && ping.Send(ctx, sess, sess.LocalAddr().Domain()) == nil {
		r.acked(cmdAcked{session: r.session, ids: unconfirmed})
	}
	p := im.Presence{Presence: stanza.Presence{Type: stanza.UnavailablePresence}, Status: r.own.Status}
	_ = sess.Send(ctx, p.TokenReader())
	_ = sess.Close()
	// Wait for the server's </stream:stream>, bounded by our own timer:
	// mellium's SetCloseDeadline races with a running Serve. The caller
	// closes the connection afterwards, which ends Serve in any case.
	select {
	case <-served:
	case <-ctx.Done():
	}
}

// ownPhoto records the hash of our own picture for our presence; it
// reports whether it changed.
func (r *runner) ownPhoto(hash string) bool {
	photo := im.PhotoNone
	if hash != "" {
		photo = im.PhotoSet
	}
	if r.own.Photo == photo && r.own.PhotoHash == hash {
		return false
	}
	r.own.Photo, r.own.PhotoHash = photo, hash
	return true
}

func (r *runner) sendOwnPresence(ctx context.Context, sess *xmpp.Session) error {
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	p := r.own
	p.Presence = stanza.Presence{Type: stanza.AvailablePresence}
	p.Priority = r.settings().Priority
	if err := sess.Send(ctx, p.TokenReader()); err != nil {
		return fmt.Errorf("sending presence: %w", err)
	}
	return nil
}

// do carries out one command while online; it reports whether the session
// should end.
func (r *runner) do(ctx context.Context, sess *xmpp.Session, cmd command) (stop bool) {
	switch cmd := cmd.(type) {
	case cmdConnect:
	case cmdDisconnect:
		r.want = false
		return true
	case cmdPresence:
		r.own.Show, r.own.Status = cmd.show, cmd.status
		if cmd.show == im.Offline {
			r.want = false
			return true
		}
		if err := r.sendOwnPresence(ctx, sess); err != nil {
			r.emit(CommandFailed{base: r.b(), Op: "set your status", Err: err})
		}
	case cmdMessage:
		r.queueMessage(ctx, sess, cmd)
	case cmdRetry:
		r.retry(ctx, sess, cmd)
	case cmdAcked:
		r.acked(cmd)
	case cmdBounced:
		r.failed(cmd.peer, cmd.id)
	case cmdReceipt:
		rctx, cancel := context.WithTimeout(ctx, sendTimeout)
		m := im.Message{Message: stanza.Message{ID: NewID(), To: cmd.to, Type: stanza.ChatMessage}, ReceiptFor: cmd.id}
		// A lost receipt only leaves the peer's message "sent".
		_ = sess.Send(rctx, m.TokenReader())
		cancel()
	case cmdRoster:
		r.rosterOps.Push(cmd)
	case cmdSubscription:
		r.answerSubscription(ctx, sess, cmd)
	case cmdFetchProfile:
		r.requestProfile(cmd, sess)
	case cmdSetProfile:
		r.profileOps.Push(profileJob{set: true, card: cmd.card})
	case cmdOwnPhoto:
		if r.ownPhoto(cmd.hash) {
			if err := r.sendOwnPresence(ctx, sess); err != nil {
				r.emit(CommandFailed{base: r.b(), Op: "announce your picture", Err: err})
			}
		}
	case cmdActivity:
		r.activity(ctx, sess, cmd.peer, cmd.activity, time.Now())
	}
	return false
}

func (r *runner) sendPresence(ctx context.Context, sess *xmpp.Session, to jid.JID, typ stanza.PresenceType) error {
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	p := im.Presence{Presence: stanza.Presence{To: to, Type: typ}}
	return sess.Send(ctx, p.TokenReader())
}

func (r *runner) answerSubscription(ctx context.Context, sess *xmpp.Session, cmd cmdSubscription) {
	op := "deny the request of"
	if cmd.approve {
		op = "approve the request of"
	}
	to, err := jid.Parse(cmd.jid)
	if err != nil {
		r.emit(CommandFailed{base: r.b(), Op: op, JID: cmd.jid, Err: err})
		return
	}
	to = to.Bare()
	if !cmd.approve {
		if err := r.sendPresence(ctx, sess, to, stanza.UnsubscribedPresence); err != nil {
			r.emit(CommandFailed{base: r.b(), Op: op, JID: cmd.jid, Err: err})
		}
		return
	}
	if err := r.sendPresence(ctx, sess, to, stanza.SubscribedPresence); err != nil {
		r.emit(CommandFailed{base: r.b(), Op: op, JID: cmd.jid, Err: err})
		return
	}
	// Ask for theirs in return unless we already see it or asked.
	if c, ok := r.roster.get(to.String()); !ok || (!c.Pending && c.Subscription != "to" && c.Subscription != "both") {
		if err := r.sendPresence(ctx, sess, to, stanza.SubscribePresence); err != nil {
			r.emit(CommandFailed{base: r.b(), Op: op, JID: cmd.jid, Err: err})
		}
	}
}

// rosterWorker carries out roster commands in order until ctx ends; those
// left then fail as not connected.
func (r *runner) rosterWorker(ctx context.Context, sess *xmpp.Session, ops *queue.Queue[cmdRoster]) {
	for {
		select {
		case <-ctx.Done():
			for _, cmd := range ops.Take() {
				r.emit(CommandFailed{base: r.b(), Op: cmd.op.String() + " contact", JID: cmd.jid, Err: errNotConnected})
			}
			return
		case <-ops.Ready():
		}
		for _, cmd := range ops.Take() {
			r.changeRoster(ctx, sess, cmd)
		}
	}
}

func (r *runner) changeRoster(ctx context.Context, sess *xmpp.Session, cmd cmdRoster) {
	op := cmd.op.String() + " contact"
	to, err := jid.Parse(cmd.jid)
	if err != nil {
		r.emit(CommandFailed{base: r.b(), Op: op, JID: cmd.jid, Err: fmt.Errorf("invalid address: %w", err)})
		return
	}
	to = to.Bare()
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	if cmd.op == opRemove {
		err = r.roster.remove(ctx, sess, to)
	} else {
		err = r.roster.set(ctx, sess, im.RosterItem{JID: to, Name: cmd.name, Groups: cmd.groups})
	}
	if err != nil {
		r.emit(CommandFailed{base: r.b(), Op: op, JID: to.String(), Err: explainStanzaError(err)})
		return
	}
	if cmd.op == opAdd {
		if err := r.sendPresence(ctx, sess, to, stanza.SubscribePresence); err != nil {
			r.emit(CommandFailed{base: r.b(), Op: "ask for the presence of", JID: to.String(), Err: err})
		}
	}
}

// explainStanzaError turns refusals into words; a network like the
// Messenger service refuses roster changes other than adding.
func explainStanzaError(err error) error {
	var se stanza.Error
	if !errors.As(err, &se) {
		return err
	}
	text := se.Text[""]
	if text == "" {
		for _, t := range se.Text {
			text = t
			break
		}
	}
	var msg string
	switch se.Condition {
	case stanza.NotAllowed, stanza.Forbidden, stanza.FeatureNotImplemented, stanza.ServiceUnavailable:
		msg = "this server does not allow that change (" + string(se.Condition) + ")"
	case stanza.ItemNotFound:
		msg = "the server does not know this contact"
	case stanza.BadRequest, stanza.NotAcceptable, stanza.JIDMalformed:
		msg = "the server refused the request as invalid (" + string(se.Condition) + ")"
	default:
		msg = "the server refused (" + string(se.Condition) + ")"
	}
	if text != "" {
		msg += ": " + text
	}
	return errors.New(msg)
}

// writeIQ sends an IQ with payload and decodes an error reply into a
// stanza.Error; ok answers pass the response to read (which may be nil).
func writeIQ(ctx context.Context, sess *xmpp.Session, iq stanza.IQ, payload xml.TokenReader, read func(*xml.Decoder, *xml.StartElement) error) error {
	resp, err := sess.SendIQ(ctx, iq.Wrap(payload))
	if err != nil {
		return err
	}
	defer resp.Close()
	d := xml.NewTokenDecoder(resp)
	tok, err := d.Token()
	if err != nil {
		return err
	}
	start, ok := tok.(xml.StartElement)
	if !ok {
		return errors.New("malformed IQ response")
	}
	var typ string
	for _, a := range start.Attr {
		if a.Name.Local == "type" {
			typ = a.Value
		}
	}
	if typ == string(stanza.ErrorIQ) {
		var se stanza.Error
		for {
			tok, err := d.Token()
			if err != nil {
				return errors.New("the server answered with an error it did not explain")
			}
			if s, ok := tok.(xml.StartElement); ok && s.Name.Local == "error" {
				if err := d.DecodeElement(&se, &s); err != nil {
					return err
				}
				return se
			} else if ok {
				if err := d.Skip(); err != nil {
					return err
				}
			}
		}
	}
	if read == nil {
		return nil
	}
	for {
		tok, err := d.Token()
		if err != nil {
			// A result without payload.
			return read(d, nil)
		}
		if s, ok := tok.(xml.StartElement); ok {
			return read(d, &s)
		}
		if _, ok := tok.(xml.EndElement); ok {
			return read(d, nil)
		}
	}
}
