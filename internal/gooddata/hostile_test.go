package gooddata

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestCreateTokenRefusesAServerTokenIDOutsideThePattern(t *testing.T) {
	for _, tc := range []struct{ name, id, quoted string }{
		{"OSC window title", "gdlogin\x1b]0;owned\x07", `"gdlogin\x1b]0;owned\a"`},
		{"C1 CSI", "gdlogin\u009b2J", `"gdlogin\u009b2J"`},
		{"new line", "a\nLogged in as admin", `"a\nLogged in as admin"`},
		{"leading dot", ".hidden", `".hidden"`},
		{"slash", "../../etc", `"../../etc"`},
		{"too long", strings.Repeat("a", 256), `"` + strings.Repeat("a", 256) + `"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var deleted []string
			c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.URL.Path == "/api/v1/profile":
					profileHandler(PermSelfCreateToken)(w, r)
				case r.Method == http.MethodPost:
					writeJSON(w, http.StatusCreated, MediaJSONAPI, map[string]any{"data": map[string]any{
						"id": tc.id, "type": "apiToken", "attributes": map[string]any{"bearerToken": "c2VjcmV0"}}})
				case r.Method == http.MethodDelete:
					mu.Lock()
					deleted = append(deleted, r.URL.Path)
					mu.Unlock()
					w.WriteHeader(http.StatusNoContent)
				default:
					t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
				}
			}))
			tok, err := c.CreateToken(context.Background(), "john.doe", "gdlogin-laptop")
			if tok != nil {
				t.Fatalf("CreateToken returned %+v for the id %q", tok, tc.id)
			}
			var ae *APIError
			if !errors.As(err, &ae) || ae.Kind != KindNotGoodData {
				t.Fatalf("err = %v, want a KindNotGoodData *APIError", err)
			}
			want := "create API token: " + ae.URL + " does not look like a GoodData API: the answer names the new token " + tc.quoted +
				", which is not a valid token id; gdlogin refused the token and deleted the token gdlogin-laptop it had asked for (trace id trace-123)"
			if err.Error() != want {
				t.Errorf("error\n got %q\nwant %q", err.Error(), want)
			}
			if strings.Contains(err.Error(), "c2VjcmV0") {
				t.Error("the error shows the bearer token")
			}
			mu.Lock()
			defer mu.Unlock()
			if len(deleted) != 1 || deleted[0] != "/api/v1/entities/users/john.doe/apiTokens/gdlogin-laptop" {
				t.Errorf("deleted %q, want the requested token", deleted)
			}
		})
	}
}

func TestAPIErrorTextIsCleanedForTheTerminal(t *testing.T) {
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/profile" {
			profileHandler(PermSelfCreateToken)(w, r)
			return
		}
		w.Header().Set("Content-Type", MediaProblem)
		w.Header().Set("X-GDC-TRACE-ID", "t\u009b2J")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"title":"Forbidden\u001b]0;owned\u0007","detail":"no\r\u001b[Kway \u009b2J \u202eevil","traceId":"ignored"}`))
	}))
	_, err := c.CreateToken(context.Background(), "john.doe", "gdlogin-laptop")
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v", err)
	}
	// The fields keep the real values (JSON output shows them escaped).
	if ae.Title != "Forbidden\x1b]0;owned\a" || ae.Detail != "no\r\x1b[Kway \u009b2J \u202eevil" || ae.TraceID != "t\u009b2J" {
		t.Errorf("fields %q %q %q", ae.Title, ae.Detail, ae.TraceID)
	}
	want := `create API token: POST ` + ae.URL + ` answered 403 Forbidden: Forbidden\x1b]0;owned\x07: no\r\x1b[Kway \u009b2J \u202eevil (trace id t\u009b2J)`
	if err.Error() != want {
		t.Errorf("error\n got %q\nwant %q", err.Error(), want)
	}
}

func TestParseProblem(t *testing.T) {
	long := strings.Repeat("é", 600) // 1200 bytes
	for _, tc := range []struct {
		name, ct, body string
		want           Problem
		ok             bool
	}{
		{"problem", MediaProblem, `{"title":"Bad Request","status":400,"detail":"Invalid id","traceId":"abc"}`, Problem{"Bad Request", "Invalid id", "abc"}, true},
		{"json with charset", "application/json; charset=utf-8", `{"title":"T"}`, Problem{Title: "T"}, true},
		{"json:api", MediaJSONAPI, `{"detail":"D"}`, Problem{Detail: "D"}, true},
		{"html", "text/html", `{"title":"T"}`, Problem{}, false},
		{"empty", MediaProblem, ``, Problem{}, false},
		{"not json", MediaProblem, `<html>`, Problem{}, false},
		{"array", MediaProblem, `[1]`, Problem{}, false},
		{"wrong types", MediaProblem, `{"title":1}`, Problem{}, false},
		{"long field cut at a rune", MediaProblem, `{"detail":"` + long + `"}`, Problem{Detail: long[:1024] + "…"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseProblem(tc.ct, []byte(tc.body))
			if ok != tc.ok || got != tc.want {
				t.Errorf("ParseProblem = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
