package views

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// goldenLang is the suffix of the golden files of the language the views
// speak: "" for English, "_de" for German.
var goldenLang string

// assertMarkup compares what c renders with testdata/<name><goldenLang>.xml.
func assertMarkup(t *testing.T, name string, c fyne.Canvas) {
	t.Helper()
	test.AssertRendersToMarkup(t, name+goldenLang+".xml", c)
}

// TestGermanMarkup renders the main window, chats, search, the trust and
// sign-in dialogs, the connection banner, the accounts window and a
// profile card in German, against golden files of their own
// (testdata/*_de.xml).
func TestGermanMarkup(t *testing.T) {
	for name, f := range map[string]func(*testing.T){
		"contactlist":    TestContactListMarkup,
		"chat":           TestChatWindowMarkup,
		"chat_states":    TestChatStatesMarkup,
		"search":         TestSearchMarkup,
		"trustdialog":    TestTrustDialogMarkup,
		"waitingdialog":  TestWaitingDialogMarkup,
		"waiting_banner": TestWaitingBannerMarkup,
		"accounts":       TestAccountsWindowMarkup,
		"profile_card":   TestProfileCardMarkup,
	} {
		t.Run(name, func(t *testing.T) {
			useLanguage(t, "de")
			goldenLang = "_de"
			t.Cleanup(func() { goldenLang = "" })
			f(t)
		})
	}
}
