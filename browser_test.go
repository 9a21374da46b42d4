package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenWith: the browser opener says when the opener command is missing
// or fails, and passes the link on when it works.
func TestOpenWith(t *testing.T) {
	dir := t.TempDir()
	got := filepath.Join(dir, "got")
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	link, _ := url.Parse("http://127.0.0.1:1234/authorize?state=x&code_challenge=y")
	for i, tc := range []struct {
		cmd  string
		want string // in the error; "" for success
	}{
		0: {write("ok", `printf '%s' "$1" > `+got), ""},
		1: {write("nobrowser", "exit 3"), "found no browser"},
		2: {filepath.Join(dir, "missing"), "could not be started"},
	} {
		err := openWith(tc.cmd)(link)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%d: %v", i, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%d: error %v, want %q", i, err, tc.want)
		}
	}
	if b, _ := os.ReadFile(got); string(b) != link.String() {
		t.Errorf("the opener got %q, want %q", b, link)
	}
}
