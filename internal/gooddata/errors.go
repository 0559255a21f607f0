package gooddata

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/gdlogin/gdlogin/internal/termtext"
)

// Kind sorts API failures by what the user should do about them.
type Kind int

const (
	// KindOther is any failure not listed below.
	KindOther Kind = iota
	// KindInvalidToken: 401 with WWW-Authenticate error="invalid_token";
	// the bearer is not valid for this organization.
	KindInvalidToken
	// KindNotLoggedIn: 401 with body /appLogin; no credentials were accepted.
	KindNotLoggedIn
	// KindForbidden: 403; the user lacks a permission.
	KindForbidden
	// KindNotFound: 404.
	KindNotFound
	// KindConflict: 409; for tokens, the id is taken.
	KindConflict
	// KindBadRequest: 400.
	KindBadRequest
	// KindNotGoodData: the answer is not what a GoodData API sends (HTML,
	// unknown JSON, redirects, missing endpoints).
	KindNotGoodData
	// KindServer: 5xx.
	KindServer
)

// APIError is an answer from the server that is not the expected one.
// It never holds the request's token.
type APIError struct {
	Op       string // what gdlogin was doing, e.g. "create API token"
	Method   string
	URL      string
	Status   int
	Title    string // problem+json title
	Detail   string // problem+json detail, or gdlogin's description
	TraceID  string // X-GDC-TRACE-ID or the problem's traceId
	Location string // for redirects
	Kind     Kind
}

// Error is for a terminal: the server's title, detail and trace id are
// passed through termtext.Clean, so no control sequence of the server's
// reaches it. The fields keep the real values.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	switch e.Kind {
	case KindInvalidToken:
		b.WriteString("the token is not valid for this organization")
	case KindNotLoggedIn:
		b.WriteString("not logged in: the organization accepted no credentials")
	case KindNotGoodData:
		b.WriteString(e.URL + " does not look like a GoodData API")
	default:
		if e.Status != 0 {
			fmt.Fprintf(&b, "%s %s answered %d %s", e.Method, e.URL, e.Status, http.StatusText(e.Status))
		}
	}
	if e.Title != "" && e.Title != http.StatusText(e.Status) {
		b.WriteString(": " + e.Title)
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if e.TraceID != "" {
		b.WriteString(" (trace id " + e.TraceID + ")")
	}
	return termtext.Clean(b.String())
}

// Hint says what to try next.
func (e *APIError) Hint() string {
	switch e.Kind {
	case KindInvalidToken:
		return "the token was deleted, belongs to another organization, or was mistyped; create a new one or log in with the browser method"
	case KindNotLoggedIn:
		return "send a valid API token (--with-token, GDC_API_TOKEN or GOODDATA_TOKEN), or use the browser method"
	case KindForbidden:
		return "creating your own API token needs the SELF_CREATE_TOKEN (or MANAGE) permission; ask an organization admin to grant it, or to create the token for you with --user"
	case KindConflict:
		return "an API token with this id exists already; choose another --token-id"
	case KindBadRequest:
		return "token ids may use letters, digits, '.', '_' and '-' (not first '.'), up to 255 characters"
	case KindNotGoodData:
		if e.Location != "" {
			return "the server redirected to " + termtext.Clean(e.Location) + "; check the organization URL (scheme, host, no proxy login page in between)"
		}
		return "check the organization URL: it should be the address you open in the browser, e.g. https://analytics.example.com"
	case KindServer:
		return "the server failed; try again, and quote the trace id to support if it persists"
	}
	return ""
}

// Problem is the part of an RFC 9457 problem+json answer (or of GoodData's
// JSON error bodies, which use the same keys) that gdlogin shows.
type Problem struct {
	Title   string `json:"title"`
	Detail  string `json:"detail"`
	TraceID string `json:"traceId"`
}

// maxProblemField bounds each field kept from a problem: a hostile server
// must not fill the terminal through an error message.
const maxProblemField = 1024

// ParseProblem reads title, detail and traceId from an error body whose
// Content-Type is one of the API's JSON types. ok is false when the body is
// not JSON of that shape. Fields longer than 1024 bytes are cut (at a rune
// boundary) and marked with "…".
func ParseProblem(contentType string, body []byte) (p Problem, ok bool) {
	if !isJSONMedia(contentType) || len(body) == 0 {
		return Problem{}, false
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return Problem{}, false
	}
	p.Title, p.Detail, p.TraceID = clip(p.Title), clip(p.Detail), clip(p.TraceID)
	return p, true
}

func clip(s string) string {
	if len(s) <= maxProblemField {
		return s
	}
	cut := maxProblemField
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// newAPIError explains a non-success answer.
func newAPIError(r request, target string, res *http.Response, body []byte) *APIError {
	e := &APIError{Op: r.op, Method: r.method, URL: target, Status: res.StatusCode, TraceID: clip(res.Header.Get("X-GDC-TRACE-ID"))}
	ct := res.Header.Get("Content-Type")
	if p, ok := ParseProblem(ct, body); ok {
		e.Title, e.Detail = p.Title, p.Detail
		if e.TraceID == "" {
			e.TraceID = p.TraceID
		}
	}
	s := res.StatusCode
	switch {
	case s == http.StatusUnauthorized:
		switch {
		case strings.Contains(res.Header.Get("WWW-Authenticate"), "invalid_token"):
			e.Kind = KindInvalidToken
		case strings.TrimSpace(string(body)) == "/appLogin":
			e.Kind = KindNotLoggedIn
		default:
			e.Kind = KindNotLoggedIn
		}
	case s == http.StatusForbidden:
		e.Kind = KindForbidden
	case s == http.StatusNotFound:
		e.Kind = KindNotFound
	case s == http.StatusConflict:
		e.Kind = KindConflict
	case s == http.StatusBadRequest:
		e.Kind = KindBadRequest
	case s >= 300 && s < 400:
		e.Kind = KindNotGoodData
		e.Location = res.Header.Get("Location")
		e.Detail = "it answered with a redirect instead of JSON"
	case s >= 500:
		e.Kind = KindServer
	}
	if e.Kind != KindNotGoodData && s >= 400 && len(body) > 0 && !isJSONMedia(ct) && !(s == 401 && e.Kind == KindNotLoggedIn) {
		e.Kind = KindNotGoodData
		e.Detail = "the answer is " + describeMedia(ct, body) + ", not JSON"
	}
	return e
}

// NetworkKind sorts transport failures.
type NetworkKind int

const (
	// NetOther is an unclassified transport failure.
	NetOther NetworkKind = iota
	// NetTimeout: no answer before the deadline.
	NetTimeout
	// NetRefused: nothing listens at the address.
	NetRefused
	// NetDNS: the host name does not resolve.
	NetDNS
	// NetTLS: the TLS handshake or certificate failed.
	NetTLS
)

// NetworkError is a failure to exchange a request with the organization.
type NetworkError struct {
	Op   string
	Host string
	Kind NetworkKind
	Err  error
}

// Error is for a terminal: a certificate's names and the like come from
// the server, so the message passes through termtext.Clean.
func (e *NetworkError) Error() string { return termtext.Clean(e.message()) }

func (e *NetworkError) message() string {
	switch e.Kind {
	case NetTimeout:
		return fmt.Sprintf("%s: no answer from %s in time", e.Op, e.Host)
	case NetRefused:
		return fmt.Sprintf("%s: %s refused the connection", e.Op, e.Host)
	case NetDNS:
		return fmt.Sprintf("%s: cannot resolve %s", e.Op, e.Host)
	case NetTLS:
		var unknown x509.UnknownAuthorityError
		if errors.As(e.Err, &unknown) {
			return fmt.Sprintf("%s: TLS with %s failed: %v: the organization's certificate is signed by an authority this computer does not trust; a private (corporate) certificate authority may be needed: pass its PEM file with --ca-cert FILE", e.Op, e.Host, e.Err)
		}
		return fmt.Sprintf("%s: TLS with %s failed: %v", e.Op, e.Host, e.Err)
	}
	return fmt.Sprintf("%s: cannot reach %s: %v", e.Op, e.Host, e.Err)
}

func (e *NetworkError) Unwrap() error { return e.Err }

// Hint says what to check.
func (e *NetworkError) Hint() string {
	switch e.Kind {
	case NetTimeout:
		return "the server is slow or unreachable; check the URL, VPN and proxy (HTTPS_PROXY/NO_PROXY), or allow more time with --timeout"
	case NetRefused:
		return "is the organization URL right (scheme and port), and is the server running?"
	case NetDNS:
		return "check the host name, your VPN and DNS"
	case NetTLS:
		return "for an on-premises install with a private certificate authority, pass --ca-cert FILE (PEM); check that the URL's scheme and port are right"
	}
	return "check the organization URL, your network, VPN and proxy settings (HTTPS_PROXY/NO_PROXY)"
}

func classifyTransport(ctx context.Context, op string, org *url.URL, err error) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err()
	}
	e := &NetworkError{Op: op, Host: org.Host, Err: err}
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recordErr tls.RecordHeaderError
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		e.Kind = NetTimeout
	case errors.As(err, &netErr) && netErr.Timeout():
		e.Kind = NetTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Kind = NetRefused
	case errors.As(err, &dnsErr):
		e.Kind = NetDNS
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &recordErr):
		e.Kind = NetTLS
		e.Err = tlsCause(err)
	}
	return e
}

// tlsCause strips the url.Error wrapper, which repeats the URL.
func tlsCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// RefusedToken returns the API error when err is the organization refusing
// the bearer token itself (invalid, expired, deleted, or not accepted as a
// login), as opposed to refusing one action.
func RefusedToken(err error) (*APIError, bool) {
	var ae *APIError
	if errors.As(err, &ae) && (ae.Kind == KindInvalidToken || ae.Kind == KindNotLoggedIn) {
		return ae, true
	}
	return nil, false
}
