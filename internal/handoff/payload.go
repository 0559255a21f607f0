package handoff

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"unicode"
	"unicode/utf8"
)

// Payload is what the script encrypts (SPEC 3.3): the new token, the id it
// was actually created with (a suffixed one after a 409), the user it belongs
// to, and the organization origin it was created in.
//
// A script that cannot create the token because a permission is missing
// reports that instead, encrypted the same way: {error, userId, origin}.
// Such a payload has Error set and no Token or TokenID.
//
// Bookmark says that the script ran as the bookmark (it was called without
// arguments), not as the console snippet or an organization page's script.
// It is optional on the wire, so that bookmarks made before it existed keep
// working; they count as "not the bookmark". It is not secret, and nothing
// depends on it for safety: a sender who could lie in it could send a token
// anyway. gdlogin uses it only to open the organization directly on the
// next login of the same profile.
//
// Token is secret. Payload never shows it: fmt (every verb, %v, %+v and %#v
// included), slog and encoding/json all see "[redacted]". Code that must
// output the token reads the Token field itself.
type Payload struct {
	Token   string
	TokenID string
	UserID  string
	Origin  string
	Error   string
	// Bookmark: the script ran as the bookmark.
	Bookmark bool
}

// MaxReportSize bounds the error text of a report.
const MaxReportSize = 512

const redacted = "[redacted]"

// String shows the payload with the token redacted.
func (p Payload) String() string {
	if p.Error != "" {
		return fmt.Sprintf("{Error:%q UserID:%s Origin:%s Bookmark:%t}", p.Error, p.UserID, p.Origin, p.Bookmark)
	}
	return fmt.Sprintf("{Token:%s TokenID:%s UserID:%s Origin:%s Bookmark:%t}", redacted, p.TokenID, p.UserID, p.Origin, p.Bookmark)
}

// GoString shows the payload with the token redacted.
func (p Payload) GoString() string {
	return fmt.Sprintf("handoff.Payload{Token:%q, TokenID:%q, UserID:%q, Origin:%q, Error:%q, Bookmark:%t}", redacted, p.TokenID, p.UserID, p.Origin, p.Error, p.Bookmark)
}

// Format makes every fmt verb show the redacted form: without it, verbs such
// as %x or %d would print the fields, token included.
func (p Payload) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, p.GoString())
		return
	}
	io.WriteString(f, p.String())
}

// LogValue makes slog show the payload with the token redacted.
func (p Payload) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("token", redacted),
		slog.String("tokenId", p.TokenID),
		slog.String("userId", p.UserID),
		slog.String("origin", p.Origin),
		slog.Bool("bookmark", p.Bookmark),
	)
}

// MarshalJSON writes the payload with the token redacted, so that a payload
// passed to a JSON logger or an API response by mistake does not leak it.
func (p Payload) MarshalJSON() ([]byte, error) {
	if p.Error != "" {
		return marshalPayload(p)
	}
	return marshalPayload(Payload{Token: redacted, TokenID: p.TokenID, UserID: p.UserID, Origin: p.Origin, Bookmark: p.Bookmark})
}

// payloadJSON is the wire form of a payload; only Seal and the tests use it
// with a real token.
type payloadJSON struct {
	Token   string `json:"token,omitempty"`
	TokenID string `json:"tokenId,omitempty"`
	UserID  string `json:"userId"`
	Origin  string `json:"origin"`
	Error   string `json:"error,omitempty"`
	// Bookmark is left out when false, as a bookmark older than the field
	// leaves it out.
	Bookmark bool `json:"bookmark,omitempty"`
}

// parsePayload reads the decrypted JSON strictly: the fields of a token or
// of a report, each of its JSON type, and no others, except the optional
// "bookmark", which is true or false when it is there.
func parsePayload(data []byte) (Payload, error) {
	obj, err := readObject(data)
	if err != nil {
		return Payload{}, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	bookmark, err := obj.takeBool("bookmark")
	if err != nil {
		return Payload{}, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	p, err := parseFields(obj)
	p.Bookmark = bookmark && err == nil
	return p, err
}

// parseFields reads a payload without its "bookmark" field.
func parseFields(obj object) (Payload, error) {
	if _, isReport := obj["error"]; isReport {
		return parseReport(obj)
	}
	var err error
	if err := obj.exactly("token", "tokenId", "userId", "origin"); err != nil {
		return Payload{}, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	var p Payload
	for _, f := range []struct {
		name string
		dst  *string
	}{{"token", &p.Token}, {"tokenId", &p.TokenID}, {"userId", &p.UserID}, {"origin", &p.Origin}} {
		if *f.dst, err = obj.string(f.name); err != nil {
			return Payload{}, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
		}
	}
	switch {
	case len(p.Token) > MaxTokenSize:
		return Payload{}, fmt.Errorf("%w: token is %d bytes, limit %d", ErrTooLarge, len(p.Token), MaxTokenSize)
	case !validBearer(p.Token):
		return Payload{}, fmt.Errorf("%w: payload: token is not a bearer token", ErrMalformed)
	case !ValidTokenID(p.TokenID):
		return Payload{}, fmt.Errorf("%w: payload: tokenId is not a valid API token id", ErrMalformed)
	case !validUserID(p.UserID):
		return Payload{}, fmt.Errorf("%w: payload: userId is empty, too long or not printable", ErrMalformed)
	case !ValidOrigin(p.Origin):
		return Payload{}, fmt.Errorf("%w: payload: origin is not an organization origin", ErrMalformed)
	}
	return p, nil
}

// parseReport reads a script's report of a failure: {error, userId, origin}.
func parseReport(obj object) (Payload, error) {
	if err := obj.exactly("error", "userId", "origin"); err != nil {
		return Payload{}, fmt.Errorf("%w: report: %v", ErrMalformed, err)
	}
	var p Payload
	var err error
	for _, f := range []struct {
		name string
		dst  *string
	}{{"error", &p.Error}, {"userId", &p.UserID}, {"origin", &p.Origin}} {
		if *f.dst, err = obj.string(f.name); err != nil {
			return Payload{}, fmt.Errorf("%w: report: %v", ErrMalformed, err)
		}
	}
	switch {
	case p.Error == "" || len(p.Error) > MaxReportSize || !printable(p.Error):
		return Payload{}, fmt.Errorf("%w: report: error is empty, too long or not printable", ErrMalformed)
	case !validUserID(p.UserID):
		return Payload{}, fmt.Errorf("%w: report: userId is empty, too long or not printable", ErrMalformed)
	case !ValidOrigin(p.Origin):
		return Payload{}, fmt.Errorf("%w: report: origin is not an organization origin", ErrMalformed)
	}
	return p, nil
}

// printable accepts valid UTF-8 without control characters (a report is
// shown in a terminal, where escape sequences must not arrive).
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// validBearer accepts RFC 6750's b64token: the characters that can go into
// an Authorization header and a shell export without quoting trouble.
func validBearer(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
			break
		}
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}

// validUserID accepts 1 to 255 bytes of printable characters without
// spaces: the id is shown in terminals and put into URLs.
func validUserID(s string) bool {
	if len(s) == 0 || len(s) > 255 || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

func marshalPayload(p Payload) ([]byte, error) {
	return json.Marshal(payloadJSON(p))
}
