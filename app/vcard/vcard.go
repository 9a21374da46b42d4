// Package vcard implements vcard-temp profiles (XEP-0054) and the avatar
// hash announced in presence (XEP-0153).
package vcard

// Namespaces.
const (
	// NS is the namespace of the vCard element (XEP-0054).
	NS = "vcard-temp"
	// NSUpdate is the namespace of the photo hash in presence (XEP-0153).
	NSUpdate = "vcard-temp:x:update"
)

// VCard is a profile. Empty fields are not encoded.
type VCard struct {
	// FullName is FN.
	FullName string
	// Name is N.
	Name     Name
	Nickname string
	Photo    Photo
	// Birthday is BDAY as given (ISO 8601 date, e.g. "1990-04-12").
	Birthday  string
	Emails    []Email
	Phones    []Phone
	Addresses []Address
	Org       Org
	Title     string
	Role      string
	URL       string
	Note      string
	// JabberID is JABBERID.
	JabberID string
}

// Name is the structured name (N).
type Name struct {
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
	Address string
	// Kinds are the flag elements given, e.g. "HOME", "WORK", "PREF".
	Kinds []string
}

// Phone is a TEL entry.
type Phone struct {
	Number string
	// Kinds are the flag elements given, e.g. "HOME", "CELL", "VOICE".
	Kinds []string
}

// Address is an ADR entry.
type Address struct {
	// Kinds are the flag elements given, e.g. "HOME", "WORK".
	Kinds                                                          []string
	POBox, Extended, Street, Locality, Region, PostalCode, Country string
}

// Org is ORG.
type Org struct {
	Name  string
	Units []string
}
