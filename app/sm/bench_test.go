package sm

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkScan measures the scanner on a sign-in's worth of presence:
// 5000 stanzas of about 300 bytes, read in chunks of 4 KiB as mellium's
// decoder reads them.
func BenchmarkScan(b *testing.B) {
	var sb strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&sb, `<presence from='contact%d@localhost/res' to='alice@localhost/x' xmlns='jabber:client'><show>away</show><status>gone for lunch, back at two</status><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://example.org' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>`, i)
	}
	in := []byte(header + sb.String())
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		s := &scanner{}
		n := 0
		for p := in; len(p) > 0; {
			k := min(len(p), 4096)
			s.scan(p[:k], func(e element, _ int, _ []byte) {
				if e.stanza() {
					n++
				}
			})
			p = p[k:]
		}
		if n != 5000 {
			b.Fatalf("%d stanzas", n)
		}
	}
}
