// Package caps implements entity capabilities (XEP-0115): the
// verification string that names what an entity supports, the short hash
// of it ("ver") that a client puts in every available presence, and the
// <c/> element that carries it.
//
// It works on mellium's disco.Info, but computes the verification string
// itself: mellium's disco.Info.Hash (disco/info.go, v0.23.0) panics on a
// data form without fields (a slice made with capacity -1), does not sort
// forms by FORM_TYPE (XEP-0115 §5.1 step 6), does not refuse the
// ill-formed answers of §5.4, and sorts the caller's slices in place.
// Answers from others are input from the network: decode them with
// DecodeInfo, which bounds what it keeps.
//
// Everything in this package is safe for concurrent use: it has no state.
package caps

import (
	"cmp"
	"crypto/sha1" // #nosec G505: XEP-0115 §5.1 names SHA-1; it is a cache key checked on arrival, not a signature.
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strings"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/disco"
	dinfo "mellium.im/xmpp/disco/info"
	"mellium.im/xmpp/form"
)

// NS is the namespace of entity capabilities (XEP-0115 §4).
const NS = `http://jabber.org/protocol/caps`

// SHA1 is the hash every implementation must support (XEP-0115 §5.1), by
// its IANA name; the one Palaver sends.
const SHA1 = "sha-1"

// ErrIllFormed is given for a disco#info answer that XEP-0115 §5.4 step
// 3 says not to process: a repeated identity, feature or form type, or a
// FORM_TYPE with several values.
var ErrIllFormed = errors.New("the disco#info answer is ill-formed for entity capabilities (XEP-0115 §5.4)")

// ErrUnsupportedHash is given for a hash function this package does not
// implement.
var ErrUnsupportedHash = errors.New("unsupported entity capabilities hash function")

// newHash returns the hash function named name (IANA Hash Function
// Textual Names, as XEP-0115 §5.1 asks), or nil.
func newHash(name string) hash.Hash {
	switch name {
	case SHA1:
		return sha1.New() // #nosec G401: see the import.
	case "sha-224":
		return sha256.New224()
	case "sha-256":
		return sha256.New()
	case "sha-384":
		return sha512.New384()
	case "sha-512":
		return sha512.New()
	}
	return nil
}

// Supported reports whether the hash function named name (such as
// "sha-1") can compute and check a ver.
func Supported(name string) bool { return newHash(name) != nil }

// VerificationString returns the string S of XEP-0115 §5.1 for info:
// identities, features and XEP-0128 forms, each sorted, each item ended
// by '<'.
// It returns ErrIllFormed for an answer §5.4 step 3 refuses.
// Forms whose FORM_TYPE is missing or not hidden are left out (§5.4 step
// 3.6). info is not changed.
func VerificationString(info disco.Info) (string, error) {
	var s strings.Builder

	// §5.1 steps 2-3: identities by category, type and xml:lang, written
	// "category/type/lang/name<" (every slash written even when empty).
	idents := slices.Clone(info.Identity)
	slices.SortFunc(idents, func(a, b infoIdentity) int {
		return cmp.Or(cmp.Compare(a.Category, b.Category), cmp.Compare(a.Type, b.Type),
			cmp.Compare(a.Lang, b.Lang), cmp.Compare(a.Name, b.Name))
	})
	for i, id := range idents {
		if i > 0 && id == idents[i-1] {
			return "", fmt.Errorf("%w: identity %s/%s/%s/%s twice", ErrIllFormed, id.Category, id.Type, id.Lang, id.Name)
		}
		s.WriteString(id.Category + "/" + id.Type + "/" + id.Lang + "/" + id.Name + "<")
	}

	// §5.1 steps 4-5: features, i;octet order.
	features := make([]string, 0, len(info.Features))
	for _, f := range info.Features {
		features = append(features, f.Var)
	}
	slices.Sort(features)
	for i, f := range features {
		if i > 0 && f == features[i-1] {
			return "", fmt.Errorf("%w: feature %q twice", ErrIllFormed, f)
		}
		s.WriteString(f + "<")
	}

	// §5.1 steps 6-7: forms by FORM_TYPE; in each, the fields other than
	// FORM_TYPE by var, each with its values sorted.
	forms := make([]extForm, 0, len(info.Form))
	for i := range info.Form {
		f, ok, err := readForm(&info.Form[i])
		if err != nil {
			return "", err
		}
		if ok {
			forms = append(forms, f)
		}
	}
	slices.SortFunc(forms, func(a, b extForm) int { return cmp.Compare(a.formType, b.formType) })
	for i, f := range forms {
		if i > 0 && f.formType == forms[i-1].formType {
			return "", fmt.Errorf("%w: two forms of type %q", ErrIllFormed, f.formType)
		}
		s.WriteString(f.formType + "<")
		for _, fd := range f.fields {
			s.WriteString(fd.name + "<")
			for _, v := range fd.values {
				s.WriteString(v + "<")
			}
		}
	}
	return s.String(), nil
}

// infoIdentity is mellium's identity type, named once here.
type infoIdentity = dinfo.Identity

// extForm is a XEP-0128 form reduced to what the verification string
// uses.
type extForm struct {
	formType string
	fields   []extField
}

type extField struct {
	name   string
	values []string
}

// readForm reduces d; ok is false for a form the verification string
// leaves out (no FORM_TYPE, or one that is not hidden: XEP-0115 §5.4
// step 3.6).
func readForm(d *form.Data) (f extForm, ok bool, err error) {
	hasType, hidden := false, false
	d.ForFields(func(fd form.FieldData) {
		if fd.Var == "" {
			return // a fixed field: no var to write
		}
		if fd.Var != "FORM_TYPE" {
			values := slices.Clone(fd.Raw)
			slices.Sort(values)
			f.fields = append(f.fields, extField{name: fd.Var, values: values})
			return
		}
		if hasType {
			err = fmt.Errorf("%w: FORM_TYPE twice in a form", ErrIllFormed)
			return
		}
		hasType, hidden = true, fd.Type == form.TypeHidden
		for i, v := range fd.Raw {
			if i > 0 && v != fd.Raw[0] {
				err = fmt.Errorf("%w: a FORM_TYPE with values %q and %q", ErrIllFormed, fd.Raw[0], v)
				return
			}
		}
		if len(fd.Raw) > 0 {
			f.formType = fd.Raw[0]
		}
	})
	if err != nil || !hasType || !hidden {
		return extForm{}, false, err
	}
	slices.SortFunc(f.fields, func(a, b extField) int { return cmp.Compare(a.name, b.name) })
	return f, true, nil
}

// Ver returns the ver of info with the hash function named hashName
// (XEP-0115 §5.1 steps 8-9): the base64 of the hash of the verification
// string.
func Ver(hashName string, info disco.Info) (string, error) {
	h := newHash(hashName)
	if h == nil {
		return "", fmt.Errorf("%w: %q", ErrUnsupportedHash, hashName)
	}
	s, err := VerificationString(info)
	if err != nil {
		return "", err
	}
	h.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}

// Caps is the <c xmlns='http://jabber.org/protocol/caps'/> element of a
// presence (XEP-0115 §4).
type Caps struct {
	// Hash is the IANA name of the hash function, such as "sha-1". It is
	// empty in the legacy format of XEP-0115 before version 1.4, which
	// cannot be checked.
	Hash string
	// Node names the software, such as "https://palaver.im".
	Node string
	// Ver is the base64 hash of the verification string.
	Ver string
}

// NodeVer returns "node#ver", the node to query for the entity's
// disco#info (XEP-0115 §6.2).
func (c Caps) NodeVer() string { return c.Node + "#" + c.Ver }

// Checkable reports whether c can be verified and cached: a supported
// hash, a node, and a ver that is the base64 of a digest of that hash's
// size. Whatever else a presence carries is ignored rather than asked
// about.
func (c Caps) Checkable() bool {
	h := newHash(c.Hash)
	if h == nil || c.Node == "" || len(c.Node) > MaxAttrLen {
		return false
	}
	if base64.StdEncoding.EncodedLen(h.Size()) != len(c.Ver) {
		return false
	}
	sum, err := base64.StdEncoding.DecodeString(c.Ver)
	return err == nil && len(sum) == h.Size()
}

// TokenReader encodes c as a <c/> element.
func (c Caps) TokenReader() xml.TokenReader {
	return xmlstream.Wrap(nil, xml.StartElement{
		Name: xml.Name{Space: NS, Local: "c"},
		Attr: []xml.Attr{
			{Name: xml.Name{Local: "hash"}, Value: c.Hash},
			{Name: xml.Name{Local: "node"}, Value: c.Node},
			{Name: xml.Name{Local: "ver"}, Value: c.Ver},
		},
	})
}

// WriteXML writes c to w as a <c/> element.
func (c Caps) WriteXML(w xmlstream.TokenWriter) (int, error) {
	return xmlstream.Copy(w, c.TokenReader())
}
