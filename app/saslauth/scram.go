package saslauth

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"hash"
	"io"
	"slices"
	"strconv"
	"strings"

	"mellium.im/sasl"
	"mellium.im/xmpp"
)

// The SCRAM iteration counts a server may ask for (RFC 5802 §5.1, the "i"
// attribute).
// RFC 7677 §4 asks for at least 4096; fewer make an eavesdropped exchange
// cheap to attack offline.
// Above MaxIterations one sign-in would cost the client seconds to minutes
// of CPU (PBKDF2 cannot be interrupted): 10^6 rounds of HMAC-SHA-256 take
// about 0.3 s here. Prosody uses 10000 and ejabberd 4096.
const (
	MinIterations = 4096
	MaxIterations = 1_000_000
)

// NSChannelBinding is the namespace of XEP-0440's stream feature, in which a
// server lists the channel binding types it supports.
const NSChannelBinding = "urn:xmpp:sasl-cb:0"

// VerifyReason says which of its duties towards the client a server failed.
type VerifyReason int

// The reasons of a VerifyError.
const (
	// NoServerProof: the server declared success before it proved that it
	// knows the password (SCRAM's server signature, RFC 5802 §3).
	NoServerProof VerifyReason = iota + 1
	// BadServerProof: the server's signature is wrong, or the server sent an
	// error in its final message.
	BadServerProof
	// BadIterations: the iteration count is outside MinIterations and
	// MaxIterations.
	BadIterations
	// Downgrade: the server's downgrade protection hash (XEP-0474) does not
	// match the mechanisms and channel binding types that reached the client:
	// someone between the two changed them.
	Downgrade
)

// VerifyError is returned when the server did not prove what the mechanism
// requires of it.
// It is never a wrong password: the server itself, or whoever sits between
// client and server, is not to be trusted.
type VerifyError struct {
	Reason VerifyReason
	// Err is the mechanism's error, if any.
	Err error
}

func (e *VerifyError) Error() string {
	var msg string
	switch e.Reason {
	case NoServerProof:
		msg = "the server declared success without proving that it knows the password"
	case BadServerProof:
		msg = "the server's proof that it knows the password is wrong"
	case BadIterations:
		msg = "the server asked for a SCRAM iteration count outside " +
			strconv.Itoa(MinIterations) + "…" + strconv.Itoa(MaxIterations)
	case Downgrade:
		msg = "the list of sign-in methods was changed on its way from the server (XEP-0474)"
	default:
		msg = "the server could not be verified"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns Err.
func (e *VerifyError) Unwrap() error { return e.Err }

// offer is what the server advertised for signing in, as the client saw it.
type offer struct {
	mechanisms []string
	// cbTypes are the channel binding types of XEP-0440, when cbListed.
	cbTypes  []string
	cbListed bool
}

// channelBindingFeature reads XEP-0440's <sasl-channel-binding/> into o.
// It negotiates nothing: SASL uses what it read.
func channelBindingFeature(o *offer) xmpp.StreamFeature {
	return xmpp.StreamFeature{
		Name:       xml.Name{Space: NSChannelBinding, Local: "sasl-channel-binding"},
		Necessary:  xmpp.Secure,
		Prohibited: xmpp.Authn,
		Parse: func(ctx context.Context, d *xml.Decoder, start *xml.StartElement) (bool, interface{}, error) {
			parsed := struct {
				Types []struct {
					Type string `xml:"type,attr"`
				} `xml:"urn:xmpp:sasl-cb:0 channel-binding"`
			}{}
			if err := d.DecodeElement(&parsed, start); err != nil {
				return false, nil, err
			}
			o.cbListed = true
			o.cbTypes = o.cbTypes[:0]
			for _, t := range parsed.Types {
				if len(o.cbTypes) < 32 {
					o.cbTypes = append(o.cbTypes, strings.TrimSpace(t.Type))
				}
			}
			return false, nil, nil
		},
	}
}

// cbType returns the channel binding type that mellium's SCRAM-*-PLUS uses on
// a connection (mellium.im/sasl scram_server.go, getGS2Header): tls-exporter
// (RFC 9266) from TLS 1.3 on, tls-unique (RFC 5929) before.
func cbType(cs tls.ConnectionState) string {
	if cs.Version >= tls.VersionTLS13 {
		return "tls-exporter"
	}
	return "tls-unique"
}

// plusUsable reports whether a SCRAM-*-PLUS mechanism can work: the
// connection is TLS, and the server supports the channel binding type that
// will be used — it says so with XEP-0440, or, when it lists nothing, the
// type is the default for the TLS version (tls-unique for TLS 1.2, RFC 5929;
// tls-exporter for TLS 1.3, RFC 9266 §3).
// Go gives no tls-unique under TLS 1.3 nor keying material for tls-exporter
// under TLS 1.2 without extended master secret, so those fail here, not at
// the server with a failure that would look like a wrong password.
func plusUsable(cs tls.ConnectionState, o *offer) bool {
	if cs.Version == 0 {
		return false
	}
	typ := cbType(cs)
	switch typ {
	case "tls-unique":
		if len(cs.TLSUnique) == 0 {
			return false
		}
	case "tls-exporter":
		if _, err := cs.ExportKeyingMaterial("EXPORTER-Channel-Binding", nil, 32); err != nil {
			return false
		}
	}
	return !o.cbListed || slices.Contains(o.cbTypes, typ)
}

// scramHash returns the hash function of a SCRAM mechanism by its name.
func scramHash(name string) func() hash.Hash {
	switch strings.TrimSuffix(name, "-PLUS") {
	case "SCRAM-SHA-1":
		return sha1.New
	case "SCRAM-SHA-256":
		return sha256.New
	case "SCRAM-SHA-512":
		return sha512.New
	}
	return nil
}

// SSDPHash returns XEP-0474's downgrade protection hash (§4.1) of a list of
// mechanisms and, when listed is true, of channel binding types, with the
// hash function fn of the SCRAM mechanism in use, base64-encoded.
func SSDPHash(fn func() hash.Hash, mechanisms []string, cbTypes []string, listed bool) string {
	// "i;octet" collation (RFC 4790 §9.3) is byte order, as Go's sort of
	// strings.
	mechs := slices.Sorted(slices.Values(mechanisms))
	s := strings.Join(mechs, "\x1e")
	if listed {
		s += "\x1f" + strings.Join(slices.Sorted(slices.Values(cbTypes)), "\x1e")
	}
	h := fn()
	io.WriteString(h, s)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// guardSCRAM returns m, a SCRAM mechanism, with checks of the server's first
// message before mellium's client answers it (mellium.im/sasl
// scram_client.go accepts any iteration count, also 1 and 2^31-1, and
// ignores unknown attributes): the iteration count must be within bounds,
// and a downgrade protection hash (XEP-0474 §4.2, attribute "h") must match
// what the client saw offered.
func guardSCRAM(m sasl.Mechanism, o *offer) sasl.Mechanism {
	next := m.Next
	name := m.Name
	m.Next = func(n *sasl.Negotiator, challenge []byte, data interface{}) (bool, []byte, interface{}, error) {
		if n.State()&sasl.StepMask == sasl.AuthTextSent {
			if err := checkServerFirst(name, challenge, o); err != nil {
				return false, nil, nil, err
			}
		}
		return next(n, challenge, data)
	}
	return m
}

// checkServerFirst checks a SCRAM server-first-message (RFC 5802 §7).
func checkServerFirst(name string, msg []byte, o *offer) error {
	iter := -1
	var ssdp []byte
	for _, field := range bytes.Split(msg, []byte(",")) {
		if len(field) < 2 || field[1] != '=' {
			continue
		}
		switch field[0] {
		case 'i':
			n, err := strconv.Atoi(string(field[2:]))
			if err != nil {
				return &VerifyError{Reason: BadIterations, Err: errors.New("malformed iteration count")}
			}
			iter = n
		case 'h':
			ssdp = field[2:]
		}
	}
	if iter < MinIterations || iter > MaxIterations {
		return &VerifyError{Reason: BadIterations, Err: errors.New("the server asked for " + strconv.Itoa(iter))}
	}
	if ssdp != nil {
		fn := scramHash(name)
		if fn == nil {
			return &VerifyError{Reason: Downgrade, Err: errors.New("unknown hash of " + name)}
		}
		if want := SSDPHash(fn, o.mechanisms, o.cbTypes, o.cbListed); string(ssdp) != want {
			return &VerifyError{Reason: Downgrade}
		}
	}
	return nil
}
