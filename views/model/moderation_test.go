package model

import (
	"slices"
	"testing"

	"mellium.im/xmpp/muc"

	"github.com/palaver-im/palaver/app"
)

func TestModeration(t *testing.T) {
	occ := func(nick string, role muc.Role, aff muc.Affiliation, jid string) app.Occupant {
		return app.Occupant{Nick: nick, Role: role, Affiliation: aff, JID: jid}
	}
	var (
		owner     = occ("olga", muc.RoleModerator, muc.AffiliationOwner, "olga@x/a")
		admin     = occ("adam", muc.RoleModerator, muc.AffiliationAdmin, "adam@x/a")
		mod       = occ("mo", muc.RoleModerator, muc.AffiliationNone, "mo@x/a")
		memberMod = occ("mm", muc.RoleModerator, muc.AffiliationMember, "mm@x/a")
		member    = occ("mem", muc.RoleParticipant, muc.AffiliationMember, "mem@x/a")
		guest     = occ("gus", muc.RoleParticipant, muc.AffiliationNone, "gus@x/a")
		anonymous = occ("anon", muc.RoleParticipant, muc.AffiliationNone, "")
		visitor   = occ("vic", muc.RoleVisitor, muc.AffiliationNone, "vic@x/a")
		plain     = occ("pat", muc.RoleParticipant, muc.AffiliationNone, "pat@x/a")
	)
	moderated := &app.RoomInfo{Moderated: true}
	open := &app.RoomInfo{}
	tests := []struct {
		name         string
		self, target app.Occupant
		info         *app.RoomInfo
		want         []ModAction
	}{
		{"nothing to ourselves", owner, owner, moderated, nil},
		{"nothing for a participant", plain, guest, moderated, nil},
		{"nothing to someone gone", owner, occ("x", muc.RoleNone, muc.AffiliationNone, "x@x"), nil, nil},
		{"a moderator kicks", mod, guest, open, []ModAction{ModKick}},
		{"a moderator kicks and silences in a moderated room", mod, guest, moderated, []ModAction{ModRevokeVoice, ModKick}},
		{"info unknown: not moderated", mod, guest, nil, []ModAction{ModKick}},
		{"a visitor is given voice anywhere", mod, visitor, open, []ModAction{ModGrantVoice, ModKick}},
		{"a moderator who is none acts on no member", mod, member, moderated, nil},
		{"a member moderator silences a guest", memberMod, guest, moderated, []ModAction{ModRevokeVoice, ModKick}},
		{"a plain moderator kicks no moderator", mod, memberMod, moderated, nil},
		{"a moderator acts on no admin", mod, admin, moderated, nil},
		{"an admin: roles, membership, ban", admin, guest, moderated,
			[]ModAction{ModRevokeVoice, ModMakeModerator, ModMakeMember, ModKick, ModBan}},
		{"an admin on a member", admin, member, open,
			[]ModAction{ModMakeModerator, ModRemoveMember, ModKick, ModBan}},
		{"an admin unmakes a moderator", admin, memberMod, open,
			[]ModAction{ModRemoveModerator, ModRemoveMember, ModKick, ModBan}},
		{"no ban nor membership without the real JID", admin, anonymous, open, []ModAction{ModMakeModerator, ModKick}},
		{"an admin acts on no admin", admin, occ("ada", muc.RoleModerator, muc.AffiliationAdmin, "ada@x/a"), open, nil},
		{"an admin acts on no owner", admin, owner, moderated, nil},
		{"an owner makes admins", owner, member, open,
			[]ModAction{ModMakeModerator, ModRemoveMember, ModMakeAdmin, ModKick, ModBan}},
		{"an owner unmakes an admin, bans, but changes no admin's role", owner, admin, moderated,
			[]ModAction{ModRemoveAdmin, ModBan}},
		{"an owner acts on no owner", owner, occ("ole", muc.RoleModerator, muc.AffiliationOwner, "ole@x/a"), open, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Moderation(tt.self, tt.target, tt.info); !slices.Equal(got, tt.want) {
				t.Errorf("Moderation = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestModActionChanges(t *testing.T) {
	for m := ModGrantVoice; m <= ModBan; m++ {
		_, role := m.Role()
		_, aff := m.Affiliation()
		if role == aff {
			t.Errorf("action %d: a role change %v, an affiliation change %v", m, role, aff)
		}
		if aff != m.ByJID() {
			t.Errorf("action %d: by JID %v, yet an affiliation change %v", m, m.ByJID(), aff)
		}
	}
	if r, _ := ModKick.Role(); r != muc.RoleNone {
		t.Errorf("kick gives %v", r)
	}
	if a, _ := ModBan.Affiliation(); a != muc.AffiliationOutcast || !ModBan.Destructive() || ModMakeAdmin.Destructive() {
		t.Errorf("ban gives %v", a)
	}
}
