// Package vcard implements vcard-temp profiles (XEP-0054): encoding and
// tolerant, size-limited decoding of the vCard element, and blocking helpers
// that fetch and publish a profile over a mellium session.
//
// NSUpdate names the photo hash announced in presence (XEP-0153); that
// element is handled elsewhere (package im).
package vcard

import (
	"errors"
	"strings"
)

// Namespaces.
const (
	// NS is the namespace of the vCard element (XEP-0054).
	NS = "vcard-temp"
	// NSUpdate is the namespace of the photo hash in presence (XEP-0153).
	NSUpdate = "vcard-temp:x:update"
)

// Limits applied by Decode.
// Longer text is cut (at a UTF-8 boundary), further entries are dropped.
const (
	// MaxText is the longest text kept for a field, in bytes.
	MaxText = 4 << 10
	// MaxNote is the longest Note kept, in bytes.
	MaxNote = 16 << 10
	// MaxEntries is the most entries kept in each list
	// (Emails, Phones, Addresses, Org.Units).
	MaxEntries = 200
	// MaxPhoto is the largest photo kept, in decoded bytes.
	MaxPhoto = 8 << 20
)

// Photo problems.
// Decode and Get return them wrapped, together with the rest of the card;
// the card's Photo then has no Data.
var (
	// ErrPhotoTooLarge means that BINVAL decodes to more than MaxPhoto bytes.
	ErrPhotoTooLarge = errors.New("vcard: photo larger than the limit")
	// ErrBadPhoto means that BINVAL is not valid base64.
	ErrBadPhoto = errors.New("vcard: photo is not valid base64")
)

// VCard is a profile. Empty fields are not encoded.
type VCard struct {
	// FullName is FN.
	FullName string
	// Name is N.
	Name Name
	// Nickname is NICKNAME.
	Nickname string
	// Photo is PHOTO.
	Photo Photo
	// Birthday is BDAY as given (ISO 8601 date, e.g. "1990-04-12").
	Birthday string
	// Emails are the EMAIL entries.
	Emails []Email
	// Phones are the TEL entries.
	Phones []Phone
	// Addresses are the ADR entries.
	Addresses []Address
	// Org is ORG.
	Org Org
	// Title is TITLE.
	Title string
	// Role is ROLE.
	Role string
	// URL is URL.
	URL string
	// Note is DESC (NOTE is accepted when decoding).
	Note string
	// JabberID is JABBERID.
	JabberID string
}

// Name is the structured name (N).
type Name struct {
	// Family is FAMILY, Given GIVEN, Middle MIDDLE, Prefix PREFIX and
	// Suffix SUFFIX.
	Family, Given, Middle, Prefix, Suffix string
}

// Photo is PHOTO: an inline image (Type and Data) or an address (External).
type Photo struct {
	// Type is the MIME type, e.g. "image/png".
	Type string
	// Data is the decoded BINVAL.
	Data []byte
	// External is EXTVAL, a URI.
	External string
}

// Email is an EMAIL entry.
type Email struct {
	// Address is USERID.
	Address string
	// Kinds are the flag elements given: HOME, WORK, INTERNET, PREF, X400.
	Kinds []string
}

// Phone is a TEL entry.
type Phone struct {
	// Number is NUMBER.
	Number string
	// Kinds are the flag elements given: HOME, WORK, VOICE, FAX, PAGER,
	// MSG, CELL, VIDEO, BBS, MODEM, ISDN, PCS, PREF.
	Kinds []string
}

// Address is an ADR entry.
type Address struct {
	// Kinds are the flag elements given: HOME, WORK, POSTAL, PARCEL, DOM,
	// INTL, PREF.
	Kinds []string
	// POBox is POBOX, Extended EXTADD, Street STREET, Locality LOCALITY,
	// Region REGION, PostalCode PCODE and Country CTRY.
	POBox, Extended, Street, Locality, Region, PostalCode, Country string
}

// Org is ORG.
type Org struct {
	// Name is ORGNAME.
	Name string
	// Units are the ORGUNIT entries.
	Units []string
}

// The known flags of each entry, in the order of XEP-0054's schema.
// Only these are encoded and decoded (others are dropped); Decode returns
// them upper case, without duplicates, in this order, and TokenReader
// writes them so.
var (
	emailKinds = []string{"HOME", "WORK", "INTERNET", "PREF", "X400"}
	phoneKinds = []string{"HOME", "WORK", "VOICE", "FAX", "PAGER", "MSG", "CELL",
		"VIDEO", "BBS", "MODEM", "ISDN", "PCS", "PREF"}
	addressKinds = []string{"HOME", "WORK", "POSTAL", "PARCEL", "DOM", "INTL", "PREF"}
)

// knownKinds returns the flags of kinds that are in known, upper case,
// without duplicates, in the order of known.
func knownKinds(known, kinds []string) []string {
	var out []string
	for _, k := range known {
		for _, g := range kinds {
			if strings.EqualFold(strings.TrimSpace(g), k) {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

// IsEmpty reports whether v holds nothing that would be encoded.
func (v VCard) IsEmpty() bool {
	return v.FullName == "" && v.Name == (Name{}) && v.Nickname == "" &&
		v.Photo.IsEmpty() && v.Birthday == "" &&
		!anyEntry(v.Emails, func(e Email) bool { return e.Address != "" }) &&
		!anyEntry(v.Phones, func(p Phone) bool { return p.Number != "" }) &&
		!anyEntry(v.Addresses, func(a Address) bool { return !a.isEmpty() }) &&
		v.Org.Name == "" && !anyEntry(v.Org.Units, func(u string) bool { return u != "" }) &&
		v.Title == "" && v.Role == "" && v.URL == "" && v.Note == "" && v.JabberID == ""
}

// IsEmpty reports whether p holds neither data nor an address.
func (p Photo) IsEmpty() bool { return len(p.Data) == 0 && p.External == "" }

// DisplayName returns the name to show for v: FN, else the nickname, else
// the given and family names; "" when there is none.
func (v VCard) DisplayName() string {
	if s := strings.TrimSpace(v.FullName); s != "" {
		return s
	}
	if s := strings.TrimSpace(v.Nickname); s != "" {
		return s
	}
	return strings.Join(strings.Fields(v.Name.Given+" "+v.Name.Family), " ")
}

func (a Address) isEmpty() bool {
	return a.POBox == "" && a.Extended == "" && a.Street == "" && a.Locality == "" &&
		a.Region == "" && a.PostalCode == "" && a.Country == ""
}

func anyEntry[T any](list []T, nonEmpty func(T) bool) bool {
	for _, e := range list {
		if nonEmpty(e) {
			return true
		}
	}
	return false
}
