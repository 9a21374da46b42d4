package account_test

import (
	"reflect"
	"testing"

	"github.com/palaver-im/palaver/account"
)

func TestRoomNotifyRoundTrip(t *testing.T) {
	dir := t.TempDir()
	want := &account.Config{Accounts: []account.Account{
		{JID: "alice@example.org", RoomNotify: map[string]string{
			"tea@conference.example.org":  account.RoomNotifyAll,
			"news@conference.example.org": account.RoomNotifyNone,
		}},
		{JID: "bob@example.net"},
	}}
	if err := want.Save(dir); err != nil {
		t.Fatal(err)
	}
	got, err := account.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load after Save:\n got %+v\nwant %+v", got, want)
	}
	if got.Accounts[1].RoomNotify != nil {
		t.Errorf("an account without room settings loads %v", got.Accounts[1].RoomNotify)
	}
}
