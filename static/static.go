// Package static owns the files that gdlogin hands to browsers, embedded
// with embed.FS: the style sheet and scripts of gdlogin's own loopback pages
// (Pages), and the handoff script (SPEC 3.3) that runs in the organization's
// origin. The handoff script is written once, in handoff.js, and shipped
// three ways, all from the same minified code (handoff.min.js):
//
//   - Bookmarklet: a javascript: URL with no per-run data, dragged to the
//     bookmarks bar once and used for every login;
//   - Snippet: the DevTools console snippet for one login, pairing included;
//   - HandoffScript: a script that an organization page includes with
//     <script src>; it runs only on #gdlogin= and only on the user's click.
package static

import (
	"embed"
	"errors"
	"fmt"
	"strings"
)

// HandoffFS holds the handoff script: handoff.js (the readable source),
// handoff.min.js (what ships) and page.js (the wrapper of HandoffScript).
//
//go:embed handoff.js handoff.min.js page.js
var HandoffFS embed.FS

// maxPairingCode mirrors handoff.MaxPairingCodeSize; this package does not
// import handoff, the script itself validates the pairing.
const maxPairingCode = 2 << 10

var (
	// core is the handoff function expression, minified:
	// async (embeddedPairing, askFirst) => {...}.
	core = strings.TrimSpace(mustRead("handoff.min.js"))
	page = strings.TrimSpace(mustRead("page.js"))

	bookmarklet   = "javascript:" + escapeURL("("+core+")();void 0")
	handoffScript = []byte("(" + page + "\n)(" + core + ");\n")
)

func mustRead(name string) string {
	b, err := HandoffFS.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Bookmarklet returns the handoff script as a javascript: URL. It carries no
// per-run data (the script reads the pairing from #gdlogin= or asks for it),
// so one bookmark works for every login. Its code ends in "void 0", because a
// bookmarklet that evaluates to a string replaces the page with it, and it is
// percent-encoded down to the characters a URL may hold, so that it can go
// into an href as it is. html/template would still neuter it: give it to a
// template as template.URL, to templ as templ.SafeURL.
func Bookmarklet() string {
	return bookmarklet
}

// ErrPairingCode is returned by Snippet for a pairing code that is not
// base64url text.
var ErrPairingCode = errors.New("pairing code is not base64url text")

// Snippet returns the DevTools console snippet for one login: the handoff
// script with pairingCode embedded as a string literal. The code is only
// checked to be base64url text of a sane length, which is what makes it
// safe inside the literal; the script validates the pairing itself.
func Snippet(pairingCode string) (string, error) {
	if pairingCode == "" || len(pairingCode) > maxPairingCode {
		return "", fmt.Errorf("%w: it has %d characters", ErrPairingCode, len(pairingCode))
	}
	for i := 0; i < len(pairingCode); i++ {
		if !isBase64URL(pairingCode[i]) {
			return "", ErrPairingCode
		}
	}
	return "// gdlogin: creates an API token for you in this organization and hands it, encrypted, to the gdlogin login on your computer.\n" +
		"(" + core + ")(\"" + pairingCode + "\");void 0\n", nil
}

// HandoffScript returns the script that an organization page includes with
// <script src> (served as text/javascript from the organization's own
// origin, so that its CSP allows it). When the page URL carries #gdlogin=,
// it shows a panel with a button "Send a new API token to gdlogin" and runs
// the handoff when, and only when, that button is clicked.
func HandoffScript() []byte {
	return append([]byte(nil), handoffScript...)
}

func isBase64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// escapeURL percent-encodes every byte that is not a URL code point (WHATWG
// URL "URL code points", ASCII part): what stays is A-Z a-z 0-9 and
// !$&'()*+,-./:;=?@_~. So "%" (which a javascript: URL would decode), "#",
// spaces, quotes, brackets, braces, controls and non-ASCII are all encoded,
// and the result is a valid URL string that any HTML attribute can hold.
func escapeURL(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isBase64URL(c) || strings.IndexByte("!$&'()*+,./:;=?@~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
