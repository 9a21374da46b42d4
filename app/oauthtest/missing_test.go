package oauthtest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/palaver-im/palaver/app/oauthtest"
)

// fakeTB records what Start does with a test when Node.js is unfit.
type fakeTB struct {
	testing.TB
	skipped, fatal string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Skip(args ...any) {
	f.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestMissingOrOldNode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("fake node is a shell script")
	}
	oldNode := t.TempDir()
	script := "#!/bin/sh\necho v18.19.0\n"
	if err := os.WriteFile(filepath.Join(oldNode, "node"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path, want string
	}{
		{"missing", t.TempDir(), "Node.js not installed"},
		{"too old", oldNode, "v18.19.0 is too old"},
	} {
		for _, ci := range []string{"", "true"} {
			t.Run(c.name+" CI="+ci, func(t *testing.T) {
				t.Setenv("PATH", c.path)
				t.Setenv("CI", ci)
				f := &fakeTB{TB: t}
				done := make(chan struct{})
				go func() {
					defer close(done)
					oauthtest.Start(f)
					t.Error("Start returned")
				}()
				<-done
				if (f.skipped != "") != (ci == "") || (f.fatal != "") != (ci != "") {
					t.Fatalf("skipped %q, failed %q; want a skip without CI, a failure with it", f.skipped, f.fatal)
				}
				if msg := f.skipped + f.fatal; !strings.Contains(msg, c.want) || !strings.Contains(msg, "make deps") {
					t.Errorf("message %q does not say what is wrong (%q) and what to do", msg, c.want)
				}
			})
		}
	}
}
