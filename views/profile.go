package views

import (
	"weak"

	"fyne.io/fyne/v2"

	"github.com/palaver-im/palaver/app"
)

// profileState is what a session keeps for profiles and pictures: the
// open profile windows, the user's unsaved profile edits, and the live
// avatar widgets to update when a picture changes. It belongs to the UI
// goroutine.
type profileState struct {
	cards map[string]*profileCard // open contact cards by JID
	own   *ownProfile             // the open editor of the own profile
	mine  ownProfileData          // the own profile, edits included

	// avatars are the widgets newAvatar made, by JID. They are held
	// weakly: a closed window's pictures are collected, and their dead
	// pointers swept out when their JID's picture changes or the map has
	// doubled since the last sweep.
	avatars map[string][]weak.Pointer[avatar]
	tracked int // pointers in avatars
	swept   int // tracked after the last sweep
}

// profiles returns s's profile state.
func (s *session) profiles() *profileState {
	if s.prof == nil {
		s.prof = &profileState{
			cards:   make(map[string]*profileCard),
			avatars: make(map[string][]weak.Pointer[avatar]),
		}
	}
	return s.prof
}

// closeProfiles closes s's profile windows and forgets its profile state.
// The unsaved own-profile edits go with it: they belong to the session.
func (s *session) closeProfiles() {
	p := s.prof
	if p == nil {
		return
	}
	s.prof = nil
	for _, c := range p.cards {
		c.win.Close()
	}
	if p.own != nil {
		p.own.win.Close()
	}
}

// applyProfile applies a profile or avatar event; it runs on the UI
// goroutine, inside session.apply.
func (s *session) applyProfile(ev app.Event) {
	p := s.profiles()
	switch e := ev.(type) {
	case app.ProfileReceived:
		if e.JID == s.acct.JID {
			s.ownReceived(e)
		}
		if c := p.cards[e.JID]; c != nil {
			c.received(e)
		}
	case app.ProfileSaved:
		s.ownSaved(e)
	case app.AvatarChanged:
		p.updateAvatars(e.JID, s)
		if c := p.cards[e.JID]; c != nil {
			c.refreshPhoto()
		}
		if p.own != nil && e.JID == s.acct.JID {
			p.own.refreshPhoto()
		}
	}
}

// showProfile opens the profile card of jid (a bare JID; the account's own
// JID opens the user's own profile).
func (s *session) showProfile(jid string) {
	if s.closed || jid == "" {
		return
	}
	if jid == s.acct.JID {
		s.showOwnProfile()
		return
	}
	p := s.profiles()
	if c := p.cards[jid]; c != nil {
		c.updatePresence()
		c.win.Show()
		c.win.RequestFocus()
		return
	}
	c := s.newProfileCard(jid)
	p.cards[jid] = c
	s.Roster.SetWatch(p.rosterChanged)
	c.win.Show()
	s.core.FetchProfile(jid, false)
}

// rosterChanged updates the presence on the open cards of jid ("" for
// all). It runs inside Roster.Apply, on the UI goroutine.
func (p *profileState) rosterChanged(jid string) {
	if jid == "" {
		for _, c := range p.cards {
			c.updatePresence()
		}
		return
	}
	if c := p.cards[jid]; c != nil {
		c.updatePresence()
	}
}

// newAvatar returns jid's picture, side×side, which follows AvatarChanged
// events; a generated initial-letter picture when there is none.
func (s *session) newAvatar(jid string, side float32) fyne.CanvasObject {
	return s.trackedAvatar(jid, side)
}

// trackedAvatar is newAvatar's widget.
func (s *session) trackedAvatar(jid string, side float32) *avatar {
	p := s.profiles()
	a := newAvatarWidget(side, s.ui.do, avatarCache)
	s.pointAvatar(a, jid)
	p.avatars[jid] = append(p.avatars[jid], weak.Make(a))
	p.tracked++
	if p.tracked > 2*p.swept+64 {
		p.sweepAvatars()
	}
	return a
}

// pointAvatar shows jid's current picture in a.
func (s *session) pointAvatar(a *avatar, jid string) {
	hash, path := s.Roster.Avatar(jid)
	a.show(jid, s.Roster.DisplayName(jid), hash, avatarSource{path: path})
}

// updateAvatars re-points the live avatars of jid at its picture.
func (p *profileState) updateAvatars(jid string, s *session) {
	live := p.avatars[jid][:0]
	for _, w := range p.avatars[jid] {
		if a := w.Value(); a != nil {
			live = append(live, w)
			s.pointAvatar(a, jid)
		}
	}
	p.tracked -= len(p.avatars[jid]) - len(live)
	if len(live) == 0 {
		delete(p.avatars, jid)
		return
	}
	clear(p.avatars[jid][len(live):])
	p.avatars[jid] = live
}

// sweepAvatars drops the pointers to collected avatars.
func (p *profileState) sweepAvatars() {
	for jid, ws := range p.avatars {
		live := ws[:0]
		for _, w := range ws {
			if w.Value() != nil {
				live = append(live, w)
			}
		}
		clear(ws[len(live):])
		if len(live) == 0 {
			delete(p.avatars, jid)
		} else {
			p.avatars[jid] = live
		}
	}
	p.tracked = 0
	for _, ws := range p.avatars {
		p.tracked += len(ws)
	}
	p.swept = p.tracked
}
