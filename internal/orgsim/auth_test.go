package orgsim

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestUnauthenticated(t *testing.T) {
	s := start(t, Options{})
	xhr := map[string]string{"X-Requested-With": "XMLHttpRequest"}
	for _, tc := range []struct {
		name   string
		c      call
		status int
		back   string // the redirectTo a browser is sent with
	}{
		{"browser is redirected", call{path: "/api/v1/profile"}, http.StatusFound, "/api/v1/profile"},
		{"query survives the redirect", call{path: "/api/v1/entities/users/john.doe/apiTokens?page=0&size=5"}, http.StatusFound, "/api/v1/entities/users/john.doe/apiTokens?page=0&size=5"},
		{"POST is redirected too", call{method: "POST", path: "/api/v1/entities/users/john.doe/apiTokens", body: tokenBody("x")}, http.StatusFound, "/api/v1/entities/users/john.doe/apiTokens"},
		{"unknown endpoint needs login first", call{path: "/api/v1/nothing-here"}, http.StatusFound, "/api/v1/nothing-here"},
		{"XMLHttpRequest gets 401", call{path: "/api/v1/profile", header: xhr}, http.StatusUnauthorized, ""},
		{"unknown session is no session", call{path: "/api/v1/profile", header: xhr, cookies: []*http.Cookie{{Name: SessionCookieName, Value: "forged"}}}, http.StatusUnauthorized, ""},
		{"Basic is not a bearer", call{path: "/api/v1/profile", header: map[string]string{"X-Requested-With": "XMLHttpRequest", "Authorization": "Basic YWRtaW46YWRtaW4="}}, http.StatusUnauthorized, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, s, tc.c)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d", r.status, tc.status)
			}
			if r.header.Get(traceHeader) == "" {
				t.Error("no trace id")
			}
			if tc.status == http.StatusUnauthorized {
				if string(r.body) != "/appLogin" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
					t.Errorf("401 body %q (%s), want text/plain /appLogin", r.body, r.header.Get("Content-Type"))
				}
				if r.header.Get("WWW-Authenticate") != "" {
					t.Error("a missing login is not a bad bearer")
				}
				return
			}
			loc, err := url.Parse(r.header.Get("Location"))
			if err != nil || loc.Path != loginPath || loc.Host != "" {
				t.Fatalf("Location %q", r.header.Get("Location"))
			}
			if got := loc.Query().Get("redirectTo"); got != tc.back {
				t.Errorf("redirectTo %q, want %q", got, tc.back)
			}
		})
	}
}

func TestBearerTokens(t *testing.T) {
	s := start(t, Options{})
	john := mustIssue(t, s, "john.doe", "laptop")
	raw, _ := base64.StdEncoding.DecodeString(john)
	if !strings.HasPrefix(string(raw), "john.doe:laptop:") {
		t.Fatalf("bearer decodes to %q", raw)
	}
	admin, _ := base64.StdEncoding.DecodeString(s.AdminToken())
	if !strings.HasPrefix(string(admin), "admin:"+BootstrapTokenID+":") {
		t.Fatalf("admin token decodes to %q", admin)
	}
	secret := strings.SplitN(string(raw), ":", 3)[2]
	forge := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		name   string
		bearer string
		ok     bool
	}{
		{"valid", john, true},
		{"without padding", strings.TrimRight(john, "="), true},
		{"lower-case scheme", "", true},
		{"wrong secret", forge("john.doe:laptop:" + secret + "x"), false},
		{"other user's token id", forge("jane.roe:laptop:" + secret), false},
		{"unknown token", forge("john.doe:desktop:" + secret), false},
		{"not base64", "%%%", false},
		{"two parts", forge("john.doe:laptop"), false},
		{"empty", " ", false},
		{"JWT-shaped garbage", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJqb2huLmRvZSJ9.c2ln", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := call{path: "/api/v1/profile", bearer: tc.bearer}
			if tc.name == "lower-case scheme" {
				c = call{path: "/api/v1/profile", header: map[string]string{"Authorization": "bearer " + john}}
			}
			r := do(t, s, c)
			if !tc.ok {
				wantInvalidBearer(t, r)
				return
			}
			if r.status != http.StatusOK || r.json(t)["userId"] != "john.doe" {
				t.Fatalf("status %d body %s", r.status, r.body)
			}
		})
	}
}

// A bad bearer is refused even when a valid session comes with it: the
// bearer is looked at first.
func TestBearerBeforeSession(t *testing.T) {
	s := start(t, Options{})
	c, err := s.NewSession("john.doe")
	if err != nil {
		t.Fatal(err)
	}
	wantInvalidBearer(t, do(t, s, call{path: "/api/v1/profile", bearer: "bm9wZQ==", cookies: []*http.Cookie{c}}))
	r := do(t, s, call{path: "/api/v1/profile", bearer: s.AdminToken(), cookies: []*http.Cookie{c}})
	if r.json(t)["userId"] != "admin" {
		t.Errorf("a valid bearer must win over the session: %s", r.body)
	}
	r = do(t, s, call{path: "/api/v1/profile", cookies: []*http.Cookie{c}})
	if r.status != http.StatusOK || r.json(t)["userId"] != "john.doe" {
		t.Errorf("session: %d %s", r.status, r.body)
	}
}

func TestProfile(t *testing.T) {
	s := start(t, Options{OrganizationID: "acme", OrganizationName: "Acme Corp"})
	for _, tc := range []struct {
		user, name string
		perms      []string
	}{
		{"john.doe", "John Doe", []string{PermissionSelfCreateToken}},
		{"jane.roe", "Jane Roe", []string{}},
		{"admin", "Admin", []string{PermissionManage}},
	} {
		t.Run(tc.user, func(t *testing.T) {
			r := do(t, s, call{path: "/api/v1/profile", bearer: mustIssue(t, s, tc.user, "p"), header: map[string]string{"Accept": mediaJSONAPI}})
			if r.status != 200 || r.header.Get("Content-Type") != mediaJSON {
				t.Fatalf("%d %s", r.status, r.header.Get("Content-Type"))
			}
			p := r.json(t)
			want := map[string]any{"userId": tc.user, "name": tc.name, "organizationId": "acme", "organizationName": "Acme Corp"}
			for k, v := range want {
				if p[k] != v {
					t.Errorf("%s = %v, want %v", k, p[k], v)
				}
			}
			perms, _ := p["permissions"].([]any)
			if len(perms) != len(tc.perms) || (len(perms) > 0 && perms[0] != tc.perms[0]) {
				t.Errorf("permissions %v, want %v", perms, tc.perms)
			}
			if got := dig(p, "links", "user"); got != s.URL()+"/api/v1/entities/users/"+tc.user {
				t.Errorf("links.user %v", got)
			}
			if got := dig(p, "links", "self"); got != s.URL()+"/api/v1/profile" {
				t.Errorf("links.self %v", got)
			}
		})
	}
}

func TestUsersEntity(t *testing.T) {
	s := start(t, Options{})
	john := mustIssue(t, s, "john.doe", "t")
	for _, tc := range []struct {
		name   string
		bearer string
		user   string
		status int
	}{
		{"self", john, "john.doe", 200},
		{"another user without MANAGE", john, "admin", 403},
		{"unknown user without MANAGE", john, "nobody", 403},
		{"admin reads anyone", s.AdminToken(), "jane.roe", 200},
		{"admin, unknown user", s.AdminToken(), "nobody", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, s, call{path: "/api/v1/entities/users/" + tc.user, bearer: tc.bearer})
			if tc.status != 200 {
				detail := wantProblem(t, r, tc.status)
				if tc.status == 403 && !strings.Contains(detail, PermissionManage) {
					t.Errorf("detail %q does not name MANAGE", detail)
				}
				return
			}
			if r.status != 200 || dig(r.json(t), "data", "id") != tc.user || dig(r.json(t), "data", "type") != "user" {
				t.Errorf("%d %s", r.status, r.body)
			}
		})
	}
}

func TestLegacyMode(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		name := map[bool]string{false: "current", true: "legacy"}[legacy]
		t.Run(name, func(t *testing.T) {
			s := start(t, Options{Legacy: legacy})
			admin := s.AdminToken()
			served, gone := "/api/v1", "/api"
			if legacy {
				served, gone = "/api", "/api/v1"
			}
			for _, path := range []string{"/profile", "/entities/users/john.doe/apiTokens", "/entities/users/john.doe", "/entities/jwks"} {
				wantProblem(t, do(t, s, call{path: gone + path, bearer: admin}), http.StatusNotFound)
				if r := do(t, s, call{path: served + path, bearer: admin}); r.status != http.StatusOK {
					t.Errorf("GET %s%s: %d", served, path, r.status)
				}
			}
			wantProblem(t, do(t, s, call{method: "POST", path: gone + "/entities/users/john.doe/apiTokens", bearer: admin, body: tokenBody("t")}), http.StatusNotFound)
			r := do(t, s, call{method: "POST", path: served + "/entities/users/john.doe/apiTokens", bearer: admin, body: tokenBody("t")})
			if r.status != http.StatusCreated {
				t.Fatalf("create: %d %s", r.status, r.body)
			}
			if got, want := dig(r.json(t), "links", "self"), s.URL()+served+"/entities/users/john.doe/apiTokens/t"; got != want {
				t.Errorf("links.self %v, want %v", got, want)
			}
			p := do(t, s, call{path: served + "/profile", bearer: admin}).json(t)
			if got := dig(p, "links", "self"); got != s.URL()+served+"/profile" {
				t.Errorf("profile links.self %v", got)
			}
			// Unauthenticated requests are still sent to the login page.
			if r := do(t, s, call{path: gone + "/profile"}); r.status != http.StatusFound {
				t.Errorf("unauthenticated %s/profile: %d", gone, r.status)
			}
		})
	}
}

func TestLatency(t *testing.T) {
	const delay = 150 * time.Millisecond
	s := start(t, Options{Latency: delay})
	for _, c := range []call{
		{path: "/api/v1/profile", bearer: s.AdminToken()},
		{path: "/api/v1/profile", bearer: "bad"},
		{path: "/api/v1/profile"},
	} {
		began := time.Now()
		do(t, s, c)
		if took := time.Since(began); took < delay {
			t.Errorf("%s answered after %v, want at least %v", c.path, took, delay)
		}
	}
	// The latency is for /api only: with an hour of it, the login page
	// still answers.
	slow := start(t, Options{Latency: time.Hour})
	answered := make(chan int, 1)
	go func() {
		resp, err := noRedirects.Get(slow.URL() + loginPath)
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	select {
	case status := <-answered:
		if status != http.StatusOK {
			t.Errorf("the login page answered %d", status)
		}
	case <-time.After(30 * time.Second):
		t.Error("the login page waited on the latency")
	}
}
