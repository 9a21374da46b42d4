package main

import "testing"

func TestCommandArg(t *testing.T) {
	if arg, err := commandArg(nil); arg != "" || err != nil {
		t.Errorf("no argument: %q, %v", arg, err)
	}
	if arg, err := commandArg([]string{"xmpp:a@b"}); arg != "xmpp:a@b" || err != nil {
		t.Errorf("a link: %q, %v", arg, err)
	}
	for _, args := range [][]string{{"xmpp:a@b", "xmpp:c@d"}, {"xmpp:a@b\n"}} {
		if _, err := commandArg(args); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

// uris records what a mailbox passed on.
type uris []string

func (u *uris) OpenURISoon(uri string) { *u = append(*u, uri) }

func TestMailboxKeepsHandOversUntilTheViews(t *testing.T) {
	var m mailbox
	m.deliver("xmpp:a@b")
	m.deliver("")
	var got uris
	m.attach(&got)
	m.deliver("xmpp:c@d")
	if len(got) != 3 || got[0] != "xmpp:a@b" || got[1] != "" || got[2] != "xmpp:c@d" {
		t.Errorf("passed on %q", got)
	}
}
