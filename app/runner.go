package app

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"mellium.im/xmpp/stream"

	"github.com/palaver-im/palaver/app/chatstate"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/internal/netwatch"
	"github.com/palaver-im/palaver/app/internal/queue"
	"github.com/palaver-im/palaver/app/internal/xmllimit"
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

// ErrNotConnected is given for commands that need a connection while the
// account is offline or still signing in.
var ErrNotConnected = errors.New("not connected")

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
		c.emit(CommandFailed{base: c.b(), Op: OpOpenHistory, Err: err})
	}
	if c.pics, err = c.openAvatars(st); err != nil {
		c.emit(CommandFailed{base: c.b(), Op: OpOpenPictures, Err: err})
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
	r.loadUploads()
	defer r.waitUploads()
	defer r.stopMedia()
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
	// up holds the file uploads (upload.go).
	up *uploader
	// media fetches and saves shared files (media.go), once asked to.
	media *mediaJobs
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
			r.handle(ctx, nil, cmd)
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
