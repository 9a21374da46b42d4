package media

import (
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxName is the longest name CleanName returns, in bytes: the limit of a
// file name on common file systems.
const MaxName = 255

// nameOf returns the cleaned, unescaped last segment of u's path.
func nameOf(u *url.URL) string {
	p := u.EscapedPath()
	seg := p[strings.LastIndexByte(p, '/')+1:]
	if s, err := url.PathUnescape(seg); err == nil {
		seg = s
	}
	return CleanName(seg)
}

// CleanName makes s fit to show and to offer as a file name: white space
// becomes a space; invalid UTF-8, control and format characters (such as
// the right-to-left override that makes "gpj.exe" look like "exe.jpg")
// are removed; path separators and the characters Windows refuses become
// "_"; spaces and dots at the ends are trimmed (Windows drops trailing
// ones, and a leading dot hides a file); and the name is cut to MaxName
// bytes, keeping its extension when it can. "" means no usable name.
func CleanName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "") {
		switch {
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		case r == utf8.RuneError, unicode.IsControl(r), unicode.Is(unicode.Cf, r):
		case strings.ContainsRune(`/\:*?"<>|`, r):
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
		if b.Len() > 4*MaxName {
			break
		}
	}
	name := strings.Trim(b.String(), " .")
	if len(name) <= MaxName {
		return name
	}
	ext := path.Ext(name)
	if len(ext) > 16 || !utf8.ValidString(ext) {
		ext = ""
	}
	base := name[:len(name)-len(ext)]
	cut := MaxName - len(ext)
	for cut > 0 && !utf8.RuneStart(base[cut]) {
		cut--
	}
	if base = strings.Trim(base[:cut], " ."); base == "" {
		return strings.Trim(ext, " .")
	}
	return base + ext
}
