package gooddata

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Permissions that matter to gdlogin.
const (
	PermManage          = "MANAGE"
	PermSelfCreateToken = "SELF_CREATE_TOKEN"
)

// Profile is the answer of GET /profile: who the bearer is.
type Profile struct {
	UserID           string   `json:"userId"`
	Name             string   `json:"name"`
	OrganizationID   string   `json:"organizationId"`
	OrganizationName string   `json:"organizationName"`
	Permissions      []string `json:"permissions"`
}

// CanCreateOwnToken reports whether the user may create API tokens for
// themselves.
func (p *Profile) CanCreateOwnToken() bool {
	return slices.Contains(p.Permissions, PermManage) || slices.Contains(p.Permissions, PermSelfCreateToken)
}

// CanManage reports whether the user is an organization admin.
func (p *Profile) CanManage() bool { return slices.Contains(p.Permissions, PermManage) }

// DisplayName is "John Doe (john.doe)", or the id alone.
func (p *Profile) DisplayName() string {
	if p.Name == "" || p.Name == p.UserID {
		return p.UserID
	}
	return p.Name + " (" + p.UserID + ")"
}

// Token is an API token as listed; the secret is never part of it.
type Token struct {
	ID string
}

// Secret is a bearer token value. Every way of formatting it hides it, so
// that a stray log line or %v cannot leak it; call Reveal to get it.
type Secret string

// Reveal returns the token itself.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string   { return "[redacted]" }
func (s Secret) GoString() string { return `gooddata.Secret("[redacted]")` }

// Format keeps every fmt verb from showing the secret.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprint(f, "[redacted]")
}

// LogValue keeps slog from showing the secret.
func (s Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// MarshalText keeps encoders from showing the secret by accident.
func (s Secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// CreatedToken is a new API token with its secret, shown only once.
type CreatedToken struct {
	UserID string
	ID     string
	Bearer Secret
}

// Profile asks who the bearer is.
func (c *Client) Profile(ctx context.Context) (*Profile, error) {
	r := request{op: "read profile", method: http.MethodGet, path: "/profile", want: http.StatusOK}
	var resp *response
	var err error
	if c.gen.get() == GenerationUnknown {
		resp, err = c.detect(ctx)
	} else {
		resp, err = c.exchange(ctx, c.gen.get(), r)
	}
	if err != nil {
		return nil, err
	}
	var p Profile
	if err := decode(r, c.url(c.gen.get(), r), resp, &p); err != nil {
		return nil, err
	}
	if p.UserID == "" {
		return nil, &APIError{Op: r.op, Method: r.method, URL: c.url(c.gen.get(), r), Status: resp.status, TraceID: resp.traceID,
			Kind: KindNotGoodData, Detail: "the profile has no userId"}
	}
	return &p, nil
}

func tokensPath(userID string) string {
	return "/entities/users/" + url.PathEscape(userID) + "/apiTokens"
}

type tokenDocument struct {
	Data struct {
		ID         string `json:"id"`
		Type       string `json:"type"`
		Attributes *struct {
			BearerToken string `json:"bearerToken,omitempty"`
		} `json:"attributes,omitempty"`
	} `json:"data"`
}

type tokenIn struct {
	Data struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"data"`
}

// CreateToken creates an API token called tokenID for userID. When the id
// is taken (409) it retries once with a random suffix, so CreatedToken.ID
// may differ from tokenID.
func (c *Client) CreateToken(ctx context.Context, userID, tokenID string) (*CreatedToken, error) {
	if !ValidTokenID(tokenID) {
		return nil, fmt.Errorf("token id %q is not valid: use letters, digits, '.', '_' and '-' (not first '.'), up to 255 characters", tokenID)
	}
	t, err := c.createToken(ctx, userID, tokenID)
	var ae *APIError
	if errors.As(err, &ae) && ae.Kind == KindConflict {
		t, err = c.createToken(ctx, userID, SuffixTokenID(tokenID))
	}
	return t, err
}

func (c *Client) createToken(ctx context.Context, userID, tokenID string) (*CreatedToken, error) {
	var in tokenIn
	in.Data.ID, in.Data.Type = tokenID, "apiToken"
	r := request{op: "create API token", method: http.MethodPost, path: tokensPath(userID), body: in, want: http.StatusCreated}
	resp, err := c.call(ctx, r)
	if err != nil {
		return nil, err
	}
	var doc tokenDocument
	if err := decode(r, c.url(c.gen.get(), r), resp, &doc); err != nil {
		return nil, err
	}
	if doc.Data.Attributes == nil || doc.Data.Attributes.BearerToken == "" || doc.Data.ID == "" {
		return nil, &APIError{Op: r.op, Method: r.method, URL: c.url(c.gen.get(), r), Status: resp.status, TraceID: resp.traceID,
			Kind: KindNotGoodData, Detail: "the answer carries no bearerToken"}
	}
	if !ValidTokenID(doc.Data.ID) {
		// The id is saved and shown on every status: an id outside the
		// pattern is not what GoodData sends, and may carry terminal
		// escapes. Refuse it, and remove the token gdlogin asked for so
		// that no token is left that nobody holds.
		e := &APIError{Op: r.op, Method: r.method, URL: c.url(c.gen.get(), r), Status: resp.status, TraceID: resp.traceID,
			Kind: KindNotGoodData, Detail: "the answer names the new token " + strconv.QuoteToASCII(clip(doc.Data.ID)) + ", which is not a valid token id; gdlogin refused the token"}
		if derr := c.DeleteToken(ctx, userID, tokenID); derr == nil {
			e.Detail += " and deleted the token " + tokenID + " it had asked for"
		} else {
			e.Detail += "; the token " + tokenID + " it had asked for may still exist (gdlogin tokens list)"
		}
		return nil, e
	}
	return &CreatedToken{UserID: userID, ID: doc.Data.ID, Bearer: Secret(doc.Data.Attributes.BearerToken)}, nil
}

// ListPageSize is the page size used to list tokens.
const ListPageSize = 500

// maxListPages bounds a listing against a server whose pages never end.
const maxListPages = 200

// ListTokens lists every API token of userID, page by page. The server
// always sends links.next, so a page with fewer than ListPageSize items
// ends the listing.
func (c *Client) ListTokens(ctx context.Context, userID string) ([]Token, error) {
	var out []Token
	for page := 0; page < maxListPages; page++ {
		q := url.Values{"page": {strconv.Itoa(page)}, "size": {strconv.Itoa(ListPageSize)}}
		r := request{op: "list API tokens", method: http.MethodGet, path: tokensPath(userID), query: q, want: http.StatusOK}
		resp, err := c.call(ctx, r)
		if err != nil {
			return nil, err
		}
		var doc struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if err := decode(r, c.url(c.gen.get(), r), resp, &doc); err != nil {
			return nil, err
		}
		for _, d := range doc.Data {
			out = append(out, Token{ID: d.ID})
		}
		if len(doc.Data) < ListPageSize {
			return out, nil
		}
	}
	return nil, fmt.Errorf("list API tokens: more than %d pages; stopping", maxListPages)
}

// GetToken reads one API token (never its secret).
func (c *Client) GetToken(ctx context.Context, userID, tokenID string) (*Token, error) {
	r := request{op: "read API token", method: http.MethodGet, path: tokensPath(userID) + "/" + url.PathEscape(tokenID), want: http.StatusOK}
	resp, err := c.call(ctx, r)
	if err != nil {
		return nil, err
	}
	var doc tokenDocument
	if err := decode(r, c.url(c.gen.get(), r), resp, &doc); err != nil {
		return nil, err
	}
	return &Token{ID: doc.Data.ID}, nil
}

// DeleteToken deletes (revokes) an API token.
func (c *Client) DeleteToken(ctx context.Context, userID, tokenID string) error {
	r := request{op: "delete API token", method: http.MethodDelete, path: tokensPath(userID) + "/" + url.PathEscape(tokenID), want: http.StatusNoContent}
	_, err := c.call(ctx, r)
	return err
}

var tokenIDPattern = regexp.MustCompile(`^[.A-Za-z0-9_-]{1,255}$`)

// ValidTokenID reports whether id matches ^(?!\.)[.A-Za-z0-9_-]{1,255}$.
func ValidTokenID(id string) bool {
	return tokenIDPattern.MatchString(id) && !strings.HasPrefix(id, ".")
}

// SanitizeTokenID turns any string into a valid token id: characters
// outside the pattern become '-', runs of '-' collapse, leading dots go,
// and the result is at most 255 characters.
func SanitizeTokenID(s string) string {
	var b strings.Builder
	lastDash := false
	for _, r := range s {
		ok := r == '.' || r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			r = '-'
		}
		if r == '-' && lastDash {
			continue
		}
		lastDash = r == '-'
		b.WriteRune(r)
	}
	out := strings.TrimLeft(b.String(), ".")
	if len(out) > 255 {
		out = out[:255]
	}
	if out == "" {
		out = "gdlogin"
	}
	return out
}

// DefaultTokenID is gdlogin-<host>-<UTC time>, e.g.
// gdlogin-laptop-20261129T182200Z: it says where and when a token was made.
func DefaultTokenID(hostname string, now time.Time) string {
	return SanitizeTokenID("gdlogin-" + TokenIDHost(hostname) + "-" + now.UTC().Format("20060102T150405Z"))
}

// TokenIDHost is the part of DefaultTokenID's ids that names the machine:
// the first label of hostname, lower case, made valid.
func TokenIDHost(hostname string) string {
	host := strings.ToLower(strings.SplitN(hostname, ".", 2)[0])
	if host == "" {
		host = "unknown"
	}
	return SanitizeTokenID(host)
}

// defaultTokenIDRE matches the ids DefaultTokenID makes, with the suffix
// SuffixTokenID adds when the first choice was taken.
var defaultTokenIDRE = regexp.MustCompile(`^gdlogin-([a-z0-9._-]+)-[0-9]{8}T[0-9]{6}Z(-[a-z0-9]{4})?$`)

// MadeByDefault reports whether id is one that DefaultTokenID made (a
// token gdlogin named), and the machine part of it (TokenIDHost).
func MadeByDefault(id string) (host string, ok bool) {
	m := defaultTokenIDRE.FindStringSubmatch(id)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// SuffixTokenID appends "-" and four random characters, keeping the id
// valid and within 255 characters.
func SuffixTokenID(id string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [4]byte
	_, _ = rand.Read(b[:])
	suffix := make([]byte, 0, 5)
	suffix = append(suffix, '-')
	for _, x := range b {
		suffix = append(suffix, alphabet[int(x)%len(alphabet)])
	}
	if len(id)+len(suffix) > 255 {
		id = id[:255-len(suffix)]
	}
	return id + string(suffix)
}

// OrgLabel names the organization for sentences: its name, else its id.
func (p *Profile) OrgLabel() string {
	if p.OrganizationName != "" {
		return p.OrganizationName
	}
	return p.OrganizationID
}
