// Package xmltest helps the tests of stanza encoders: the XML text of a
// token stream, and golden files in the package's testdata folder,
// rewritten with go test -update.
package xmltest

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mellium.im/xmlstream"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Encode returns the XML text of r.
func Encode(t testing.TB, r xml.TokenReader) string {
	t.Helper()
	var buf bytes.Buffer
	e := xml.NewEncoder(&buf)
	if _, err := xmlstream.Copy(e, r); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// Golden compares got with testdata/<name>.golden.xml (and writes it first
// with -update).
func Golden(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden.xml")
	if *update {
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("missing golden file (run with -update): %v", err)
	}
	if strings.TrimSpace(string(want)) != got {
		t.Errorf("%s:\n got: %s\nwant: %s", name, got, want)
	}
}
