package views

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"golang.org/x/oauth2"

	"github.com/palaver-im/palaver/account"
	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/views/model"
)

// Options are what New needs from main.
type Options struct {
	// App is the Fyne application.
	App fyne.App
	// Dir is the profile directory the settings are saved in.
	Dir string
	// Config holds the settings loaded from Dir; ConfigErr is the error
	// loading them gave, shown to the user.
	Config    *account.Config
	ConfigErr error
	// Secrets stores remembered passwords.
	Secrets SecretStore
	// Tokens stores the refresh tokens of OAuth accounts (account.Keychain
	// in the app). Nil keeps every OAuth sign-in for the session only.
	Tokens account.RefreshStore
	// OpenURL shows a web page in the system browser; nil means the App's
	// OpenURL. The OAuth sign-in calls it from a goroutine of its own.
	OpenURL func(*url.URL) error
	// Start starts the core of an account.
	Start StartFunc
	// Trace, when set, receives one line per applied event batch: its size,
	// how long it held the UI goroutine, and the contacts known; and one
	// when a frame first draws the main window's content. For measuring,
	// see BenchmarkBinarySignIn5000 in main_test.go and
	// BenchmarkBinaryStartup in main_perf_test.go.
	Trace io.Writer
	// Began is when the process started, for the trace's start-up times.
	Began time.Time
	// Fonts, when set, waits until the fonts are loaded: the function
	// WarmFonts returned, which has also set the theme, with the text size
	// chosen. The views call it before they first measure text.
	Fonts func()
	// InSteps has Show build the main window in steps on Fyne's loop,
	// each short, instead of at once: the window first (empty), then its
	// content, and once a frame has drawn that, the accounts. Call Show
	// before App.Run then; the steps begin when the loop does (the app's
	// OnStarted). Main sets it; tests build at once.
	InSteps bool
	// OnStarted, when set, is called on the UI goroutine once Show has
	// built everything and started the accounts (or asked for one).
	OnStarted func()
	// Tray says that a system tray (status notifier host) is there: then
	// Palaver shows its icon in it, and closing the main window hides it.
	Tray bool
	// Icon is the app's icon, badged for the tray; nil means App.Icon().
	Icon fyne.Resource
	// Autostart starts Palaver at login (views/autostart.go); nil leaves
	// the setting out (on macOS: a note on Login Items instead).
	Autostart Autostart
	// Hidden keeps the main window hidden in the tray at Show (--hidden);
	// without a tray it shows anyway.
	Hidden bool
	// PasteImage returns the picture on the system clipboard as PNG, nil
	// when it holds none; it may block, and is called off the UI
	// goroutine. Nil: pasting sends no pictures (paste.go).
	PasteImage func() ([]byte, error)
	// OnLoop, when set, reports whether the caller runs on the App's event
	// loop (OnThisGoroutine, called where App.Run will run).
	// Once Fyne's loop has ended, fyne.Do runs a function on the calling
	// goroutine with GLFW gone: with OnLoop the views drop such a call, and
	// stop, instead of touching a widget (a panic in SetTitle). This
	// happens when Fyne's own SIGINT/SIGTERM handler quits before ours.
	// Nil means every call runs on the loop, as with Fyne's test driver.
	OnLoop func() bool
}

// UI is Palaver's user interface: the main window and everything opened
// from it. All its methods must be called on the UI goroutine.
type UI struct {
	// stopped is set when the app has stopped running (see New).
	stopped atomic.Bool
	app     fyne.App
	// calm is app as the widgets see it, with animations that the
	// views can turn off (calm.go).
	calm    *calmApp
	win     fyne.Window
	dir     string
	cfg     *account.Config
	cfgErr  error
	secrets SecretStore
	start   StartFunc
	trace   io.Writer
	began   time.Time
	pw      *model.Passwords

	// The OAuth sign-in: where refresh tokens go, how the browser opens,
	// the client for the authorization server (nil: a default one), how
	// long the browser may take (zero: account.DefaultFlowTimeout), and
	// the flow itself (Flow.Authorize; tests wrap it).
	tokenStore  account.RefreshStore
	openURL     func(*url.URL) error
	httpClient  *http.Client
	flowTimeout time.Duration
	runFlow     func(context.Context, account.Flow) (*oauth2.Token, error)
	// discoverIssuer asks an account's XMPP server for its authorization
	// server (app.DiscoverIssuer; tests replace it).
	discoverIssuer func(context.Context, account.Account) (string, error)
	// checkServerIssuer vets the issuer a server named before the user
	// is asked about it; nil means account.CheckServerIssuer (tests on
	// loopback http replace it).
	checkServerIssuer func(string) error
	// flows are the browser sign-ins under way, by account.
	flows map[string]*signIn
	// signingOut holds, per account, a channel closed when its sign-out
	// (deleting and revoking the refresh token) is done.
	signingOut map[string]chan struct{}

	// do runs a function on the UI goroutine; after does so after d.
	// Tests replace them to run everything on the test goroutine.
	do    func(func())
	after func(d time.Duration, f func())
	frame time.Duration

	// sessions are the accounts running, in the order of the settings;
	// each holds one account's state and ignores other accounts' events.
	// list is their one contact list.
	sessions []*session
	list     *model.Contacts

	stateDot     *canvas.Circle
	stateText    *widget.Label
	stateAction  *widget.Button
	countdown    countdown // keeps the Waiting bar's count live
	showSelect   *widget.Select
	statusEntry  *widget.Entry
	filter       *widget.Entry
	offline      *widget.Check
	offlineItem  *fyne.MenuItem
	requestsBox  *fyne.Container
	contacts     *contactList
	emptyHint    *widget.Label
	chatBtn      *widget.Button
	renameBtn    *widget.Button
	groupBtn     *widget.Button
	removeBtn    *widget.Button
	notice       *widget.Label
	noticeBar    *fyne.Container
	accountOpen  dialog.Dialog
	passwordOpen map[string]*passwordPrompt // by account
	signInOpen   map[string]*signInPrompt
	accountsWin  *accountsWindow
	// The system tray (tray.go), nil without one; trayUnread is the count
	// its icon shows.
	tray       trayApp
	trayMenu   *fyne.Menu
	trayUnread int
	icon       fyne.Resource
	trustOpen  map[string]dialog.Dialog
	search     *messageSearch

	// The Message requests place (requests.go).
	msgRequestsBar  *fyne.Container
	msgRequestsText *widget.Label
	msgRequestsOpen dialog.Dialog
	// invitesBox lists the invitations to rooms (invitations.go).
	invitesBox *fyne.Container
	// waitingLink is a chat link waiting for the first account to sign
	// in (uri.go), nil if none.
	waitingLink *xmppURI

	// Starting at login and hidden in the tray (autostart.go).
	autostart Autostart
	hidden    bool
	// mainHidden is set while the main window is hidden in the tray.
	mainHidden bool

	// pasteImage is Options.PasteImage; pasting is set while it reads.
	pasteImage func() ([]byte, error)
	pasting    bool

	// Start-up (startup.go): Options.Fonts, InSteps and OnStarted, and
	// whether Show's last step, starting the accounts, has run.
	fonts     func()
	inSteps   bool
	onStarted func()
	startedUp bool
}

// New builds the main window. Call Show to start.
func New(o Options) *UI {
	cfg := o.Config
	if cfg == nil {
		cfg = &account.Config{}
	}
	calm := calmed(o.App)
	u := &UI{
		app:            calm,
		calm:           calm,
		dir:            o.Dir,
		cfg:            cfg,
		cfgErr:         o.ConfigErr,
		secrets:        o.Secrets,
		trace:          o.Trace,
		began:          o.Began,
		start:          o.Start,
		tokenStore:     o.Tokens,
		openURL:        o.OpenURL,
		runFlow:        func(ctx context.Context, f account.Flow) (*oauth2.Token, error) { return f.Authorize(ctx) },
		discoverIssuer: app.DiscoverIssuer,
		signingOut:     make(map[string]chan struct{}),
		do:             fyne.Do,
		frame:          frame,
		trustOpen:      make(map[string]dialog.Dialog),
		list:           model.NewContacts(),
		flows:          make(map[string]*signIn),
		passwordOpen:   make(map[string]*passwordPrompt),
		signInOpen:     make(map[string]*signInPrompt),
	}
	if u.openURL == nil {
		u.openURL = o.App.OpenURL
	}
	// Once the app has stopped, nothing may touch a widget: the cores
	// still say goodbye (offline, last events) while main waits for them,
	// and Fyne's loop that ran those updates is gone.
	// Fyne's own signal handler (driver_desktop.go, catchTerm) may end the
	// loop before main's calls Quit: OnLoop catches what runs after that.
	o.App.Lifecycle().SetOnStopped(func() { u.stopped.Store(true) })
	onLoop := o.OnLoop
	if onLoop == nil {
		onLoop = func() bool { return true }
	}
	do := u.do
	u.do = func(f func()) {
		if u.stopped.Load() {
			return
		}
		do(func() {
			if u.stopped.Load() {
				return
			}
			if !onLoop() {
				u.stopped.Store(true)
				return
			}
			f()
		})
	}
	u.after = func(d time.Duration, f func()) {
		time.AfterFunc(d, func() { u.do(f) })
	}
	u.pw = model.NewPasswords(o.Secrets)
	u.listMerged()
	u.win = o.App.NewWindow("Palaver") // not translated: the app's name
	u.win.SetMaster()
	u.win.SetCloseIntercept(u.closeMain)
	u.fonts, u.inSteps, u.onStarted = o.Fonts, o.InSteps, o.OnStarted
	if u.fonts == nil {
		// Otherwise WarmFonts has set the theme, with the text size.
		u.applyTextSize()
	}
	u.icon = o.Icon
	if u.icon == nil {
		u.icon = o.App.Icon()
	}
	u.autostart, u.hidden = o.Autostart, o.Hidden
	u.pasteImage = o.PasteImage
	// The tray must be set up before Fyne's loop runs, which starts it.
	u.setUpTray(o.App, o.Tray)
	if !u.inSteps {
		u.buildMain()
	}
	u.win.Resize(fyne.NewSize(420, 640))
	o.App.Lifecycle().SetOnExitedForeground(func() {
		for _, s := range u.sessions {
			s.deactivateChats()
		}
	})
	return u
}

// Quit stops the views and quits the app. From here on nothing touches a
// widget: the cores still report their goodbyes while main waits for them,
// and Fyne, once its loop is gone, would run those updates on the wrong
// goroutine. Every way to quit goes through here: the Quit menu item,
// closing the main window, and main on SIGINT or SIGTERM.
func (u *UI) Quit() {
	u.stopped.Store(true)
	u.app.Quit()
}

// QuitSoon quits as Quit does, from any goroutine: it runs Quit on the UI
// goroutine, or only stops the views when Fyne's loop has already ended
// (Fyne's own SIGINT/SIGTERM handler got there first).
// It is safe for concurrent use; main calls it on SIGINT and SIGTERM.
func (u *UI) QuitSoon() {
	u.do(u.Quit)
}

// quitItem is the menu item that quits (Fyne adds its own otherwise).
func quitItem(quit func()) *fyne.MenuItem {
	item := fyne.NewMenuItem(lang.L("Quit"), quit)
	item.IsQuit = true
	item.Shortcut = ctrl(fyne.KeyQ, false)
	return item
}

// Show shows the main window (unless it starts hidden in the tray,
// Options.Hidden) and signs in to every enabled account, or asks for one
// when none is set up. With Options.InSteps it does so in steps, once
// Fyne's loop runs (startup.go).
func (u *UI) Show() {
	if u.inSteps {
		u.app.Lifecycle().SetOnStarted(func() { u.do(u.showStep) })
		return
	}
	if u.startsHidden() {
		u.mainHidden = true
	} else {
		u.win.Show()
	}
	u.startAccounts()
}

// startAccounts is the end of Show: it shows the error loading the
// settings, if any, signs in to every enabled account or asks for one
// when none is set up, and calls Options.OnStarted.
func (u *UI) startAccounts() {
	defer func() {
		if u.onStarted != nil {
			u.onStarted()
		}
	}()
	if u.cfgErr != nil {
		dialog.ShowError(fmt.Errorf("%w\n%s", u.cfgErr, lang.L("Palaver starts without an account; saving account settings replaces the file")), u.win)
	}
	if len(u.cfg.Accounts) == 0 {
		u.refreshState()
		u.showAccountDialog("")
		return
	}
	for _, a := range u.cfg.Enabled() {
		u.startAccount(a)
	}
	u.refreshState()
}

// session returns the running session of the account bare, nil if none.
func (u *UI) session(bare string) *session {
	for _, s := range u.sessions {
		if s.acct.JID == bare {
			return s
		}
	}
	return nil
}

// only returns the session when exactly one account runs: what acts on
// "the account" needs no choice then.
func (u *UI) only() *session {
	if len(u.sessions) == 1 {
		return u.sessions[0]
	}
	return nil
}

// order returns where the account bare goes among the sessions: the
// order of the settings.
func (u *UI) order(bare string) int {
	for i, a := range u.cfg.Accounts {
		if a.JID == bare {
			return i
		}
	}
	return len(u.cfg.Accounts)
}

// listSessions lists the sessions' rosters in the contact list, in the
// order of the settings.
func (u *UI) listSessions() {
	slices.SortStableFunc(u.sessions, func(a, b *session) int { return u.order(a.acct.JID) - u.order(b.acct.JID) })
	rs := make([]*model.Roster, len(u.sessions))
	for i, s := range u.sessions {
		rs[i] = s.Roster
	}
	u.list.SetRosters(rs...)
	u.contacts.markGen++ // the accounts' colours follow their order
}

// startAccount starts a configured account: an OAuth one signs in
// silently with the refresh token in the keychain.
func (u *UI) startAccount(a account.Account) {
	if a.UsesOAuth() {
		u.startSession(a, u.newSilentTokens(a))
		return
	}
	u.startSession(a, nil)
}

// stopSession stops the session of the account bare, if it runs.
func (u *UI) stopSession(bare string) {
	s := u.session(bare)
	if s == nil {
		return
	}
	s.close()
	u.sessions = slices.DeleteFunc(u.sessions, func(x *session) bool { return x == s })
	u.listSessions()
	u.showRows()
	u.refreshInvitations()
}

// startSession starts the core of a and shows it. An OAuth account signs
// in with tokens; without them it waits for a sign-in in the browser.
func (u *UI) startSession(a account.Account, tokens model.TokenSource) {
	var creds Credentials
	if a.UsesOAuth() {
		if tokens != nil {
			creds.Tokens = tokens
		}
	} else {
		u.pw.SetRemember(a.JID, a.RememberPassword)
		creds.Password = u.pw.PasswordFunc(a.JID)
	}
	core, stop := u.start(a, creds)
	s := newSession(u, a, core, stop)
	s.tokens = tokens
	if a.UsesOAuth() && tokens == nil {
		// The core reports SignInRequired at once; the user knows.
		s.SignIn = model.SignInAwaited
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	u.sessions = append(u.sessions, s)
	u.listSessions()
	u.restoreStatus(s)
	go pump(ctx, core.Events(), u.do, u.traced(s), u.frame)
	u.showRows()
	u.refreshState()
	u.refreshRequests()
	u.refreshMessageRequests()
}

// traced returns s.apply, timed when tracing is on.
func (u *UI) traced(s *session) func([]app.Event) {
	if u.trace == nil {
		return s.apply
	}
	return func(batch []app.Event) {
		began := time.Now()
		s.apply(batch)
		fmt.Fprintf(u.trace, "palaver-trace: applied %d events in %d µs, %d contacts\n", // not translated: trace for measuring
			len(batch), time.Since(began).Microseconds(), u.list.Len())
	}
}

func (u *UI) build() {
	u.stateDot = canvas.NewCircle(colorOffline)
	u.stateText = widget.NewLabel("")
	u.stateText.Wrapping = fyne.TextWrapWord
	u.stateAction = widget.NewButton("", nil)
	u.stateAction.Hide()
	connBar := container.NewBorder(nil, nil, container.NewCenter(sizedBox(u.stateDot, 12)), container.NewCenter(u.stateAction), u.stateText)

	labels := make([]string, len(ownShows))
	for i, s := range ownShows {
		labels[i] = showLabel(s)
	}
	u.showSelect = widget.NewSelect(labels, func(string) { u.presenceChanged() })
	u.showSelect.Selected = showLabel(im.Available)
	u.statusEntry = widget.NewEntry()
	u.statusEntry.SetPlaceHolder(lang.L("Status message"))
	u.statusEntry.OnSubmitted = func(string) { u.presenceChanged() }
	presenceBar := container.NewBorder(nil, nil, u.showSelect, nil, u.statusEntry)

	u.filter = widget.NewEntry()
	u.filter.SetPlaceHolder(lang.L("Search contacts"))
	u.filter.OnChanged = func(text string) {
		u.list.SetFilter(text)
		u.showRows()
	}
	u.offline = widget.NewCheck(lang.L("Offline contacts"), func(on bool) {
		u.offlineItem.Checked = on
		if mm := u.win.MainMenu(); mm != nil {
			mm.Refresh()
		}
		u.list.SetShowOffline(on)
		u.showRows()
	})
	filterBar := container.NewBorder(nil, nil, nil, u.offline, u.filter)

	u.requestsBox = container.NewVBox()
	u.requestsBox.Hide()

	u.contacts = newContactList()
	u.contacts.do = func(f func()) { u.do(f) }
	u.contacts.accountColor = u.accountColor
	u.contacts.onSelect = func(Row, bool) { u.refreshActions() }
	u.contacts.onOpen = func(k model.ContactKey) {
		s := u.session(k.Account)
		switch {
		case s == nil:
		case s.Rooms[k.JID] != nil || s.Bookmarks[k.JID].Room != "":
			s.openRoom(k.JID)
		default:
			s.openChat(k.JID)
		}
	}
	u.contacts.onToggle = func(h Row) {
		u.list.ToggleGroup(h)
		u.showRows()
	}
	u.contacts.onMenu = u.showContactMenu

	u.chatBtn = widget.NewButtonWithIcon(lang.L("Chat"), theme.MailComposeIcon(), func() { u.withSelected(u.chatWith) })
	u.renameBtn = widget.NewButton(lang.L("Rename…"), func() { u.withSelected(u.renameContact) })
	u.groupBtn = widget.NewButton(lang.L("Group…"), func() { u.withSelected(u.moveContact) })
	u.removeBtn = widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { u.withSelected(u.removeContact) })
	addBtn := widget.NewButtonWithIcon("", theme.ContentAddIcon(), u.addContact)
	actions := container.NewBorder(nil, nil, nil, container.NewHBox(addBtn, u.removeBtn),
		container.NewHBox(u.chatBtn, u.renameBtn, u.groupBtn))
	u.refreshActions()

	u.notice = widget.NewLabel("")
	u.notice.Wrapping = fyne.TextWrapWord
	u.notice.Importance = widget.DangerImportance
	dismiss := widget.NewButtonWithIcon("", theme.CancelIcon(), func() {
		u.noticeBar.Hide()
		u.relayout()
	})
	dismiss.Importance = widget.LowImportance
	u.noticeBar = container.NewBorder(nil, nil, nil, container.NewCenter(dismiss), u.notice)
	u.noticeBar.Hide()

	u.emptyHint = widget.NewLabel("")
	u.emptyHint.Importance = widget.LowImportance
	u.emptyHint.Alignment = fyne.TextAlignCenter
	u.emptyHint.Wrapping = fyne.TextWrapWord
	u.emptyHint.Hide()
	list := container.NewStack(u.contacts.list, container.NewVBox(u.emptyHint))
	u.search = newMessageSearch(u, list)
	top := container.NewVBox(connBar, presenceBar, widget.NewSeparator(), u.requestsBox, u.newInvitationsBox(), u.newMessageRequestsBar(), filterBar, u.search.entry)
	bottom := container.NewVBox(widget.NewSeparator(), actions, u.noticeBar)
	u.win.SetContent(u.withPaintProbe(container.NewBorder(top, bottom, nil, nil, u.search.view)))

	u.offlineItem = fyne.NewMenuItem(lang.L("Show offline contacts"), func() { u.offline.SetChecked(!u.offline.Checked) })
	accountMenu := []*fyne.MenuItem{
		fyne.NewMenuItem(lang.L("Accounts…"), u.showAccounts),
		fyne.NewMenuItem(lang.L("Add account…"), func() { u.showAccountDialog("") }),
		fyne.NewMenuItem(lang.L("My profile…"), u.showMyProfile),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem(lang.L("Sign in"), u.signIn),
		fyne.NewMenuItem(lang.L("Sign out"), u.signOut),
		fyne.NewMenuItemSeparator(),
	}
	if item := u.closeToTrayItem(); item != nil {
		accountMenu = append(accountMenu, item)
	}
	accountMenu = append(accountMenu, u.autostartItems()...)
	accountMenu = append(accountMenu, quitItem(u.Quit))
	u.win.SetMainMenu(fyne.NewMainMenu(
		fyne.NewMenu(lang.L("Account"), accountMenu...),
		fyne.NewMenu(lang.L("Contacts"),
			withShortcut(fyne.NewMenuItem(lang.L("Start a chat…"), u.startChat), ctrl(fyne.KeyN, false)),
			withShortcut(fyne.NewMenuItem(lang.L("Join a room…"), func() { u.joinRoom("", "") }), ctrl(fyne.KeyJ, false)),
			fyne.NewMenuItem(lang.L("Add contact…"), u.addContact),
			withShortcut(fyne.NewMenuItem(lang.L("Search contacts"), u.focusFilter), ctrl(fyne.KeyF, false)),
			withShortcut(fyne.NewMenuItem(lang.L("Search messages"), u.focusSearch), ctrl(fyne.KeyF, true)),
			fyne.NewMenuItem(lang.L("Contact profile…"), func() { u.withSelected(u.showContactProfile) }),
			u.offlineItem,
			u.byAccountItem(),
			fyne.NewMenuItem(lang.L("Message requests…"), u.showMessageRequests),
			u.openChatsItem(),
		),
		fyne.NewMenu(lang.L("View"), append(u.textSizeItems(), fyne.NewMenuItemSeparator(), u.autoPreviewsItem())...),
		fyne.NewMenu(lang.L("Help"),
			fyne.NewMenuItem(lang.L("Keyboard shortcuts"), u.showShortcuts),
		),
	))
}

// prefByAccount is the preference that groups the contact list by account.
const prefByAccount = "contacts.byAccount"

// byAccountItem is the Contacts menu toggle between grouping the list by
// roster group (the default, as in Pidgin) and by account (as in Gajim).
func (u *UI) byAccountItem() *fyne.MenuItem {
	item := fyne.NewMenuItem(lang.L("Group by account"), nil)
	item.Checked = u.app.Preferences().Bool(prefByAccount)
	u.list.SetByAccount(item.Checked)
	item.Action = func() {
		on := !u.list.ByAccount()
		u.app.Preferences().SetBool(prefByAccount, on)
		u.list.SetByAccount(on)
		item.Checked = on
		if mm := u.win.MainMenu(); mm != nil {
			mm.Refresh()
		}
		u.showRows()
	}
	return item
}

// showRows shows the accounts' contact rows, or says why there are none.
func (u *UI) showRows() {
	if len(u.sessions) == 0 {
		u.contacts.setRows(nil)
		u.emptyHint.Hide()
		return
	}
	defer u.refreshTray()
	r := u.list
	r.SetRooms(u.roomRows())
	rows := r.Rows()
	u.contacts.marks = len(r.Rosters()) > 1 && !r.ByAccount()
	u.contacts.setRows(rows)
	online := slices.ContainsFunc(u.sessions, func(s *session) bool { return s.State.State == app.Online })
	switch {
	case len(rows) > 0:
		u.emptyHint.Hide()
		return
	case r.Len() == 0 && !online:
		u.emptyHint.SetText(lang.L("Your contacts appear here once you are signed in."))
	case r.Len() == 0:
		u.emptyHint.SetText(lang.L("No contacts yet. Add one with +."))
	default:
		u.emptyHint.SetText(lang.L("No contact matches “{{.Filter}}”.", map[string]any{"Filter": u.filter.Text}))
	}
	u.emptyHint.Show()
}

// presenceChanged sends the own presence chosen in the selector, from
// every account.
func (u *UI) presenceChanged() {
	show, _ := showFromLabel(u.showSelect.Selected)
	for _, s := range u.sessions {
		if u.ownStatus(s.acct.JID) {
			continue // set in the Accounts window
		}
		s.core.SetPresence(show, u.statusEntry.Text)
		u.saveStatus(s.acct.JID, show, u.statusEntry.Text)
	}
	u.refreshState()
}

func (u *UI) signIn() {
	if len(u.sessions) == 0 {
		if len(u.cfg.Accounts) == 0 {
			u.showAccountDialog("")
		} else {
			u.showAccounts()
		}
		return
	}
	// Invisible/Offline signs out; signing in means being visible again.
	if show, _ := showFromLabel(u.showSelect.Selected); show == im.Offline {
		u.showSelect.SetSelected(showLabel(im.Available))
		return
	}
	browser := false
	for _, s := range u.sessions {
		if s.acct.UsesOAuth() && s.NeedsSignIn() {
			// One browser page at a time: the others wait for their own
			// "Sign in" (the Accounts window, or this item again).
			if !browser {
				browser = true
				u.authorize(s.acct)
			}
			continue
		}
		s.core.Connect()
	}
}

// signOut signs every account out. An OAuth account also forgets its
// sign-in (the refresh token is deleted and revoked); signing in again
// opens the browser. A password account only goes offline.
func (u *UI) signOut() {
	for _, s := range u.sessions {
		u.signOutOf(s)
	}
}

// signOutOf signs s's account out (see signOut).
func (u *UI) signOutOf(s *session) {
	if s.acct.UsesOAuth() {
		u.signOutOAuth(s)
		return
	}
	s.core.Disconnect()
}

// refreshState shows the connection state and the action it calls for:
// the account's when one runs, a summary of all of them otherwise.
func (u *UI) refreshState() {
	defer u.refreshAccounts()
	if len(u.sessions) > 1 {
		u.refreshSummary()
		return
	}
	s := u.only()
	act := func(label string, f func()) {
		u.stateAction.SetText(label)
		u.stateAction.OnTapped = f
		u.stateAction.Show()
	}
	if s == nil || s.State.State != app.Waiting {
		u.stopCountdown()
	}
	if s == nil {
		u.stateDot.FillColor = colorOffline
		u.stateDot.Refresh()
		for _, f := range u.flows {
			u.stateText.SetText(lang.L("Signing in {{.Address}} with {{.Provider}}…", map[string]any{"Address": f.acct.JID, "Provider": providerName(f.acct)}))
			u.stateAction.Hide()
			return
		}
		if len(u.cfg.Accounts) > 0 {
			u.stateText.SetText(lang.L("All accounts are disabled"))
			act(lang.L("Accounts…"), u.showAccounts)
			return
		}
		u.stateText.SetText(lang.L("No account set up"))
		act(lang.L("Set up account…"), func() { u.showAccountDialog("") })
		return
	}
	text, dot, label, action := u.stateLine(s)
	u.stateDot.FillColor = dot
	u.stateDot.Refresh()
	if s.State.State == app.Waiting {
		u.armCountdown(s.State.RetryAt)
	}
	if action != nil {
		act(label, action)
	} else {
		u.stateAction.Hide()
	}
	u.stateText.SetText(text)
}

// stateLine words the connection state of s's account, with the colour of
// its dot and the action it calls for (nil when none). Errors from the
// network can be long; the text is clipped to two lines or so.
func (u *UI) stateLine(s *session) (text string, dot color.Color, label string, action func()) {
	st := s.State
	dot = stateColor(st.State)
	text = connStateText(st.State)
	switch st.State {
	case app.Online:
		text = lang.L("Online as {{.Address}}", map[string]any{"Address": s.acct.JID})
		if show, _ := showFromLabel(u.showSelect.Selected); show != im.Available && show != im.Offline {
			// Away, busy…: the top line says so, in the show's colour.
			text = lang.L("{{.Status}} as {{.Address}}", map[string]any{"Status": showText(show), "Address": s.acct.JID})
			dot = showColor(show)
		}
	case app.Connecting:
		text = lang.L("Connecting to {{.Address}}…", map[string]any{"Address": s.acct.JID})
	case app.Waiting:
		// Clipped already, keeping the count in view.
		return waitingText(st.Err, st.RetryAt, clock.now()), dot, lang.L("Reconnect now"), s.core.Connect
	default:
		if s.acct.UsesOAuth() && s.NeedsSignIn() {
			text = lang.L("Not signed in with {{.Provider}}.", map[string]any{"Provider": providerName(s.acct)})
			if u.flows[s.acct.JID] != nil {
				text = lang.L("Signing in with {{.Provider}}…", map[string]any{"Provider": providerName(s.acct)})
			}
			label, action = lang.L("Sign in…"), func() { u.signInAccount(s) }
			break
		}
		switch {
		case errors.Is(st.Err, model.ErrNoPassword):
			// Not an error of the network: the password was not given.
			text = lang.L("{{.State}}: Palaver needs the password of this account", map[string]any{"State": text})
		case st.Err != nil:
			text += ": " + errorText(st.Err)
		}
		label, action = lang.L("Sign in"), func() { u.signInAccount(s) }
	}
	return clipRunes(text, 160), dot, label, action
}

// signInAccount signs s's account in: in the browser when an OAuth
// account needs it, else by connecting (visible again if the selector said
// Offline).
func (u *UI) signInAccount(s *session) {
	if u.session(s.acct.JID) != s {
		return
	}
	if s.acct.UsesOAuth() && s.NeedsSignIn() {
		u.authorize(s.acct)
		return
	}
	if show, _ := showFromLabel(u.showSelect.Selected); show == im.Offline {
		u.showSelect.SetSelected(showLabel(im.Available))
		return
	}
	s.core.Connect()
}

// refreshSummary shows how many of the accounts are online, and offers
// the Accounts window, which says why the others are not.
func (u *UI) refreshSummary() {
	u.stopCountdown()
	online := 0
	for _, s := range u.sessions {
		if s.State.State == app.Online {
			online++
		}
	}
	n := len(u.sessions)
	text := lang.N("{{.Online}} of {{.Count}} accounts online", n, map[string]any{"Online": online, "Count": n})
	color := stateColor(app.Online)
	switch {
	case online == 0:
		color = stateColor(app.Offline)
	case online < n:
		color = stateColor(app.Waiting)
	default:
		text = lang.N("All {{.Count}} accounts online", n, map[string]any{"Count": n})
	}
	if show, _ := showFromLabel(u.showSelect.Selected); online > 0 && show != im.Available && show != im.Offline {
		text = showText(show) + " · " + text
		if online == n {
			color = showColor(show)
		}
	}
	u.stateDot.FillColor = color
	u.stateDot.Refresh()
	u.stateText.SetText(text)
	if online < n {
		u.stateAction.SetText(lang.L("Details…"))
		u.stateAction.OnTapped = u.showAccounts
		u.stateAction.Show()
	} else {
		u.stateAction.Hide()
	}
}

// showNotice shows a message in the status bar until dismissed.
func (u *UI) showNotice(msg string) {
	// Notices quote servers' and contacts' words (errors, names).
	u.notice.SetText(plainText(msg))
	u.noticeBar.Show()
	u.relayout()
}

func (u *UI) refreshActions() {
	_, ok := u.contacts.selected()
	for _, b := range []*widget.Button{u.chatBtn, u.renameBtn, u.groupBtn, u.removeBtn} {
		if ok {
			b.Enable()
		} else {
			b.Disable()
		}
	}
}

func (u *UI) withSelected(f func(Row)) {
	if r, ok := u.contacts.selected(); ok && u.session(r.Account) != nil {
		f(r)
	}
}

func (u *UI) chatWith(r Row) {
	if s := u.session(r.Account); s != nil {
		s.openChat(r.JID)
	}
}

func (u *UI) showContactMenu(r Row, c fyne.Canvas, at fyne.Position) {
	widget.ShowPopUpMenuAtPosition(fyne.NewMenu("", u.contactMenuItems(r)...), c, at)
}

// contactMenuItems are the items of r's context menu. A merged contact
// (metacontact) offers a chat from each of its accounts and Separate;
// with several accounts, any contact can be merged with another's.
func (u *UI) contactMenuItems(r Row) []*fyne.MenuItem {
	if r.Room {
		s := u.session(r.Account)
		if s == nil {
			return nil
		}
		open := lang.L("Open")
		if s.Rooms[r.JID] == nil {
			open = lang.L("Join")
		}
		items := []*fyne.MenuItem{fyne.NewMenuItem(open, func() { s.openRoom(r.JID) })}
		if s.Rooms[r.JID] != nil {
			items = append(items, fyne.NewMenuItem(lang.L("Leave"), func() {
				if c := s.chats[r.JID]; c != nil {
					c.win.Close() // leaves
					return
				}
				s.roomClosed(r.JID)
			}))
		}
		if _, kept := s.Bookmarks[r.JID]; kept {
			items = append(items, fyne.NewMenuItem(lang.L("Remove from the list"), func() { s.forgetRoom(r.JID) }))
		}
		return items
	}
	items := []*fyne.MenuItem{fyne.NewMenuItem(lang.L("Chat"), func() { u.chatWith(r) })}
	if r.Merged > 0 {
		for _, k := range u.list.Members(r.Key()) {
			items = append(items, fyne.NewMenuItem(lang.L("Chat from {{.Account}}", map[string]any{"Account": k.Account}), func() {
				if s := u.session(k.Account); s != nil {
					s.openChat(k.JID)
				}
			}))
		}
	}
	items = append(items,
		fyne.NewMenuItem(lang.L("Profile…"), func() { u.showContactProfile(r) }),
		fyne.NewMenuItem(lang.L("Rename…"), func() { u.renameContact(r) }),
		fyne.NewMenuItem(lang.L("Move to group…"), func() { u.moveContact(r) }),
	)
	if len(u.sessions) > 1 {
		items = append(items, fyne.NewMenuItem(lang.L("Merge with…"), func() { u.mergeContact(r) }))
	}
	if r.Merged > 0 {
		items = append(items, fyne.NewMenuItem(lang.L("Separate"), func() { u.separateContact(r) }))
	}
	if s := u.session(r.Account); s != nil && s.Blocked[r.JID] {
		items = append(items, fyne.NewMenuItem(lang.L("Unblock"), func() { s.unblock(r.JID) }))
	} else {
		items = append(items, fyne.NewMenuItem(lang.L("Block…"), func() { u.blockContact(r) }))
	}
	return append(items,
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem(lang.L("Remove…"), func() { u.removeContact(r) }),
	)
}

// refreshRequests lists pending subscription requests above the contacts,
// those of every account.
func (u *UI) refreshRequests() {
	u.requestsBox.RemoveAll()
	type request struct {
		s *session
		r app.SubscriptionRequest
	}
	var all []request
	for _, s := range u.sessions {
		for _, r := range s.Requests {
			all = append(all, request{s, r})
		}
	}
	u.fillPrompts(u.requestsBox, len(all), "requests", func(i int) fyne.CanvasObject { return u.requestRow(all[i].s, all[i].r) })
}

// shownPrompts is how many requests or invitations show above the
// contacts; the rest are counted.
const shownPrompts = 3

// fillPrompts fills box (emptied) with the first shownPrompts of n
// prompts (row(i) draws the i-th), a count of the others ("and 4 more
// requests"; what, "requests" or "invitations", says which), and a
// separator; with none, box hides.
func (u *UI) fillPrompts(box *fyne.Container, n int, what string, row func(i int) fyne.CanvasObject) {
	if n == 0 {
		box.Hide()
		u.relayout()
		return
	}
	for i := range min(n, shownPrompts) {
		box.Add(row(i))
	}
	if n > shownPrompts {
		k := n - shownPrompts
		text := lang.N("and {{.Count}} more requests", k, map[string]any{"Count": k})
		if what == "invitations" {
			text = lang.N("and {{.Count}} more invitations", k, map[string]any{"Count": k})
		}
		more := widget.NewLabel(text)
		more.Importance = widget.LowImportance
		box.Add(more)
	}
	box.Add(widget.NewSeparator())
	box.Show()
	box.Refresh()
	u.relayout()
}

// relayout lays the main window out again after a bar above or below the
// contacts appeared or went: Show and Hide refresh only the bar itself, and
// its box keeps the room it had (none, for a bar that was hidden).
func (u *UI) relayout() {
	if c := u.win.Content(); c != nil {
		c.Refresh()
	}
}

func (u *UI) requestRow(s *session, r app.SubscriptionRequest) fyne.CanvasObject {
	who := r.From
	if r.Nick != "" {
		who = r.Nick + " <" + r.From + ">"
	}
	text := lang.L("{{.Name}} wants to see your presence.", map[string]any{"Name": who})
	if len(u.sessions) > 1 {
		text = lang.L("{{.Name}} wants to see the presence of {{.Account}}.", map[string]any{"Name": who, "Account": s.acct.JID})
	}
	if r.Status != "" {
		text += " " + lang.L("“{{.Status}}”", map[string]any{"Status": r.Status})
	}
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	from := r.From
	approve := widget.NewButton(lang.L("Approve"), func() { s.answerRequest(from, true) })
	approve.Importance = widget.HighImportance
	deny := widget.NewButton(lang.L("Deny"), func() { s.answerRequest(from, false) })
	return container.NewBorder(nil, nil, nil, container.NewHBox(approve, deny), l)
}

// showDialog shows d about width wide (see fitDialog). The main window
// comes out of the tray first when it is hidden there: the dialogs of the
// main window (a password, a certificate, a failed sign-in) need the user,
// and a dialog on a hidden window would wait unseen.
func (u *UI) showDialog(d dialog.Dialog, width float32) {
	if u.mainHidden {
		u.showWindow()
	}
	u.fitDialog(d, width)
	d.Show()
}

// fitDialog sizes d about width wide and as high as it needs. It narrows
// d to fit the main window, and grows the window when d cannot shrink
// enough: a dialog larger than its window is cut off. Call it again when
// d's content changes.
func (u *UI) fitDialog(d dialog.Dialog, width float32) {
	pad := theme.Padding()
	min := d.MinSize()
	size := u.win.Canvas().Size()
	grown := size
	if need := min.Width + 4*pad; size.Width > 0 && size.Width < need {
		grown.Width = need
	}
	if need := min.Height + 4*pad; size.Height > 0 && size.Height < need {
		grown.Height = need
	}
	if grown != size {
		u.win.Resize(grown)
		size = grown
	}
	if avail := size.Width - 2*pad; size.Width > 0 && width > avail {
		width = avail
	}
	if width < min.Width {
		width = min.Width
	}
	d.Resize(fyne.NewSize(width, min.Height))
}
