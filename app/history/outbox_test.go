package history_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/palaver-im/palaver/app/history"
)

func TestAddAllTellsDuplicates(t *testing.T) {
	st, err := history.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	at := time.Date(2026, 11, 20, 22, 14, 0, 0, time.UTC)
	ms := []history.Message{
		{Peer: "bob@x", Dir: history.In, MsgID: "1", Body: "hi", Time: at},
		{Peer: "bob@x", Dir: history.In, MsgID: "2", StanzaID: "s2", Body: "there", Time: at},
		{Peer: "bob@x", Dir: history.In, MsgID: "1", Body: "hi", Time: at},        // same id and body
		{Peer: "bob@x", Dir: history.In, StanzaID: "s2", Body: "there", Time: at}, // same server id
		{Peer: "carol@x", Dir: history.In, MsgID: "1", Body: "hi", Time: at},      // another peer
		{Peer: "bob@x", Dir: history.Out, MsgID: "1", Body: "hi", Time: at},       // another direction
	}
	ids, added, err := st.AddAll(ctx, ms)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, true, false, false, true, true}; !slices.Equal(added, want) {
		t.Errorf("added = %v, want %v", added, want)
	}
	if ids[2] != ids[0] || ids[3] != ids[1] {
		t.Errorf("duplicates point at %d, %d; want %d, %d", ids[2], ids[3], ids[0], ids[1])
	}
	// A second batch with a duplicate of the first.
	_, added, err = st.AddAll(ctx, ms[:1])
	if err != nil || added[0] {
		t.Errorf("re-adding: added %v, %v", added, err)
	}
	if n, _ := st.Count(ctx, ""); n != 4 {
		t.Errorf("%d rows, want 4", n)
	}
}

func TestOutgoingFindsTheUsersMessage(t *testing.T) {
	st, err := history.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if _, _, err := st.AddAll(ctx, []history.Message{
		{Peer: "bob@x", Dir: history.In, MsgID: "m1", Body: "theirs"},
		{Peer: "bob@x", Dir: history.Out, MsgID: "m1", Body: "mine", State: history.Failed},
	}); err != nil {
		t.Fatal(err)
	}
	m, ok, err := st.Outgoing(ctx, "bob@x", "m1")
	if err != nil || !ok || m.Body != "mine" || m.State != history.Failed {
		t.Errorf("Outgoing = %+v, %v, %v", m, ok, err)
	}
	if _, ok, _ := st.Outgoing(ctx, "carol@x", "m1"); ok {
		t.Error("found a message to another peer")
	}
}
