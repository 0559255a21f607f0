package orgsim

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gdlogin/gdlogin/internal/testca"
)

// tlsClient trusts ca, resolves testca.Host to 127.0.0.1, and shows
// redirects instead of following them.
func tlsClient(ca *testca.CA) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DialContext:     testca.LoopbackDialContext(testca.Host),
			TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func TestHTTPSWithHostName(t *testing.T) {
	ca := testca.ForTest(t)
	s := start(t, Options{TLS: ca.ServerConfig(), Host: testca.Host})
	_, port, _ := strings.Cut(s.Addr(), ":")
	want := "https://analytics.example.com:" + port
	if s.URL() != want {
		t.Fatalf("URL() = %q, want %q", s.URL(), want)
	}
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") {
		t.Fatalf("Addr() = %q, want it on 127.0.0.1", s.Addr())
	}
	c := tlsClient(ca)

	// Links are built on the https origin.
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/api/v1/entities/users/admin/apiTokens", nil)
	req.Header.Set("Authorization", "Bearer "+s.AdminToken())
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("list tokens: %d %s", res.StatusCode, body)
	}
	var doc struct {
		Links struct {
			Self string `json:"self"`
		} `json:"links"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.Links.Self, want+"/api/v1/entities/users/admin/apiTokens") {
		t.Errorf("links.self = %q, want it on %s", doc.Links.Self, want)
	}

	// The sign-in form's cookies and the session cookie are Secure.
	res, err = c.Get(s.URL() + loginPath)
	if err != nil {
		t.Fatal(err)
	}
	form, _ := io.ReadAll(res.Body)
	res.Body.Close()
	csrf := cookieNamed(res.Cookies(), loginCSRFCookie)
	if csrf == nil || !csrf.Secure || !csrf.HttpOnly {
		t.Fatalf("login CSRF cookie = %+v, want Secure and HttpOnly", csrf)
	}
	post, _ := http.NewRequest(http.MethodPost, s.URL()+loginPath, strings.NewReader(url.Values{
		"_csrf": {inputValue(t, form, "_csrf")}, "redirectTo": {"/"}, "username": {"john.doe"}, "password": {"demo"},
	}.Encode()))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	post.AddCookie(csrf)
	res, err = c.Do(post)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("sign in: %d", res.StatusCode)
	}
	sess := cookieNamed(res.Cookies(), SessionCookieName)
	if sess == nil || !sess.Secure || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie = %+v, want Secure, HttpOnly, SameSite=Lax", sess)
	}
	if ck, err := s.NewSession("john.doe"); err != nil || !ck.Secure {
		t.Fatalf("NewSession = %+v, %v; want a Secure cookie", ck, err)
	}
}

func TestPlainHTTPCookiesAreNotSecure(t *testing.T) {
	s := start(t, Options{})
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Fatalf("URL() = %q", s.URL())
	}
	ck, err := s.NewSession("john.doe")
	if err != nil || ck.Secure {
		t.Fatalf("NewSession = %+v, %v; want a cookie without Secure on http", ck, err)
	}
}

func TestHTTPSRefusesAClientWithoutTheCA(t *testing.T) {
	ca := testca.ForTest(t)
	s := start(t, Options{TLS: ca.ServerConfig(), Host: testca.Host})
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: testca.LoopbackDialContext(testca.Host)}}
	_, err := c.Get(s.URL() + "/api/v1/profile")
	var unknown *tls.CertificateVerificationError
	if !errors.As(err, &unknown) {
		t.Fatalf("GET without the CA: %v, want a certificate verification error", err)
	}
}

func TestHostMustBeAHostName(t *testing.T) {
	for _, h := range []string{"analytics.example.com:443", "Analytics.example.com", "a/b", "[::1]"} {
		if _, err := Start(Options{Host: h}); err == nil {
			t.Errorf("Start(Host: %q) succeeded", h)
		}
	}
}
