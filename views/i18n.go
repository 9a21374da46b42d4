package views

import (
	"embed"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
)

// Every sentence the views show goes through Fyne's lang package:
// lang.L("English text") for a plain string, lang.L("Hello {{.Name}}",
// map[string]any{"Name": n}) when it carries values (text from the network
// goes in as data, never into the template), and lang.N for counts. The
// English text is the key; translations/<area>.<language>.json hold English
// (for plural forms) and German. The language is the system's (LANGUAGE,
// LC_ALL, LC_MESSAGES, LANG on Linux; the user's preferred languages on
// Windows and macOS), English when it is neither. TestTranslations checks
// that every key is in both languages and that no literal that reads like
// a sentence is shown without going through lang; a literal that is not
// shown (a MIME type, a file name) says so with a "not translated" comment
// on its line.

//go:embed translations
var translations embed.FS

func init() { loadTranslations() }

// loadTranslations adds Palaver's translations to Fyne's and chooses the
// language again from the environment.
func loadTranslations() {
	if err := lang.AddTranslationsFS(translations, "translations"); err != nil {
		fyne.LogError("Palaver's translations could not be loaded", err)
	}
}
