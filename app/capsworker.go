package app

import (
	"context"
	"encoding/xml"
	"errors"
	"slices"
	"sync"
	"time"

	"mellium.im/xmpp"
	"mellium.im/xmpp/disco"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/palaver-im/palaver/app/caps"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/internal/queue"
)

// errNoInfo: a disco#info result without a query in it.
var errNoInfo = errors.New("the disco#info answer is empty")

// capsSpotter passes a presence's tokens on to its decoder and keeps the
// first <c/> among the presence's children (XEP-0115 §4), so that the
// presence is read once.
type capsSpotter struct {
	r     xml.TokenReader
	depth int
	c     caps.Caps
	found bool
}

// Token returns the next token of the presence.
func (s *capsSpotter) Token() (xml.Token, error) {
	tok, err := s.r.Token()
	switch t := tok.(type) {
	case xml.StartElement:
		if s.depth == 0 && !s.found {
			s.c, s.found = caps.FromStart(t)
		}
		s.depth++
	case xml.EndElement:
		s.depth--
	}
	return tok, err
}

// capsAnnounced follows the caps of an available presence from a contact
// (or another of our own resources): known features are told at once, a
// new hash goes to the caps workers. A presence without caps leaves the
// resource's features unknown.
func (h *handler) capsAnnounced(p im.Presence, c caps.Caps, found bool) {
	if !found {
		h.c.caps.gone(p.From)
		return
	}
	features, changed, job := h.c.caps.announced(p.From, c, time.Now())
	if changed {
		h.c.emit(ContactFeatures{base: h.c.b(), JID: p.From.String(), Features: features})
	}
	if job != nil {
		h.capsJobs.Push(*job)
	}
}

// capsBucket paces the caps queries: capsBurst at once, then
// capsPerMinute. The caps worker owns it.
type capsBucket struct {
	tokens float64
	last   time.Time
}

// wait takes a token at now and returns how long to wait before the
// query may go.
func (b *capsBucket) wait(now time.Time) time.Duration {
	if b.last.IsZero() {
		b.tokens, b.last = capsBurst, now
	}
	b.tokens = min(capsBurst, b.tokens+now.Sub(b.last).Minutes()*capsPerMinute)
	b.last = now
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / capsPerMinute * float64(time.Minute))
}

// capsWorker asks what new caps hashes mean, capsWorkers at a time and
// paced by capsBucket, until ctx ends; then the hashes still pending are
// dropped, for the next session to ask.
func (r *runner) capsWorker(ctx context.Context, sess *xmpp.Session, jobs *queue.Queue[capsJob]) {
	var wg sync.WaitGroup
	defer func() {
		wg.Wait()
		r.caps.abandon()
	}()
	sem := make(chan struct{}, capsWorkers)
	var bucket capsBucket
	for {
		select {
		case <-ctx.Done():
			return
		case <-jobs.Ready():
		}
		for _, j := range jobs.Take() {
			if d := bucket.wait(time.Now()); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return
				}
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Go(func() {
				defer func() { <-sem }()
				r.askCaps(ctx, sess, jobs, j)
			})
		}
	}
}

// askCaps asks j.to what j.c means (XEP-0115 §6.2) and keeps the answer
// if it hashes to j.c.Ver (§5.4): a mismatch is not cached, and another
// resource that announced the hash is asked instead.
func (r *runner) askCaps(ctx context.Context, sess *xmpp.Session, jobs *queue.Queue[capsJob], j capsJob) {
	r.caps.queries.Add(1)
	qctx, cancel := context.WithTimeout(ctx, capsTimeout)
	var got disco.Info
	err := sendIQ(qctx, sess, stanza.IQ{Type: stanza.GetIQ, To: j.to}, disco.InfoQuery{Node: j.c.NodeVer()}.TokenReader(),
		func(d *xml.Decoder, start *xml.StartElement) error {
			if start == nil {
				return errNoInfo
			}
			var err error
			got, err = caps.DecodeInfo(d, start, caps.DefaultLimits)
			return err
		})
	cancel()
	if ctx.Err() != nil {
		return // the session ended: abandon drops the hash
	}
	var e *capsEntry
	if err == nil {
		var ver string
		if ver, err = caps.Ver(j.c.Hash, got); err == nil && ver != j.c.Ver {
			err = errCapsMismatch
		}
		e = newCapsEntry(j.c, got)
	}
	learnt, next := r.caps.answered(j, e, err, time.Now())
	if next != nil {
		jobs.Push(*next)
		return
	}
	if err != nil {
		return
	}
	r.caps.save()
	for _, full := range learnt {
		r.emit(ContactFeatures{base: r.b(), JID: full.String(), Features: e.Features})
	}
}

// Features returns what the client at addr supports (XEP-0030 features,
// learnt from its entity capabilities, XEP-0115): for a full JID, that
// resource's; for a bare JID, those of any of its available resources.
// known is false when no available resource of addr has caps the core
// has verified. The slice must not be modified.
// Features is safe for concurrent use.
func (c *Client) Features(addr string) (features []string, known bool) {
	j, err := jid.Parse(addr)
	if err != nil {
		return nil, false
	}
	bare := j.Bare().String()
	if j.Resourcepart() != "" {
		if !c.book.isLive(bare, j.Resourcepart()) {
			return nil, false
		}
		return c.caps.features(bare, j.Resourcepart())
	}
	var all []string
	for _, res := range c.book.liveResources(bare) {
		f, ok := c.caps.features(bare, res)
		if !ok {
			continue
		}
		known = true
		for _, v := range f {
			if !slices.Contains(all, v) {
				all = append(all, v)
			}
		}
	}
	return all, known
}

// supports reports whether any available resource of the contact bare
// advertises feature in verified entity capabilities.
func (c *Client) supports(bare, feature string) bool {
	f, _ := c.Features(bare)
	return slices.Contains(f, feature)
}

// capsDir returns the data directory, where the caps cache lives.
func (c *Client) capsDir() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dataDir
}
