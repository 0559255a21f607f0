package static_test

import (
	"bytes"
	"errors"
	"html"
	"html/template"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gdlogin/gdlogin/static"
)

// bookmarkletBudget is the most bytes the bookmarklet URL may take: 4 KB.
// The script does everything SPEC 3.3 and 3.11 ask (strict validation, the
// signature check, trust on first use with its confirmation panel, the API
// calls with their fallbacks and readable errors, ECDH/HKDF/AES-GCM, the
// paste overlay) and nothing can be fetched at run time (the
// organization's CSP forbids it). Today's browsers take bookmarklets of
// 64 KB and more; the budget keeps it small enough to read, and stops it
// from creeping.
const bookmarkletBudget = 4096

func TestBookmarkletLength(t *testing.T) {
	n := len(static.Bookmarklet())
	t.Logf("bookmarklet: %d bytes (budget %d)", n, bookmarkletBudget)
	if n > bookmarkletBudget {
		t.Fatalf("bookmarklet is %d bytes, over the budget of %d", n, bookmarkletBudget)
	}
}

// BenchmarkBookmarklet reports the bookmarklet's length as a figure
// (bytes/url), for comparisons across changes: go test ./static -bench Bookmarklet.
func BenchmarkBookmarklet(b *testing.B) {
	n := 0
	for b.Loop() {
		n = len(static.Bookmarklet())
	}
	b.ReportMetric(float64(n), "bytes/url")
	b.ReportMetric(float64(bookmarkletBudget-n), "bytes-spare")
}

// decodedBookmarklet is the code a browser runs for the bookmarklet.
func decodedBookmarklet(t *testing.T) string {
	t.Helper()
	b := static.Bookmarklet()
	body, ok := strings.CutPrefix(b, "javascript:")
	if !ok {
		t.Fatalf("bookmarklet does not start with javascript: %.40q", b)
	}
	code, err := url.PathUnescape(body)
	if err != nil {
		t.Fatalf("bookmarklet is not percent-encoded properly: %v", err)
	}
	return code
}

func TestBookmarkletEndsInVoid0(t *testing.T) {
	code := decodedBookmarklet(t)
	if !strings.HasSuffix(code, ";void 0") {
		t.Fatalf("bookmarklet code ends in %q, want void 0 (SPEC 3.3)", code[len(code)-20:])
	}
}

// TestBookmarkletIsAValidURL: only URL code points, so that an href takes it
// as it is, nothing that a javascript: URL would decode by surprise, and no
// white space, which the URL parser strips.
func TestBookmarkletIsAValidURL(t *testing.T) {
	b := static.Bookmarklet()
	if i := strings.IndexFunc(b, func(r rune) bool {
		return !strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!$&'()*+,-./:;=?@_~%", r)
	}); i >= 0 {
		t.Fatalf("bookmarklet holds %q at %d, which is not a URL code point", b[i], i)
	}
	if !regexp.MustCompile(`^[^%]*(%[0-9A-F]{2}[^%]*)*$`).MatchString(b) {
		t.Fatal(`bookmarklet has a "%" that does not start an escape`)
	}
	for _, raw := range []string{" ", "\n", "\"", "<", ">", "#", "{", "`"} {
		if strings.Contains(b, raw) {
			t.Errorf("bookmarklet holds a raw %q", raw)
		}
	}
	u, err := url.Parse(b)
	if err != nil || u.Scheme != "javascript" {
		t.Fatalf("url.Parse(bookmarklet) = %v, %v", u, err)
	}
	// The code it carries is exactly the shipped script, called with no
	// arguments.
	min, err := static.HandoffFS.ReadFile("handoff.min.js")
	if err != nil {
		t.Fatal(err)
	}
	if want := "(" + strings.TrimSpace(string(min)) + ")();void 0"; decodedBookmarklet(t) != want {
		t.Fatal("bookmarklet code is not (handoff.min.js)();void 0")
	}
}

// TestBookmarkletInHTML: as template.URL, html/template keeps it working
// (it may only escape more of it), and no character can end the attribute.
func TestBookmarkletInHTML(t *testing.T) {
	tmpl := template.Must(template.New("").Parse(`<a data-testid="bookmarklet" href="{{.}}">gdlogin</a>`))
	var out bytes.Buffer
	if err := tmpl.Execute(&out, template.URL(static.Bookmarklet())); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`href="([^"]*)"`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no href in %.80s", out.String())
	}
	href := html.UnescapeString(m[1])
	code, err := url.PathUnescape(strings.TrimPrefix(href, "javascript:"))
	if err != nil {
		t.Fatal(err)
	}
	if code != decodedBookmarklet(t) {
		t.Fatal("html/template changed the code the bookmarklet runs")
	}
}

// TestBookmarkletHasNoPerRunData: the bookmarklet is exactly the shipped
// script called with no argument, so nothing of a login (a pairing, a key,
// a port) can be in it; any byte more or less fails here.
func TestBookmarkletHasNoPerRunData(t *testing.T) {
	code := decodedBookmarklet(t)
	if want := "(" + shippedScript(t) + ")();void 0"; code != want {
		t.Fatalf("the bookmarklet is not the shipped script called without arguments:\n got %.120q…\nwant %.120q…", code, want)
	}
	if static.Bookmarklet() != static.Bookmarklet() {
		t.Fatal("the bookmarklet differs between calls")
	}
	if regexp.MustCompile(`[A-Za-z0-9_-]{60,}`).MatchString(code) {
		t.Fatal("bookmarklet holds a long base64url run, like a pairing or a key")
	}
}

// shippedScript is handoff.min.js, which must exist and hold the script.
func shippedScript(t *testing.T) string {
	t.Helper()
	min, err := static.HandoffFS.ReadFile("handoff.min.js")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSpace(string(min))
	if len(s) < 1000 || !strings.Contains(s, "/callback#") || !strings.Contains(s, "SHA-256") {
		t.Fatalf("handoff.min.js is not the handoff script (%d bytes)", len(s))
	}
	return s
}

func TestSnippet(t *testing.T) {
	const code = "eyJ2IjoxfQ-_0123456789"
	s, err := static.Snippet(code)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s, `)("`+code+`");void 0`) {
		t.Fatalf("snippet does not call the script with the pairing code: %.200s", s[len(s)-200:])
	}
	if !strings.Contains(s, "("+shippedScript(t)+")") {
		t.Fatal("snippet does not hold the shipped script")
	}
	if strings.Count(s, code) != 1 {
		t.Fatal("pairing code appears more than once")
	}
}

func TestSnippetRefusesAnythingButBase64URL(t *testing.T) {
	for _, code := range []string{
		"",
		`abc"def`,
		`abc\`,
		"abc'def",
		"abc`def",
		"abc\ndef",
		"abc def",
		"abc</script>",
		"abc=",
		"abc+/",
		"abc\u2028def",
		"äbc",
		"abc\x00",
		strings.Repeat("a", 2049),
	} {
		s, err := static.Snippet(code)
		if !errors.Is(err, static.ErrPairingCode) {
			t.Errorf("Snippet(%.20q) = %.20q, %v; want ErrPairingCode", code, s, err)
		}
		if s != "" {
			t.Errorf("Snippet(%.20q) returned code with an error", code)
		}
	}
	if _, err := static.Snippet(strings.Repeat("a", 2048)); err != nil {
		t.Errorf("Snippet refuses a 2048-character code: %v", err)
	}
}

func TestHandoffScript(t *testing.T) {
	s := string(static.HandoffScript())
	if !strings.Contains(s, "("+shippedScript(t)+")") {
		t.Fatal("page script does not hold the shipped script")
	}
	for _, want := range []string{`"#gdlogin="`, `handoff(undefined, 1)`} {
		if !strings.Contains(s, want) {
			t.Errorf("page script lacks %s", want)
		}
	}
	b := static.HandoffScript()
	b[0] = 'X'
	if static.HandoffScript()[0] == 'X' {
		t.Fatal("HandoffScript returns its own buffer")
	}
}
