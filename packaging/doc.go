// Package packaging holds what a desktop needs to know about Palaver
// besides the binary: the Linux .desktop file (which also makes Palaver
// the handler of xmpp: links) and the AppStream metainfo file. make
// package-linux adds both to what fyne package makes; the tests validate
// them with the freedesktop tools and keep them in step with FyneApp.toml.
package packaging
