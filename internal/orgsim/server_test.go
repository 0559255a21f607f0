package orgsim

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gdlogin/gdlogin/internal/poll"
)

func TestStart(t *testing.T) {
	s := start(t, Options{})
	if !regexp.MustCompile(`^http://127\.0\.0\.1:[0-9]+$`).MatchString(s.URL()) {
		t.Errorf("URL %q", s.URL())
	}
	if s.AdminToken() == "" {
		t.Error("no admin token")
	}
	other := start(t, Options{})
	if other.AdminToken() == s.AdminToken() {
		t.Error("the bootstrap secret is not random per Start")
	}
	for _, tc := range []struct {
		name string
		o    Options
	}{
		{"all interfaces", Options{Addr: "0.0.0.0:0"}},
		{"no host", Options{Addr: ":0"}},
		{"localhost name", Options{Addr: "localhost:0"}},
		{"IPv6", Options{Addr: "[::1]:0"}},
		{"bad address", Options{Addr: "127.0.0.1"}},
		{"duplicate user", Options{Users: []User{{ID: "a"}, {ID: "a"}}}},
		{"user id with a colon", Options{Users: []User{{ID: "a:b"}}}},
		{"user id with a leading dot", Options{Users: []User{{ID: ".a"}}}},
		{"script over the API", Options{Scripts: []Script{{Path: "/api/v1/profile"}}}},
		{"script over the login page", Options{Scripts: []Script{{Path: loginPath}}}},
		{"relative script path", Options{Scripts: []Script{{Path: "x.js"}}}},
		{"protocol-relative script", Options{Scripts: []Script{{Path: "//cdn.example.com/x.js"}}}},
		{"duplicate script", Options{Scripts: []Script{{Path: "/a.js"}, {Path: "/a.js"}}}},
		{"negative latency", Options{Latency: -time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := Start(tc.o); err == nil {
				s.Close()
				t.Error("Start accepted it")
			}
		})
	}
}

func TestDemoUsers(t *testing.T) {
	users := DemoUsers()
	byID := map[string]User{}
	for _, u := range users {
		byID[u.ID] = u
	}
	for _, tc := range []struct {
		id, name, password string
		perms              string
	}{
		{"john.doe", "John Doe", "demo", PermissionSelfCreateToken},
		{"jane.roe", "Jane Roe", "demo", ""},
		{"admin", "Admin", "admin", PermissionManage},
	} {
		u, ok := byID[tc.id]
		if !ok || u.Name != tc.name || u.Password != tc.password || strings.Join(u.Permissions, ",") != tc.perms {
			t.Errorf("%s: %+v", tc.id, u)
		}
	}
	// Every demo user can sign in with the documented password.
	s := start(t, Options{})
	for _, u := range users {
		if r := login(t, s, "", u.ID, u.Password); r.status != http.StatusFound {
			t.Errorf("%s cannot sign in: %d", u.ID, r.status)
		}
	}
	// Without an "admin", the first MANAGE user holds the bootstrap token;
	// without MANAGE, nobody does.
	s2 := start(t, Options{Users: []User{{ID: "ops", Permissions: []string{PermissionManage}}}})
	if !s2.HasToken("ops", BootstrapTokenID) || s2.AdminToken() == "" {
		t.Error("ops does not hold the bootstrap token")
	}
	s3 := start(t, Options{Users: []User{{ID: "viewer"}}})
	if s3.AdminToken() != "" {
		t.Error("a bootstrap token without any MANAGE user")
	}
	if len(s3.TokenIDs("viewer")) != 0 || s3.TokenIDs("nobody") != nil {
		t.Error("TokenIDs of a user without tokens / an unknown user")
	}
}

func TestHelpers(t *testing.T) {
	s := start(t, Options{})
	if _, err := s.IssueToken("nobody", "t"); err == nil {
		t.Error("IssueToken for an unknown user")
	}
	if _, err := s.IssueToken("john.doe", ".t"); err == nil {
		t.Error("IssueToken with an invalid id")
	}
	mustIssue(t, s, "john.doe", "t")
	if _, err := s.IssueToken("john.doe", "t"); err == nil {
		t.Error("IssueToken with a duplicate id")
	}
	if _, err := s.NewSession("nobody"); err == nil {
		t.Error("NewSession for an unknown user")
	}
	defer func() {
		if recover() == nil {
			t.Error("SetPermissions of an unknown user did not panic")
		}
	}()
	s.SetPermissions("nobody", PermissionManage)
}

// Close gives up on requests waiting on the latency: each ends at once,
// with a 503 or with its connection closed, instead of after the minute it
// would wait.
func TestCloseDuringLatency(t *testing.T) {
	s, err := Start(Options{Latency: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	type answer struct {
		status int
		body   string
		err    error
	}
	done := make(chan answer, 1)
	go func() {
		resp, err := http.Get(s.URL() + "/api/v1/profile")
		if err != nil {
			done <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		done <- answer{status: resp.StatusCode, body: string(body)}
	}()
	poll.Until(t, "the request to reach the latency wait", func() bool { return s.delayed.Load() == 1 })
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case a := <-done:
		if a.err == nil && (a.status != http.StatusServiceUnavailable || !strings.Contains(a.body, "The server is shutting down.")) {
			t.Errorf("the waiting request got %d %q, want 503 shutting down or a closed connection", a.status, a.body)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a request outlived Close: it waited on the latency")
	}
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close waited on the latency")
	}
	// The handler itself stops waiting too (http.Server.Close does not
	// wait for handlers, so poll, bounded).
	poll.Until(t, "the handler to stop waiting on the latency", func() bool { return s.delayed.Load() == 0 })
}
