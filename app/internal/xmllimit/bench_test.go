package xmllimit

import (
	"fmt"
	"strings"
	"testing"
)

// realisticStream returns about size bytes of a client's stream: messages
// with bodies, chat states, receipts, presences with caps, pings.
func realisticStream(size int) []byte {
	var b strings.Builder
	b.WriteString(header)
	for i := 0; b.Len() < size; i++ {
		switch i % 4 {
		case 0, 1:
			fmt.Fprintf(&b, `<message xmlns='jabber:client' from='romeo@montague.example/orchard' to='juliet@capulet.example/balcony' type='chat' id='%08x'>`+
				`<body>Message %d: shall I hear more, or shall I speak at this? It is my lady, O, it is my love &lt;3</body>`+
				`<active xmlns='http://jabber.org/protocol/chatstates'/><request xmlns='urn:xmpp:receipts'/>`+
				`<origin-id xmlns='urn:xmpp:sid:0' id='c9a3e1f0-%08x'/></message>`, i, i, i)
		case 2:
			fmt.Fprintf(&b, `<presence xmlns='jabber:client' from='nurse%d@capulet.example/kitchen' to='juliet@capulet.example/balcony'>`+
				`<show>away</show><status>Back at noon</status><priority>5</priority>`+
				`<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://conversations.im' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/>`+
				`<x xmlns='vcard-temp:x:update'><photo>01b87fcd030b72895ff8e88db57ec525450f000d</photo></x></presence>`, i)
		case 3:
			fmt.Fprintf(&b, `<iq xmlns='jabber:client' from='capulet.example' to='juliet@capulet.example/balcony' type='get' id='ping-%d'><ping xmlns='urn:xmpp:ping'/></iq>`+"\n", i)
		}
	}
	return []byte(b.String())
}

// BenchmarkScan scans a 1 MiB stream in the 4 KiB reads a decoder makes.
func BenchmarkScan(b *testing.B) {
	data := realisticStream(1 << 20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		s := newScanner(DefaultLimits)
		for p := data; len(p) > 0; {
			n := min(len(p), 4096)
			if _, err := s.scan(p[:n]); err != nil {
				b.Fatal(err)
			}
			p = p[n:]
		}
	}
}

// BenchmarkRead reads the same stream through a guarded connection.
func BenchmarkRead(b *testing.B) {
	data := realisticStream(1 << 20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	buf := make([]byte, 4096)
	for b.Loop() {
		c := Wrap(&fakeConn{data: data, split: whole}, DefaultLimits)
		for {
			if _, err := c.Read(buf); err != nil {
				break
			}
		}
	}
}

func TestRealisticStreamPasses(t *testing.T) {
	data := realisticStream(1 << 20)
	got, err := readAll(data, DefaultLimits, randomSplits(4), 4096)
	if err != nil || len(got) != len(data) {
		t.Fatalf("%d of %d bytes, %v", len(got), len(data), err)
	}
	s := newScanner(DefaultLimits)
	s.scan(data)
	if s.depth != 1 || s.region != regBetween {
		t.Fatalf("depth %d, region %d after the stream", s.depth, s.region)
	}
}
