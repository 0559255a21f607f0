package orgsim

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestRequestLog(t *testing.T) {
	s := start(t, Options{})
	john := mustIssue(t, s, "john.doe", "laptop")
	session, err := s.NewSession("jane.roe")
	if err != nil {
		t.Fatal(err)
	}
	s.ResetRequests()

	calls := []call{
		{path: "/api/v1/profile", bearer: john, header: map[string]string{"X-Requested-With": "XMLHttpRequest"}},
		{path: "/api/v1/entities/users/john.doe/apiTokens?page=0&size=5", bearer: john},
		{path: "/api/v1/profile", bearer: "Zm9vOmJhcjpiYXo="},
		{path: "/api/v1/profile", cookies: []*http.Cookie{session}},
		{path: "/api/v1/profile"},
		{method: "POST", path: "/api/v1/entities/users/jane.roe/apiTokens", cookies: []*http.Cookie{session}, body: tokenBody("x")},
		{path: "/", cookies: []*http.Cookie{session}},
		{path: loginPath},
	}
	want := []struct {
		auth   string
		status int
		trace  bool
	}{
		{"bearer:john.doe", 200, true},
		{"bearer:john.doe", 200, true},
		{"invalid", 401, false},
		{"session:jane.roe", 200, true},
		{"none", 302, true},
		{"session:jane.roe", 403, true},
		{"session:jane.roe", 200, true},
		{"none", 200, true},
	}
	var traces []string
	for _, c := range calls {
		traces = append(traces, do(t, s, c).header.Get(traceHeader))
	}
	log := s.Requests()
	if len(log) != len(calls) {
		t.Fatalf("log has %d entries, want %d", len(log), len(calls))
	}
	for i, e := range log {
		c, w := calls[i], want[i]
		method := c.method
		if method == "" {
			method = "GET"
		}
		path, query, _ := strings.Cut(c.path, "?")
		if e.Method != method || e.Path != path || e.RawQuery != query {
			t.Errorf("#%d: %s %s ? %s, want %s %s ? %s", i, e.Method, e.Path, e.RawQuery, method, path, query)
		}
		if e.Auth != w.auth || e.Status != w.status {
			t.Errorf("#%d %s: auth %q status %d, want %q %d", i, c.path, e.Auth, e.Status, w.auth, w.status)
		}
		if e.TraceID != traces[i] || (e.TraceID != "") != w.trace {
			t.Errorf("#%d: trace id %q, answer had %q", i, e.TraceID, traces[i])
		}
		if c.bearer != "" && e.Header.Get("Authorization") != Redacted {
			t.Errorf("#%d: Authorization %q not redacted", i, e.Header.Get("Authorization"))
		}
		if c.cookies != nil && e.Header.Get("Cookie") != Redacted {
			t.Errorf("#%d: Cookie %q not redacted", i, e.Header.Get("Cookie"))
		}
	}
	if log[0].Header.Get("X-Requested-With") != "XMLHttpRequest" {
		t.Error("other headers are not kept")
	}
	dump := fmt.Sprintf("%#v", log)
	for _, secret := range []string{john, session.Value, "Zm9vOmJhcjpiYXo="} {
		if strings.Contains(dump, secret) {
			t.Errorf("the log contains a credential: %s", secret)
		}
	}

	// The log is a copy.
	log[0].Header.Set("Authorization", "changed")
	if s.Requests()[0].Header.Get("Authorization") != Redacted {
		t.Error("Requests returned the log itself")
	}
	s.ResetRequests()
	if n := len(s.Requests()); n != 0 {
		t.Errorf("after ResetRequests the log has %d entries", n)
	}
}

func TestTraceIDs(t *testing.T) {
	s := start(t, Options{})
	seen := map[string]bool{}
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	for range 20 {
		id := do(t, s, call{path: "/api/v1/profile", bearer: s.AdminToken()}).header.Get(traceHeader)
		if !hex32.MatchString(id) || seen[id] {
			t.Fatalf("trace id %q is not a fresh 128-bit hex id", id)
		}
		seen[id] = true
	}
}

// Handler works without the listener, with links built from the Host.
func TestHandlerWithHTTPTest(t *testing.T) {
	s, err := newServer(Options{})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "http://analytics.example.com/api/v1/entities/users/john.doe/apiTokens", strings.NewReader(`{"data":{"id":"t1","type":"apiToken"}}`))
	req.Header.Set("Content-Type", mediaJSON)
	req.Header.Set("Accept", mediaJSON)
	req.Header.Set("Authorization", "Bearer "+s.AdminToken())
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, req)
	if w.Code != http.StatusCreated || !strings.Contains(w.Body.String(), `"self":"http://analytics.example.com/api/v1/entities/users/john.doe/apiTokens/t1"`) {
		t.Errorf("%d %s", w.Code, w.Body)
	}
	if s.URL() != "" {
		t.Errorf("URL of a server that does not listen: %q", s.URL())
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close without a listener: %v", err)
	}
}
