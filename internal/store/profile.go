package store

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// DefaultProfile is the profile used when neither a flag nor EnvProfile names one.
const DefaultProfile = "default"

// EnvProfile is the environment variable that selects a profile.
const EnvProfile = "GDLOGIN_PROFILE"

// Method says how the token of a profile was obtained.
type Method string

// Login methods.
const (
	MethodBrowser Method = "browser" // the in-browser session handoff
	MethodToken   Method = "token"   // a token pasted or piped in
	MethodOIDC    Method = "oidc"    // the RFC 8252 loopback OIDC flow
)

// Location says where the secret of a profile lives.
type Location string

// Secret locations.
const (
	LocationKeyring Location = "keyring"
	LocationFile    Location = "file"
)

// Mode chooses where new secrets go.
type Mode string

// Store modes.
const (
	// ModeAuto uses the keyring and falls back to a 0600 file when the
	// keyring is unusable, once, with a warning that is remembered.
	ModeAuto Mode = "auto"
	// ModeKeyring uses the keyring or fails with *KeyringRequiredError.
	ModeKeyring Mode = "keyring"
	// ModeFile always uses 0600 files.
	ModeFile Mode = "file"
)

// ParseMode accepts "auto", "keyring", "file" and "" (auto).
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case "", ModeAuto:
		return ModeAuto, nil
	case ModeKeyring, ModeFile:
		return Mode(s), nil
	}
	return "", fmt.Errorf("unknown secret store %q: use auto, keyring or file", s)
}

// OIDCSettings remembers how an oidc profile logged in, for later refreshes.
type OIDCSettings struct {
	Issuer   string   `yaml:"issuer"`
	ClientID string   `yaml:"client_id"`
	Scopes   []string `yaml:"scopes,omitempty"`
	// KeepJWT: the profile keeps the ID token (and a refresh token) as
	// its credential, not an API token; a re-login does the same unless
	// told otherwise.
	KeepJWT bool `yaml:"keep_jwt,omitempty"`
}

// Profile is what gdlogin remembers about one login. It holds no secret.
type Profile struct {
	Name             string
	Host             string // organization URL, e.g. https://analytics.example.com
	UserID           string
	OrganizationID   string
	OrganizationName string
	TokenID          string
	CreatedAt        time.Time
	Method           Method
	// CACert is the absolute path of a PEM file of extra certificate
	// authorities that the organization's certificate needs (--ca-cert);
	// empty means the system's. A path, never the certificates themselves.
	CACert      string
	SecretStore Location // set by Save: where the secret went
	OIDC        *OIDCSettings
	// BookmarkWorked is when the gdlogin bookmark last handed this
	// profile's token over in this computer's browser; zero means never,
	// or that it stopped working. While it is set, a browser login of the
	// profile opens the organization directly instead of the start page.
	// Not a secret: a time.
	BookmarkWorked time.Time
	// SDKProfiles are the SDK profiles.yaml entries gdlogin wrote for this
	// profile (WriteSDKProfile records them; Save keeps them). Read only:
	// Save ignores this field.
	SDKProfiles []SDKEntry

	secretKey string // keyring account and secret file stem: "<name>.<id>"
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Names that Windows reserves for devices, also with an extension.
var reservedNames = map[string]bool{
	"con": true, "prn": true, "aux": true, "nul": true,
	"com1": true, "com2": true, "com3": true, "com4": true, "com5": true, "com6": true, "com7": true, "com8": true, "com9": true,
	"lpt1": true, "lpt2": true, "lpt3": true, "lpt4": true, "lpt5": true, "lpt6": true, "lpt7": true, "lpt8": true, "lpt9": true,
}

// ValidateName checks that a profile name is safe as a file name and a
// keyring account: a letter or digit, then up to 63 letters, digits, '.',
// '_' or '-'.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("%w %q: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", ErrInvalidName, name)
	}
	stem, _, _ := strings.Cut(name, ".")
	if reservedNames[strings.ToLower(stem)] {
		return fmt.Errorf("%w %q: the name is reserved for a device on Windows", ErrInvalidName, name)
	}
	return nil
}

// ResolveName picks the profile to use: an explicit name (a flag) wins, then
// the EnvProfile variable as returned by getenv (which may be nil), then
// DefaultProfile. The result is validated.
func ResolveName(explicit string, getenv func(string) string) (string, error) {
	name := explicit
	if name == "" && getenv != nil {
		name = strings.TrimSpace(getenv(EnvProfile))
	}
	if name == "" {
		name = DefaultProfile
	}
	if err := ValidateName(name); err != nil {
		if explicit == "" && name != DefaultProfile {
			return "", fmt.Errorf("%s: %w", EnvProfile, err)
		}
		return "", err
	}
	return name, nil
}

func (p *Profile) validate() error {
	if err := ValidateName(p.Name); err != nil {
		return err
	}
	u, err := url.Parse(p.Host)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("profile %q: host %q is not an http(s) URL such as https://analytics.example.com", p.Name, p.Host)
	}
	switch p.Method {
	case MethodBrowser, MethodToken, MethodOIDC:
	default:
		return fmt.Errorf("profile %q: unknown login method %q", p.Name, p.Method)
	}
	return validateCACertPath(p.Name, p.CACert)
}

// KeptJWT reports whether the profile's credential is an ID token kept
// with --keep-jwt (profiles saved before KeepJWT was recorded say so by
// holding no API token).
func (p Profile) KeptJWT() bool {
	return p.Method == MethodOIDC && p.OIDC != nil && (p.OIDC.KeepJWT || p.TokenID == "")
}

// validateCACertPath accepts "" or an absolute, clean path on one line: a
// relative path would mean another file from another working directory.
func validateCACertPath(profile, path string) error {
	switch {
	case path == "":
		return nil
	case strings.ContainsAny(path, "\x00\r\n"):
		return fmt.Errorf("profile %q: the CA certificate path %q holds a control character", profile, path)
	case !filepath.IsAbs(path):
		return fmt.Errorf("profile %q: the CA certificate path %q is not absolute", profile, path)
	}
	return nil
}
