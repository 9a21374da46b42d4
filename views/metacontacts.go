package views

import (
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/views/model"
)

// Merged contacts (metacontacts, as in Pidgin): the same person on
// several accounts, listed as one row that shows the contact of the best
// online account; a chat opened from it goes there, and the context menu
// offers each account's. The merges are kept in the settings
// (account.Config.Merged).

// listMerged hands the merges of the settings to the contact list.
func (u *UI) listMerged() {
	sets := make([][]model.ContactKey, len(u.cfg.Merged))
	for i, m := range u.cfg.Merged {
		for _, r := range m.Members {
			sets[i] = append(sets[i], model.ContactKey{Account: r.Account, JID: r.JID})
		}
	}
	u.list.SetMerged(sets)
}

// mergeCandidates returns the contacts of other accounts that r can be
// merged with: those with r's address first, then by name.
func (u *UI) mergeCandidates(r Row) []model.ContactKey {
	var out []model.ContactKey
	for _, s := range u.sessions {
		if s.acct.JID == r.Account {
			continue
		}
		out = append(out, s.Roster.Keys()...)
	}
	name := func(k model.ContactKey) string {
		return strings.ToLower(u.session(k.Account).Roster.DisplayName(k.JID))
	}
	slices.SortStableFunc(out, func(a, b model.ContactKey) int {
		if sa, sb := strings.EqualFold(a.JID, r.JID), strings.EqualFold(b.JID, r.JID); sa != sb {
			if sa {
				return -1
			}
			return 1
		}
		return strings.Compare(name(a), name(b))
	})
	return out
}

// mergeContact asks which contact of another account r is, and merges
// the two.
func (u *UI) mergeContact(r Row) {
	cands := u.mergeCandidates(r)
	if len(cands) == 0 {
		u.showNotice(lang.L("The other accounts have no contacts to merge {{.Name}} with.", map[string]any{"Name": r.Name}))
		return
	}
	labels := make([]string, len(cands))
	for i, k := range cands {
		name := u.session(k.Account).Roster.DisplayName(k.JID)
		if name == k.JID {
			labels[i] = lang.L("{{.Address}} on {{.Account}}", map[string]any{"Address": k.JID, "Account": k.Account})
		} else {
			labels[i] = lang.L("{{.Name}} <{{.Address}}> on {{.Account}}",
				map[string]any{"Name": name, "Address": k.JID, "Account": k.Account})
		}
	}
	pick := widget.NewSelect(labels, nil)
	pick.SetSelectedIndex(0)
	intro := widget.NewLabel(lang.L("Which contact of another account is {{.Name}} <{{.Address}}>? Merged contacts are listed once; a chat goes to the account where the person is online.",
		map[string]any{"Name": r.Name, "Address": r.JID}))
	intro.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(lang.L("Merge contacts"), lang.L("Merge"), lang.L("Cancel"), container.NewVBox(intro, pick), func(ok bool) {
		i := pick.SelectedIndex()
		if !ok || i < 0 {
			return
		}
		k := cands[i]
		u.cfg.Merge(account.ContactRef{Account: r.Account, JID: r.JID}, account.ContactRef{Account: k.Account, JID: k.JID})
		u.mergesChanged()
	}, u.win)
	u.showDialog(d, 460)
}

// separateContact takes r's contact out of its metacontact.
func (u *UI) separateContact(r Row) {
	for _, k := range u.list.Members(r.Key()) {
		u.cfg.Separate(account.ContactRef{Account: k.Account, JID: k.JID})
	}
	u.mergesChanged()
}

// mergesChanged saves the merges and lists them.
func (u *UI) mergesChanged() {
	if err := u.cfg.Save(u.dir); err != nil {
		u.showNotice(lang.L("Could not save the settings: {{.Error}}", map[string]any{"Error": errorText(err)}))
	}
	u.listMerged()
	u.showRows()
}
