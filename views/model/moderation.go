package model

import (
	"mellium.im/xmpp/muc"

	"github.com/palaver-im/palaver/app"
)

// ModAction is something done to someone in a room (XEP-0045 §8 to §10):
// changing their role (kick, voice, moderator) or their affiliation (ban,
// membership, admin).
type ModAction int

// The actions on an occupant, in the order a menu offers them.
const (
	// Role changes, by nickname: moderators (§8), admins for moderator
	// status (§9.6, §9.7).
	ModGrantVoice ModAction = iota + 1
	ModRevokeVoice
	ModMakeModerator
	ModRemoveModerator
	// Affiliation changes, by the occupant's bare JID: admins (§9),
	// owners for admins (§10.6, §10.7).
	ModMakeMember
	ModRemoveMember
	ModMakeAdmin
	ModRemoveAdmin
	// Removals, which ask for a confirmation and a reason.
	ModKick
	ModBan
)

// Destructive reports whether the action removes the occupant from the
// room (kick, ban): it is confirmed first, with a reason.
func (m ModAction) Destructive() bool { return m == ModKick || m == ModBan }

// ByJID reports whether the action changes an affiliation, which the room
// keys by the occupant's real bare JID (Occupant.JID must be known).
func (m ModAction) ByJID() bool { return m >= ModMakeMember && m <= ModRemoveAdmin || m == ModBan }

// Role is the role a role change gives (ModKick: none); ok is false for
// an affiliation change.
func (m ModAction) Role() (r muc.Role, ok bool) {
	switch m {
	case ModGrantVoice, ModRemoveModerator:
		return muc.RoleParticipant, true
	case ModRevokeVoice:
		return muc.RoleVisitor, true
	case ModMakeModerator:
		return muc.RoleModerator, true
	case ModKick:
		return muc.RoleNone, true
	}
	return muc.RoleNone, false
}

// Affiliation is the affiliation an affiliation change gives (ModBan:
// outcast); ok is false for a role change.
func (m ModAction) Affiliation() (a muc.Affiliation, ok bool) {
	switch m {
	case ModMakeMember, ModRemoveAdmin:
		return muc.AffiliationMember, true
	case ModRemoveMember:
		return muc.AffiliationNone, true
	case ModMakeAdmin:
		return muc.AffiliationAdmin, true
	case ModBan:
		return muc.AffiliationOutcast, true
	}
	return muc.AffiliationNone, false
}

// affRank orders affiliations: owner above admin above member above none
// (outcasts are not in rooms).
func affRank(a muc.Affiliation) int {
	switch a {
	case muc.AffiliationOwner:
		return 3
	case muc.AffiliationAdmin:
		return 2
	case muc.AffiliationMember:
		return 1
	}
	return 0
}

// Moderation returns what self may do to target in the room whose
// features info tells (nil: unknown), as XEP-0045 lets each role and
// affiliation (and as Prosody enforces it): nothing to ourselves, nor to
// anyone whose affiliation is above ours.
//
//   - Roles are for moderators to change, and only those of occupants
//     who are neither admins nor owners: kick (§8.2); grant voice to a
//     visitor, or revoke it in a moderated room (§8.3, §8.4). Kicking a
//     moderator, and making or unmaking one (§9.6, §9.7), takes an admin
//     or owner.
//   - Admins and owners ban, and make or unmake members (§9.1 to §9.4),
//     those below them; owners make and unmake admins (§10.6, §10.7).
//     All of these take the occupant's real JID.
func Moderation(self, target app.Occupant, info *app.RoomInfo) []ModAction {
	if target.Nick == self.Nick || target.Role == muc.RoleNone {
		return nil
	}
	mine, theirs := affRank(self.Affiliation), affRank(target.Affiliation)
	if theirs > mine {
		return nil
	}
	admin := mine >= affRank(muc.AffiliationAdmin)
	// Roles: only a moderator's, and not of admins and owners.
	roles := self.Role == muc.RoleModerator && theirs < affRank(muc.AffiliationAdmin)
	// Affiliations: an admin's or owner's, of those below, by real JID.
	affs := admin && theirs < mine && target.JID != ""
	moderated := info != nil && info.Moderated
	var acts []ModAction
	if roles {
		switch {
		case target.Role == muc.RoleVisitor:
			acts = append(acts, ModGrantVoice)
		case target.Role == muc.RoleParticipant && moderated:
			acts = append(acts, ModRevokeVoice)
		}
		switch {
		case !admin:
		case target.Role == muc.RoleModerator:
			acts = append(acts, ModRemoveModerator)
		default:
			acts = append(acts, ModMakeModerator)
		}
	}
	if affs {
		switch target.Affiliation {
		case muc.AffiliationNone:
			acts = append(acts, ModMakeMember)
		case muc.AffiliationMember:
			acts = append(acts, ModRemoveMember)
		}
		if self.Affiliation == muc.AffiliationOwner {
			if target.Affiliation == muc.AffiliationAdmin {
				acts = append(acts, ModRemoveAdmin)
			} else {
				acts = append(acts, ModMakeAdmin)
			}
		}
	}
	if roles && (admin || target.Role != muc.RoleModerator) {
		acts = append(acts, ModKick)
	}
	if affs {
		acts = append(acts, ModBan)
	}
	return acts
}
