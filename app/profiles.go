package app

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"

	"github.com/palaver-im/palaver/app/avatar"
	"github.com/palaver-im/palaver/app/history"
	"github.com/palaver-im/palaver/app/internal/queue"
	"github.com/palaver-im/palaver/app/vcard"
)

// profileWorkers is how many vCard requests run at once.
const profileWorkers = 4

// maxPictureJIDs bounds the addresses whose picture hash is kept in
// memory (known, asked): pictures are followed only for contacts and
// addresses the user opened (handler.follows), and this cap bounds those
// too. Beyond it a hash is still cached on disk, only looked up again.
const maxPictureJIDs = maxPresenceJIDs

// avatarsDir is the picture cache's folder inside the data directory.
const avatarsDir = "avatars"

// avatars knows every contact's picture hash (XEP-0153) and which ones are
// being fetched, so that each announced hash is fetched once.
type avatars struct {
	mu    sync.Mutex
	files *avatar.Store
	known map[string]string // bare JID -> hash ("" = no picture)
	// asked holds the hashes fetched (or being fetched) per contact in
	// this run: a contact whose vCard photo does not match the hash it
	// announces is not asked again and again.
	asked map[string]string
	temp  string // a temporary picture folder to remove, without a data dir
	// pep holds the PEP avatar id (XEP-0084, "" = none) of the contacts
	// whose metadata was seen in this run: their presence hashes are
	// then ignored (pepavatar.go). pepAsked holds the ids fetched (or
	// being fetched) per contact, as asked does for vCards.
	pep      map[string]string
	pepAsked map[string]string
	// pepFetches counts the PEP data requests, pepRefused the data the
	// contact's fault made us refuse (too large, a wrong hash, no
	// picture), pepPublishes our own pictures published, for tests.
	pepFetches, pepRefused, pepPublishes atomic.Int64
}

// openAvatars opens the picture cache and loads what is known.
func (c *Client) openAvatars(st *history.Store) (*avatars, error) {
	a := &avatars{known: map[string]string{}, asked: map[string]string{}, pep: map[string]string{}, pepAsked: map[string]string{}}
	c.mu.Lock()
	dir := c.dataDir
	c.mu.Unlock()
	if dir == "" {
		tmp, err := os.MkdirTemp("", "palaver-avatars-")
		if err != nil {
			return nil, err
		}
		a.temp, dir = tmp, tmp
	} else {
		dir = filepath.Join(dir, avatarsDir)
	}
	files, err := avatar.Open(dir)
	if err != nil {
		return nil, err
	}
	a.files = files
	if st != nil {
		ctx, cancel := context.WithTimeout(context.Background(), archiveTimeout)
		defer cancel()
		known, err := st.PhotoHashes(ctx)
		if err != nil {
			return a, err
		}
		a.known = known
	}
	return a, nil
}

// remember records bare's hash in memory, unless maxPictureJIDs others
// are known; a.mu is held.
func (a *avatars) remember(bare, hash string) {
	if _, ok := a.known[bare]; ok || len(a.known) < maxPictureJIDs {
		a.known[bare] = hash
	}
}

// close removes a temporary picture folder.
func (a *avatars) close() {
	if a != nil && a.temp != "" {
		_ = os.RemoveAll(a.temp)
	}
}

// cached returns an AvatarChanged for every contact whose picture is on
// disk, for the UI at start.
func (c *Client) cachedAvatars() []Event {
	a := c.pics
	a.mu.Lock()
	defer a.mu.Unlock()
	var evs []Event
	for j, hash := range a.known {
		if hash == "" {
			continue
		}
		if path, ok := a.files.Path(hash); ok {
			evs = append(evs, AvatarChanged{base: c.b(), JID: j, Hash: hash, Path: path})
		}
	}
	return evs
}

// announced handles a picture hash seen in bare's presence. It returns
// true when the vCard must be fetched to get the picture.
func (c *Client) announced(bare, hash string) (fetch bool) {
	a := c.pics
	a.mu.Lock()
	defer a.mu.Unlock()
	if old, ok := a.known[bare]; ok && old == hash {
		return false
	}
	if a.fromPEP(bare) {
		return false // PEP says what bare's picture is (pepavatar.go)
	}
	if hash == "" {
		a.remember(bare, "")
		c.savePhotoHash(bare, "")
		c.emit(AvatarChanged{base: c.b(), JID: bare})
		return false
	}
	if path, ok := a.files.Path(hash); ok {
		a.remember(bare, hash)
		c.savePhotoHash(bare, hash)
		c.emit(AvatarChanged{base: c.b(), JID: bare, Hash: hash, Path: path})
		return false
	}
	if a.asked[bare] == hash {
		return false
	}
	if len(a.asked) >= maxPictureJIDs {
		clear(a.asked) // at worst a refused hash is asked once more
	}
	a.asked[bare] = hash
	return true
}

// savePhotoHash writes bare's hash to the archive, on the archiver's
// goroutine.
func (c *Client) savePhotoHash(bare, hash string) {
	c.arch.push(archiveOp{photo: &photoHash{jid: bare, hash: hash}})
}

// setPicture stores a fetched vCard's photo in the picture cache. It
// returns the XEP-0153 hash ("" = no usable picture) and, when bare's
// picture changed, the AvatarChanged to emit once the card is saved.
func (c *Client) setPicture(bare string, p vcard.Photo) (string, Event) {
	var hash, path string
	if len(p.Data) > 0 {
		// The hash is of the image as published; the file is the image
		// made safe and small (a broken or non-image photo is no picture).
		if small, _, err := avatar.Normalize(p.Data); err == nil {
			hash = avatar.Hash(p.Data)
			if path, err = c.pics.files.PutAs(hash, small); err != nil {
				hash, path = "", ""
			}
		}
	}
	a := c.pics
	a.mu.Lock()
	old, known := a.known[bare]
	a.remember(bare, hash)
	if hash != "" && (len(a.asked) < maxPictureJIDs || a.asked[bare] != "") {
		a.asked[bare] = hash
	}
	a.mu.Unlock()
	if known && old == hash {
		return hash, nil
	}
	return hash, AvatarChanged{base: c.b(), JID: bare, Hash: hash, Path: path}
}

// profileJob is a vCard request for the profile workers.
type profileJob struct {
	jid string
	// user is set when the user asked (FetchProfile): the answer is a
	// ProfileReceived event, errors included. Otherwise the fetch is for
	// the picture only.
	user bool
	// set publishes card as the account's own vCard.
	set  bool
	card vcard.VCard
	// pep is set to fetch the PEP avatar data it names (pepavatar.go).
	pep *avatarInfo
}

// profileWorker carries out vCard requests, a few at a time, until ctx
// ends.
func (r *runner) profileWorker(ctx context.Context, sess *xmpp.Session, jobs *queue.Queue[profileJob]) {
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, profileWorkers)
	for {
		select {
		case <-ctx.Done():
			for _, j := range jobs.Take() {
				r.profileOffline(j, ErrNotConnected)
			}
			return
		case <-jobs.Ready():
		}
		for _, j := range jobs.Take() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				r.profileOffline(j, ErrNotConnected)
				continue
			}
			wg.Go(func() {
				defer func() { <-sem }()
				switch {
				case j.set:
					r.publishProfile(ctx, sess, j.card)
				case j.pep != nil:
					r.fetchPEPAvatar(ctx, sess, j)
				default:
					r.fetchProfile(ctx, sess, j)
				}
			})
		}
	}
}

// profileOffline answers a job that cannot be carried out.
func (r *runner) profileOffline(j profileJob, err error) {
	switch {
	case j.pep != nil:
		// Asked again on the next notification, such as at sign-in.
		r.pics.mu.Lock()
		if r.pics.pepAsked[j.jid] == j.pep.id {
			delete(r.pics.pepAsked, j.jid)
		}
		r.pics.mu.Unlock()
	case j.set:
		r.emit(ProfileSaved{base: r.b(), Card: j.card, Err: err})
	case j.user:
		r.emit(r.cachedProfile(j.jid, err))
	}
}

// cachedProfile returns the cached card of bare as a ProfileReceived
// carrying err.
func (r *runner) cachedProfile(bare string, err error) ProfileReceived {
	ev := ProfileReceived{base: r.b(), JID: bare, Err: err}
	if card, fetched, ok := r.loadProfile(bare); ok {
		ev.Card, ev.Fetched = card, fetched
	}
	return ev
}

// loadProfile reads bare's card from the archive.
func (r *runner) loadProfile(bare string) (vcard.VCard, time.Time, bool) {
	st, _ := r.store()
	if st == nil {
		return vcard.VCard{}, time.Time{}, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), archiveTimeout)
	defer cancel()
	p, ok, err := st.Profile(ctx, bare)
	if err != nil || !ok || len(p.Card) == 0 {
		return vcard.VCard{}, time.Time{}, false
	}
	card, err := decodeCard(p.Card)
	if err != nil {
		return vcard.VCard{}, time.Time{}, false
	}
	return card, p.Fetched, true
}

// requestProfile answers FetchProfile: from the cache unless refresh is
// asked or there is none, else from the server (sess nil: offline).
func (r *runner) requestProfile(cmd cmdFetchProfile, sess *xmpp.Session) {
	bare := cmd.jid
	if j, err := jid.Parse(cmd.jid); err == nil {
		bare = j.Bare().String()
	} else {
		r.emit(ProfileReceived{base: r.b(), JID: cmd.jid, Err: fmt.Errorf("%w: %w", ErrInvalidAddress, err)})
		return
	}
	if !cmd.refresh {
		if card, fetched, ok := r.loadProfile(bare); ok {
			r.emit(ProfileReceived{base: r.b(), JID: bare, Card: card, Fetched: fetched})
			return
		}
	}
	if sess == nil || r.profileOps == nil {
		r.emit(r.cachedProfile(bare, ErrNotConnected))
		return
	}
	r.profileOps.Push(profileJob{jid: bare, user: true})
}

// fetchProfile asks the server for a vCard, caches it and its picture.
func (r *runner) fetchProfile(ctx context.Context, sess *xmpp.Session, j profileJob) {
	to, err := jid.Parse(j.jid)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	r.vcardFetches.Add(1)
	r.mu.Lock()
	if r.vcardFetchesOf == nil {
		r.vcardFetchesOf = map[string]int{}
	}
	if len(r.vcardFetchesOf) < 1000 {
		r.vcardFetchesOf[j.jid]++
	}
	r.mu.Unlock()
	card, err := vcard.Get(ctx, sess, to)
	cancel()
	// A card whose photo was refused (too large, broken) comes with an
	// error, and still counts.
	if err != nil && card.IsEmpty() {
		if j.user {
			r.emit(r.cachedProfile(j.jid, explainStanzaError(err)))
		}
		return
	}
	now := time.Now()
	hash, changed := r.setPicture(j.jid, card.Photo)
	card.Photo.Data = nil
	// The events follow the write, so that the UI never asks for a card
	// the cache does not have yet.
	var evs []Event
	if changed != nil {
		evs = append(evs, changed)
	}
	if j.user {
		evs = append(evs, ProfileReceived{base: r.b(), JID: j.jid, Card: card, Fetched: now})
	}
	r.saveProfile(j.jid, card, hash, now, evs...)
	if j.jid == r.acct {
		r.cmds.Push(cmdOwnPhoto{hash: hash})
	}
}

// publishProfile sets the account's own vCard.
func (r *runner) publishProfile(ctx context.Context, sess *xmpp.Session, card vcard.VCard) {
	if len(card.Photo.Data) > 0 {
		small, mime, err := avatar.Publishable(card.Photo.Data)
		if err != nil {
			r.emit(ProfileSaved{base: r.b(), Card: card, Err: fmt.Errorf("the picture cannot be used: %w", err)})
			return
		}
		card.Photo.Data, card.Photo.Type = small, mime
	}
	sctx, cancel := context.WithTimeout(ctx, requestTimeout)
	err := vcard.Set(sctx, sess, card)
	cancel()
	if err != nil {
		r.emit(ProfileSaved{base: r.b(), Card: card, Err: explainStanzaError(err), NotAllowed: vcard.NotAllowed(err)})
		return
	}
	hash, changed := r.setPicture(r.acct, card.Photo)
	saved := card
	saved.Photo.Data = nil
	evs := []Event{ProfileSaved{base: r.b(), Card: card}}
	if changed != nil {
		evs = append(evs, changed)
	}
	r.saveProfile(r.acct, saved, hash, time.Now(), evs...)
	// The same picture over PEP (XEP-0084), before our presence announces
	// its hash, so that contacts that read PEP get it from there.
	if hash != "" || len(card.Photo.Data) == 0 {
		published, err := publishPEPAvatar(ctx, sess, card.Photo.Data, card.Photo.Type, hash)
		if published {
			r.pics.pepPublishes.Add(1)
		}
		if err != nil && ctx.Err() == nil && !noPEP(err) {
			r.emit(CommandFailed{base: r.b(), Op: OpAnnouncePicture, Err: err})
		}
	}
	r.cmds.Push(cmdOwnPhoto{hash: hash})
}

// saveProfile caches a card (without its photo, which lives in the
// picture cache) on the archiver's goroutine, then emits evs.
func (r *runner) saveProfile(bare string, card vcard.VCard, hash string, fetched time.Time, evs ...Event) {
	if data, err := encodeCard(card); err == nil {
		r.arch.push(archiveOp{profile: &history.Profile{JID: bare, Card: data, PhotoHash: hash, Fetched: fetched}})
	}
	for _, ev := range evs {
		r.arch.push(archiveOp{ev: ev})
	}
}

// encodeCard and decodeCard convert a card to and from its XML, the form
// it is cached in.
func encodeCard(card vcard.VCard) ([]byte, error) {
	var buf bytes.Buffer
	e := xml.NewEncoder(&buf)
	if _, err := card.WriteXML(e); err != nil {
		return nil, err
	}
	if err := e.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decodeCard(data []byte) (vcard.VCard, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.Token()
		if err != nil {
			return vcard.VCard{}, err
		}
		if start, ok := tok.(xml.StartElement); ok {
			card, err := vcard.Decode(d, &start)
			if err != nil && card.IsEmpty() {
				return card, err
			}
			return card, nil
		}
	}
}
