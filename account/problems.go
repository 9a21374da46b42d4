package account

// Problem names what is wrong with an account's settings, so that the
// views can word it in the user's language; SettingsError.Error keeps
// the English words for logs.
type Problem int

// The problems of SettingsError.
const (
	// ProblemNoAddress: the address is empty.
	ProblemNoAddress Problem = iota + 1
	// ProblemBadAddress: the address (Value) is not a valid JID.
	ProblemBadAddress
	// ProblemNoUserName: the address (Value) has no local part; Domain is
	// its domain.
	ProblemNoUserName
	// ProblemEmptyDomainPart: the domain (Domain) of the address (Value)
	// has an empty label.
	ProblemEmptyDomainPart
	// ProblemPortRange: the port (Value) is not in 1…65535.
	ProblemPortRange
	// ProblemPortWithoutHost: a port is set without a host.
	ProblemPortWithoutHost
	// ProblemUnknownAuth: the sign-in method (Value) is unknown.
	ProblemUnknownAuth
	// ProblemNoProvider: no OAuth provider is chosen.
	ProblemNoProvider
	// ProblemUnknownProvider: the OAuth provider (Value) is unknown.
	ProblemUnknownProvider
	// ProblemNoClientID: the client ID of the provider (Provider) is empty.
	ProblemNoClientID
	// ProblemNoClientSecret: the provider (Provider) needs the app's secret.
	ProblemNoClientSecret
	// ProblemHalfEndpoints: only one of the authorization and the token
	// endpoint is set.
	ProblemHalfEndpoints
	// ProblemUnknownMechanism: the SASL mechanism (Value) is unknown.
	ProblemUnknownMechanism
	// ProblemBadURL: the URL (Value) of Field cannot be parsed.
	ProblemBadURL
	// ProblemURLNoHost: the URL (Value) of Field has no host.
	ProblemURLNoHost
	// ProblemURLUserInfo: the URL (Value) of Field holds a user name or
	// password.
	ProblemURLUserInfo
	// ProblemURLFragment: the URL (Value) of Field has a #fragment.
	ProblemURLFragment
	// ProblemURLNotHTTPS: the URL (Value) of Field is http to a host that
	// is not this computer, or not http(s) at all.
	ProblemURLNotHTTPS
	// ProblemIssuerQuery: the issuer URL (Value) has a ?query.
	ProblemIssuerQuery
	// ProblemNotIssuerURL: the URL (Value) is neither an issuer URL nor an
	// OpenID configuration URL.
	ProblemNotIssuerURL
	// ProblemEmptyScope: a scope is empty.
	ProblemEmptyScope
	// ProblemBadScope: the scope (Value) has a character scopes cannot
	// hold.
	ProblemBadScope
)

// The fields a URL of SettingsError can be in.
const (
	FieldIssuer     = "issuer URL"
	FieldAuthURL    = "authorization endpoint"
	FieldTokenURL   = "token endpoint"
	FieldRevocation = "revocation endpoint"
)

// SettingsError is a problem with an account's settings, found without
// network by ParseJID, Account.Validate and OAuthSettings.Validate.
type SettingsError struct {
	// Problem is what is wrong.
	Problem Problem
	// Value is the offending text (an address, a port, a URL, a scope),
	// as the user wrote it; "" when there is none.
	Value string
	// Domain is the address's domain, for ProblemNoUserName and
	// ProblemEmptyDomainPart.
	Domain string
	// Field is one of the Field constants, for the URL problems.
	Field string
	// Provider is the provider's ID (ProviderByID), for ProblemNoClientID
	// and ProblemNoClientSecret.
	Provider string

	msg string
	err error
}

// Error says what is wrong, in English, for logs.
func (e *SettingsError) Error() string { return e.msg }

// Unwrap returns the parser's error behind ProblemBadAddress, if any.
func (e *SettingsError) Unwrap() error { return e.err }
