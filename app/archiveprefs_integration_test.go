package app_test

import (
	"context"
	"testing"

	"github.com/palaver-im/palaver/app"
	"github.com/palaver-im/palaver/app/im"
	"github.com/palaver-im/palaver/app/prosodytest"
)

// archiveDefault matches an ArchivePrefs with default d.
func archiveDefault(d im.ArchiveDefault) func(app.Event) bool {
	return func(e app.Event) bool {
		p, ok := e.(app.ArchivePrefs)
		return ok && p.Default == d
	}
}

// TestArchiveOffIsReportedAndTurnedOn: a server that archives nothing by
// default, as ejabberd's mod_mam does (Prosody with
// default_archive_policy = false): after sign-in the core reports the
// default 'never' (XEP-0313 §6.1); SetArchiveDefault turns the archive on,
// the default read back is reported, and the next session reads it too.
func TestArchiveOffIsReportedAndTurnedOn(t *testing.T) {
	srv := prosodytest.StartWith(t, prosodytest.Options{Global: `default_archive_policy = false`})
	srv.Register(t, "alice", "alice-pw")
	alice := start(t, "alice", accountFor(srv, "alice"), "alice-pw")
	alice.waitOnline()
	alice.wait("the archive off", archiveDefault(im.ArchiveNever))

	mark := alice.mark()
	alice.c.SetArchiveDefault(im.ArchiveAlways)
	alice.waitFrom(mark, "the archive on", archiveDefault(im.ArchiveAlways))

	// The server holds it: the next session reads 'always'.
	mark = alice.mark()
	alice.c.Disconnect()
	alice.waitFrom(mark, "offline", isState(app.Offline))
	mark = alice.mark()
	alice.c.Connect()
	alice.waitFrom(mark, "online again", isState(app.Online))
	alice.waitFrom(mark, "the archive still on", archiveDefault(im.ArchiveAlways))
	if n := alice.count(func(e app.Event) bool { _, ok := e.(app.CommandFailed); return ok }); n != 0 {
		t.Errorf("%d commands failed", n)
	}
}

// TestArchiveDefaultAskedOfflineIsSetAtSignIn: a default asked for while
// offline is set in the next session, and only the result is reported.
func TestArchiveDefaultAskedOfflineIsSetAtSignIn(t *testing.T) {
	srv := prosodytest.StartWith(t, prosodytest.Options{Global: `default_archive_policy = false`})
	srv.Register(t, "alice", "alice-pw")
	c := app.New(accountFor(srv, "alice"), func(ctx context.Context) (string, error) { return "alice-pw", nil })
	c.SetArchiveDefault(im.ArchiveRoster)
	alice := run(t, "alice", c)
	alice.waitOnline()
	alice.wait("the archive on for contacts", archiveDefault(im.ArchiveRoster))
	if n := alice.count(archiveDefault(im.ArchiveNever)); n != 0 {
		t.Errorf("reported the archive off %d times after it was turned on", n)
	}
}

// TestArchiveOnByDefaultIsReported: Prosody's own default archives every
// conversation; nothing needs telling.
func TestArchiveOnByDefaultIsReported(t *testing.T) {
	srv := prosodytest.Start(t)
	srv.Register(t, "alice", "alice-pw")
	alice := start(t, "alice", accountFor(srv, "alice"), "alice-pw")
	alice.waitOnline()
	alice.wait("the archive on", archiveDefault(im.ArchiveAlways))
}
