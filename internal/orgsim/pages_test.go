package orgsim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestLoginSetsSessionCookie(t *testing.T) {
	s := start(t, Options{})
	r := login(t, s, "?redirectTo=%2Fdashboards", "john.doe", "demo")
	if r.status != http.StatusFound || r.header.Get("Location") != "/dashboards" {
		t.Fatalf("login: %d Location %q", r.status, r.header.Get("Location"))
	}
	c := cookieNamed(r.cookies, SessionCookieName)
	if c == nil {
		t.Fatalf("no %s cookie in %v", SessionCookieName, r.header["Set-Cookie"])
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || c.Value == "" {
		t.Errorf("cookie attributes: %+v", c)
	}
	if c.MaxAge != 0 || !c.Expires.IsZero() {
		t.Errorf("the session cookie should last for the browser session: %+v", c)
	}
	raw := strings.Join(r.header["Set-Cookie"], "\n")
	for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(raw, want) {
			t.Errorf("Set-Cookie %q lacks %s", raw, want)
		}
	}
	p := do(t, s, call{path: "/api/v1/profile", cookies: []*http.Cookie{c}})
	if p.status != http.StatusOK || p.json(t)["userId"] != "john.doe" {
		t.Fatalf("profile with the session: %d %s", p.status, p.body)
	}

	// A second sign-in replaces the session (no fixation).
	again := login(t, s, "", "jane.roe", "demo")
	c2 := cookieNamed(again.cookies, SessionCookieName)
	if c2 == nil || c2.Value == c.Value {
		t.Fatal("the second sign-in did not get a fresh session")
	}
}

func TestLoginRefused(t *testing.T) {
	s := start(t, Options{Users: []User{
		{ID: "john.doe", Name: "John Doe", Password: "demo", Permissions: []string{PermissionSelfCreateToken}},
		{ID: "robot", Name: "Robot", Permissions: []string{PermissionManage}}, // no password: API tokens only
	}})
	for _, tc := range []struct{ name, user, password string }{
		{"wrong password", "john.doe", "wrong"},
		{"unknown user", "nobody", "demo"},
		{"empty password", "john.doe", ""},
		{"user without password", "robot", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := login(t, s, "?redirectTo=%2Fsomewhere", tc.user, tc.password)
			if r.status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", r.status)
			}
			if cookieNamed(r.cookies, SessionCookieName) != nil {
				t.Error("a refused login set a session cookie")
			}
			checkPage(t, r)
			doc := parseHTML(t, r.body)
			var alert, invalid bool
			walk(doc, func(n *html.Node) {
				if v, _ := attr(n, "role"); v == "alert" && strings.Contains(text(n), "Incorrect user ID or password") {
					alert = true
				}
				if v, _ := attr(n, "aria-invalid"); v == "true" {
					if d, _ := attr(n, "aria-describedby"); d == "login-error" {
						invalid = true
					}
				}
			})
			if !alert || !invalid {
				t.Errorf("the error is not accessible (alert %v, aria-invalid %v)", alert, invalid)
			}
			if inputValue(t, r.body, "redirectTo") != "/somewhere" {
				t.Error("redirectTo lost on the second try")
			}
			if inputValue(t, r.body, "password") != "" {
				t.Error("the refused password is echoed back")
			}
		})
	}
}

func TestLoginCSRF(t *testing.T) {
	s := start(t, Options{})
	form := do(t, s, call{path: loginPath})
	token := inputValue(t, form.body, "_csrf")
	cookie := cookieNamed(form.cookies, loginCSRFCookie)
	if token == "" || cookie == nil || cookie.Value != token || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("login CSRF token %q cookie %+v", token, cookie)
	}
	creds := url.Values{"username": {"john.doe"}, "password": {"demo"}, "redirectTo": {"/"}}
	for _, tc := range []struct {
		name    string
		field   string
		cookies []*http.Cookie
	}{
		{"no cookie (cross-site POST)", token, nil},
		{"no field", "", []*http.Cookie{cookie}},
		{"mismatch", token + "x", []*http.Cookie{cookie}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := url.Values{"_csrf": {tc.field}}
			for k, vs := range creds {
				v[k] = vs
			}
			r := do(t, s, call{method: "POST", path: loginPath, body: v, cookies: tc.cookies})
			if r.status != http.StatusForbidden || cookieNamed(r.cookies, SessionCookieName) != nil {
				t.Errorf("status %d, want 403 and no session", r.status)
			}
			checkPage(t, r)
		})
	}
	// A second sign-in tab keeps the browser's token, so both forms work.
	second := do(t, s, call{path: loginPath, cookies: []*http.Cookie{cookie}})
	if inputValue(t, second.body, "_csrf") != token {
		t.Error("a second sign-in page changed the CSRF token")
	}
}

func TestRedirectTo(t *testing.T) {
	s := start(t, Options{})
	for _, tc := range []struct {
		name  string
		query string // raw query of GET /appLogin
		want  string // Location after the sign-in
	}{
		{"default", "", "/"},
		{"plain path", "redirectTo=%2Fdashboards%3Fid%3D1", "/dashboards?id=1"},
		{"unencoded path", "redirectTo=/workspaces/sales", "/workspaces/sales"},
		{"encoded fragment survives", "redirectTo=/%23gdlogin%3DeyJ2IjoxfQ", "/#gdlogin=eyJ2IjoxfQ"},
		{"fully encoded fragment", "redirectTo=%2F%23gdlogin%3DeyJ2IjoxfQ", "/#gdlogin=eyJ2IjoxfQ"},
		{"protocol-relative", "redirectTo=%2F%2Fevil.example.com%2F", "/"},
		{"backslash", "redirectTo=%2F%5Cevil.example.com", "/"},
		{"backslash later", "redirectTo=%2Fa%5C..%5C%5Cevil.example.com", "/"},
		{"absolute URL", "redirectTo=https%3A%2F%2Fevil.example.com%2F", "/"},
		{"scheme only", "redirectTo=javascript%3Aalert(1)", "/"},
		{"relative path", "redirectTo=dashboards", "/"},
		{"tab trick", "redirectTo=%2F%09%2Fevil.example.com", "/"},
		{"newline", "redirectTo=%2F%0D%0ASet-Cookie%3A%20x%3Dy", "/"},
		{"space", "redirectTo=%2F%20%2Fevil.example.com", "/"},
		{"non-ASCII", "redirectTo=%2F%C3%A9", "/"},
		{"encoded slashes stay a path", "redirectTo=%2F%252F%252Fevil.example.com", "/%2F%2Fevil.example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := ""
			if tc.query != "" {
				q = "?" + tc.query
			}
			r := login(t, s, q, "john.doe", "demo")
			if r.status != http.StatusFound {
				t.Fatalf("status %d", r.status)
			}
			if got := r.header.Get("Location"); got != tc.want {
				t.Errorf("Location %q, want %q", got, tc.want)
			}
			// A browser that is already signed in goes straight on.
			c := cookieNamed(r.cookies, SessionCookieName)
			again := do(t, s, call{path: loginPath + q, cookies: []*http.Cookie{c}})
			if again.status != http.StatusFound || again.header.Get("Location") != tc.want {
				t.Errorf("signed in: %d Location %q, want %q", again.status, again.header.Get("Location"), tc.want)
			}
			// Even a tampered form cannot send the browser elsewhere.
			if tc.want == "/" && tc.query != "" {
				raw, _ := url.ParseQuery(tc.query)
				form := do(t, s, call{path: loginPath})
				post := do(t, s, call{method: "POST", path: loginPath, cookies: form.cookies, body: url.Values{
					"_csrf": {inputValue(t, form.body, "_csrf")}, "username": {"john.doe"}, "password": {"demo"},
					"redirectTo": raw["redirectTo"],
				}})
				if post.header.Get("Location") != "/" {
					t.Errorf("tampered form: Location %q", post.header.Get("Location"))
				}
			}
		})
	}
}

func TestHomePage(t *testing.T) {
	s := start(t, Options{
		OrganizationName: "Example Analytics",
		Scripts: []Script{
			{Path: "/assets/handoff.js", Body: []byte("console.log('handoff');")},
			{Path: "/extra.js", Body: []byte("void 0;")},
		},
	})
	if r := do(t, s, call{path: "/"}); r.status != http.StatusFound || r.header.Get("Location") != "/appLogin?redirectTo=%2F" {
		t.Fatalf("home without a session: %d %q", r.status, r.header.Get("Location"))
	}
	c, err := s.NewSession("john.doe")
	if err != nil {
		t.Fatal(err)
	}
	r := do(t, s, call{path: "/", cookies: []*http.Cookie{c}})
	if r.status != http.StatusOK {
		t.Fatalf("home: %d", r.status)
	}
	checkPage(t, r)
	body := string(r.body)
	for _, want := range []string{"Example Analytics", "Signed in as", "John Doe", `action="/logout"`} {
		if !strings.Contains(body, want) {
			t.Errorf("home page lacks %q", want)
		}
	}
	var srcs []string
	walk(parseHTML(t, r.body), func(n *html.Node) {
		if n.Data == "script" {
			src, _ := attr(n, "src")
			srcs = append(srcs, src)
		}
	})
	if strings.Join(srcs, " ") != "/assets/handoff.js /extra.js" {
		t.Errorf("scripts %v", srcs)
	}
	js := do(t, s, call{path: "/assets/handoff.js"})
	if js.status != 200 || js.header.Get("Content-Type") != "text/javascript; charset=utf-8" || string(js.body) != "console.log('handoff');" {
		t.Errorf("script: %d %q %q", js.status, js.header.Get("Content-Type"), js.body)
	}
	if js.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("script without nosniff")
	}
	css := do(t, s, call{path: cssPath})
	if css.status != 200 || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") || len(css.body) == 0 {
		t.Errorf("stylesheet: %d %q", css.status, css.header.Get("Content-Type"))
	}
}

func TestLogout(t *testing.T) {
	s := start(t, Options{})
	c := cookieNamed(login(t, s, "", "john.doe", "demo").cookies, SessionCookieName)
	home := do(t, s, call{path: "/", cookies: []*http.Cookie{c}})
	token := inputValue(t, home.body, "_csrf")

	r := do(t, s, call{method: "POST", path: logoutPath, cookies: []*http.Cookie{c}, body: url.Values{"_csrf": {"forged"}}})
	if r.status != http.StatusForbidden {
		t.Fatalf("logout with a forged token: %d", r.status)
	}
	checkPage(t, r)
	if do(t, s, call{path: "/api/v1/profile", cookies: []*http.Cookie{c}}).status != http.StatusOK {
		t.Fatal("the refused logout ended the session")
	}
	if r := do(t, s, call{path: logoutPath, cookies: []*http.Cookie{c}}); r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET /logout: %d", r.status)
	}

	r = do(t, s, call{method: "POST", path: logoutPath, cookies: []*http.Cookie{c}, body: url.Values{"_csrf": {token}}})
	if r.status != http.StatusFound {
		t.Fatalf("logout: %d", r.status)
	}
	if gone := cookieNamed(r.cookies, SessionCookieName); gone == nil || gone.MaxAge >= 0 {
		t.Errorf("logout did not clear the cookie: %+v", gone)
	}
	if r := do(t, s, call{path: "/api/v1/profile", cookies: []*http.Cookie{c}}); r.status != http.StatusFound {
		t.Errorf("the session still works after logout: %d", r.status)
	}
}

func TestPrefill(t *testing.T) {
	s := start(t, Options{PrefillUser: "john.doe"})
	r := do(t, s, call{path: loginPath})
	if inputValue(t, r.body, "username") != "john.doe" || inputValue(t, r.body, "password") != "demo" {
		t.Error("the login form is not prefilled")
	}
	if _, err := Start(Options{PrefillUser: "nobody"}); err == nil {
		t.Error("Start accepted an unknown PrefillUser")
	}
}

// TestPagesCSP checks every HTML answer: the strict CSP and nothing inline
// that the CSP would block.
func TestPagesCSP(t *testing.T) {
	s := start(t, Options{Scripts: []Script{{Path: "/handoff.js", Body: []byte("void 0")}}})
	c, err := s.NewSession("john.doe")
	if err != nil {
		t.Fatal(err)
	}
	form := do(t, s, call{path: loginPath})
	for _, tc := range []struct {
		name string
		c    call
	}{
		{"login", call{path: loginPath + "?redirectTo=%2F%23gdlogin%3Dx"}},
		{"login error", call{method: "POST", path: loginPath, cookies: form.cookies, body: url.Values{"_csrf": {inputValue(t, form.body, "_csrf")}, "username": {"john.doe"}, "password": {"x"}}}},
		{"login CSRF error", call{method: "POST", path: loginPath, body: url.Values{"username": {"john.doe"}}}},
		{"home", call{path: "/", cookies: []*http.Cookie{c}}},
		{"not found", call{path: "/no/such/page"}},
		{"method not allowed", call{method: "DELETE", path: "/"}},
		{"logout refused", call{method: "POST", path: logoutPath, cookies: []*http.Cookie{c}, body: url.Values{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, s, tc.c)
			if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
				t.Fatalf("not HTML: %d %q", r.status, r.header.Get("Content-Type"))
			}
			checkPage(t, r)
		})
	}
}

// checkPage asserts the headers and the inline-free markup of an HTML page.
func checkPage(t *testing.T, r reply) {
	t.Helper()
	csp := r.header.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'self'", "script-src 'self';", "connect-src 'self'", "form-action 'self'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("CSP %q lacks %q", csp, d)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q allows unsafe sources", csp)
	}
	if r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no X-Content-Type-Options: nosniff")
	}
	walk(parseHTML(t, r.body), func(n *html.Node) {
		if n.Data == "script" {
			if src, ok := attr(n, "src"); !ok || !strings.HasPrefix(src, "/") || strings.HasPrefix(src, "//") {
				t.Errorf("inline or foreign script (src %q)", src)
			}
			if n.FirstChild != nil {
				t.Error("script with inline content")
			}
		}
		if n.Data == "style" {
			t.Error("inline <style> element")
		}
		if n.Data == "link" {
			if href, _ := attr(n, "href"); !strings.HasPrefix(href, "/") || strings.HasPrefix(href, "//") {
				t.Errorf("foreign stylesheet %q", href)
			}
		}
		for _, a := range n.Attr {
			if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
				t.Errorf("inline %s attribute on <%s>", a.Key, n.Data)
			}
			if (a.Key == "href" || a.Key == "src" || a.Key == "action") && strings.Contains(a.Val, "://") {
				t.Errorf("<%s %s=%q> points to another origin", n.Data, a.Key, a.Val)
			}
		}
		if n.Data == "form" {
			if action, _ := attr(n, "action"); !strings.HasPrefix(action, "/") {
				t.Errorf("form action %q", action)
			}
		}
		if n.Data == "input" {
			typ, _ := attr(n, "type")
			id, _ := attr(n, "id")
			if typ != "hidden" && (id == "" || !hasLabel(parseHTML(t, r.body), id)) {
				t.Errorf("input %q has no label", id)
			}
		}
	})
}

func hasLabel(doc *html.Node, id string) bool {
	found := false
	walk(doc, func(n *html.Node) {
		if f, _ := attr(n, "for"); n.Data == "label" && f == id {
			found = true
		}
	})
	return found
}

func text(n *html.Node) string {
	var b strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c)
		}
	}
	rec(n)
	return b.String()
}

// TestPagesCSPOptions: the laxer policies a browser test asks for, on every
// kind of page, and a refusal of a policy the emulator does not know.
func TestPagesCSPOptions(t *testing.T) {
	for _, tc := range []struct {
		csp  CSP
		want string
	}{
		{CSPStrict, "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'"},
		{CSPUnsafeInline, "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'"},
		{CSPNone, ""},
	} {
		t.Run(string(tc.csp), func(t *testing.T) {
			s := start(t, Options{CSP: tc.csp})
			c, err := s.NewSession("john.doe")
			if err != nil {
				t.Fatal(err)
			}
			for _, cl := range []call{{path: loginPath}, {path: "/", cookies: []*http.Cookie{c}}, {path: "/no/such/page"}} {
				r := do(t, s, cl)
				got, present := r.header.Get("Content-Security-Policy"), len(r.header.Values("Content-Security-Policy")) > 0
				if got != tc.want || present != (tc.want != "") {
					t.Errorf("%s: CSP %q (present %v), want %q", cl.path, got, present, tc.want)
				}
			}
		})
	}
	if _, err := Start(Options{CSP: "lax"}); err == nil || !strings.Contains(err.Error(), `unknown CSP "lax"`) {
		t.Fatalf("Start with an unknown CSP: %v", err)
	}
}
