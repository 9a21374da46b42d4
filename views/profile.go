package views

import "github.com/palaver-im/palaver/app"

// applyProfile applies a profile or avatar event; it runs on the UI
// goroutine, inside session.apply.
func (s *session) applyProfile(ev app.Event) {}
