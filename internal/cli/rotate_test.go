package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gdlogin/gdlogin/internal/orgsim"
	"github.com/gdlogin/gdlogin/internal/store"
)

// faultyOrg serves the emulator through a front that answers the requests
// refuse picks with a 500 problem, as a failing server would.
func faultyOrg(t *testing.T, org *orgsim.Server, refuse func(r *http.Request) bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if refuse(r) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.Header().Set("X-GDC-TRACE-ID", "trace-fault")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"title":"Internal Server Error","status":500,"detail":"injected failure","traceId":"trace-fault"}`)
			return
		}
		org.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// savedTokenID reads the token id of a profile from the store.
func savedTokenID(t *testing.T, sb *sandbox, name string) string {
	t.Helper()
	st, err := store.Open(store.Options{ConfigDir: sb.dir, Keyring: absentKeyring{}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return p.TokenID
}

// workingToken checks that the profile's saved token works for user and
// returns it.
func workingToken(t *testing.T, org *orgsim.Server, sb *sandbox, profile, user string) string {
	t.Helper()
	r := runPrivate(t, "", sb.vars, false, "token", "--profile", profile)
	if r.code != 0 {
		t.Fatalf("no saved token: exit %d", r.code)
	}
	tok := strings.TrimSpace(r.stdout)
	if p := profileOf(t, org, tok); p.UserID != user {
		t.Fatalf("saved token belongs to %s", p.UserID)
	}
	return tok
}

func TestRotateReplacesTheToken(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	old := sb.save(org, "default", "john.doe", "johns-laptop", 0)

	r := runPrivate(t, "", sb.vars, false, "rotate", "--output", "json")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	var out struct{ Host, UserID, UserName, TokenID, Token, Method string }
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	newID := "gdlogin-build-box-20261129T182200Z"
	if out.TokenID != newID || out.UserID != "john.doe" || out.UserName != "John Doe" || out.Host != org.URL() || out.Token == old {
		t.Fatalf("output %+v", out)
	}
	if got := workingToken(t, org, sb, "default", "john.doe"); got != out.Token {
		t.Fatal("the saved token is not the printed one")
	}
	if ids := org.TokenIDs("john.doe"); !slices.Equal(ids, []string{newID}) {
		t.Fatalf("server tokens %v, want only the new one", ids)
	}
	mustContain(t, "stderr", r.stderr, `Rotated profile "default" on Example Analytics (`+org.URL()+`): API token "`+newID+`" replaces "johns-laptop", which is deleted on the server.`)
	assertNoSecret(t, "stderr", r.stderr, old, out.Token)

	// --token-id, and the default output is nothing.
	r = runPrivate(t, "", sb.vars, false, "rotate", "--token-id", "johns-2027")
	if r.code != 0 || r.stdout != "" || savedTokenID(t, sb, "default") != "johns-2027" {
		t.Fatalf("--token-id: exit %d", r.code)
	}
	if ids := org.TokenIDs("john.doe"); !slices.Equal(ids, []string{"johns-2027"}) {
		t.Fatalf("server tokens %v", ids)
	}
	if r := run(t, "", sb.vars, "rotate", "--token-id", ".bad"); r.code != ExitUsage {
		t.Fatalf("bad --token-id: exit %d", r.code)
	}
}

func TestRotateFailsMidway(t *testing.T) {
	tokensPath := "/api/v1/entities/users/john.doe/apiTokens"
	cases := []struct {
		name string
		// refuse picks the requests the server fails; old is the old token's id.
		refuse func(r *http.Request, old string) bool
		code   int
		stderr []string
		// rotated: the profile holds the new token (else the old one).
		rotated bool
	}{
		{
			name:   "create refused",
			refuse: func(r *http.Request, _ string) bool { return r.Method == http.MethodPost },
			code:   ExitNetwork,
			stderr: []string{"error: could not create the new token: ", "500", "injected failure", "trace-fault", `nothing changed, profile "default" still uses API token "johns-laptop"`},
		},
		{
			name: "new token not verified",
			refuse: func(r *http.Request, old string) bool {
				return r.URL.Path == "/api/v1/profile" && !strings.Contains(r.Header.Get("Authorization"), old)
			},
			code:   ExitNetwork,
			stderr: []string{"error: verify the new token: ", `nothing changed, profile "default" still uses API token "johns-laptop"`},
		},
		{
			name: "old token delete refused",
			refuse: func(r *http.Request, _ string) bool {
				return r.Method == http.MethodDelete && r.URL.Path == tokensPath+"/johns-laptop"
			},
			code:    ExitNetwork,
			rotated: true,
			stderr: []string{`error: profile "default" now uses the new API token "gdlogin-build-box-20261129T182200Z", but the old token "johns-laptop" could not be deleted on the server`,
				"injected failure", "hint: the old token still works until it is deleted: gdlogin tokens delete johns-laptop"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			org := startOrg(t, orgsim.Options{})
			old, err := org.IssueToken("john.doe", "johns-laptop")
			if err != nil {
				t.Fatal(err)
			}
			front := faultyOrg(t, org, func(r *http.Request) bool { return tc.refuse(r, old) })
			sb := newSandbox(t, newMemKeyring(), 0)
			sb.saveToken(front.URL, "default", *profileOf(t, org, old), "johns-laptop", old, 0)

			r := runPrivate(t, "", sb.vars, false, "rotate", "--output", "token")
			if r.code != tc.code {
				t.Errorf("exit %d, want %d", r.code, tc.code)
			}
			mustContain(t, "stderr", r.stderr, tc.stderr...)
			tok := workingToken(t, org, sb, "default", "john.doe")
			ids := org.TokenIDs("john.doe")
			if tc.rotated {
				if tok == old || r.stdout != tok+"\n" {
					t.Fatal("the new token is not saved and printed")
				}
				if !slices.Equal(ids, []string{"gdlogin-build-box-20261129T182200Z", "johns-laptop"}) {
					t.Fatalf("server tokens %v", ids)
				}
			} else {
				if tok != old || r.stdout != "" {
					t.Fatal("the profile changed, or a token was printed")
				}
				if !slices.Equal(ids, []string{"johns-laptop"}) {
					t.Fatalf("server tokens %v: a created token was left behind", ids)
				}
			}
			assertNoSecret(t, "stderr", r.stderr, old, tok)
		})
	}
}

func TestRotateSaveFailsKeepsTheOldToken(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	kr := newMemKeyring()
	sb := newSandbox(t, kr, 0)
	old := sb.save(org, "default", "john.doe", "johns-laptop", 0)
	kr.FailSet(errNoKeyring) // the keyring refuses new items from now on

	r := runPrivate(t, "", sb.vars, false, "rotate", "--store", "keyring", "--output", "token")
	if r.code != ExitError || r.stdout != "" {
		t.Fatalf("exit %d, %d bytes on stdout", r.code, len(r.stdout))
	}
	mustContain(t, "stderr", r.stderr, "error: could not save the new token: ", "keyring secret store was requested",
		`the new token "gdlogin-build-box-20261129T182200Z" was deleted again on the server`,
		`profile "default" still uses API token "johns-laptop"`, "hint: ", "--store file")
	if tok := workingToken(t, org, sb, "default", "john.doe"); tok != old {
		t.Fatal("the profile changed")
	}
	if ids := org.TokenIDs("john.doe"); !slices.Equal(ids, []string{"johns-laptop"}) {
		t.Fatalf("server tokens %v", ids)
	}
}

func TestRotateWithADeadToken(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	sb.save(org, "default", "john.doe", "johns-laptop", 0)
	deleteOnEmulator(t, org, "john.doe", "johns-laptop")
	r := run(t, "", sb.vars, "rotate")
	if r.code != ExitAuth {
		t.Fatalf("exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr, "error: the saved token does not work", "hint: the saved token no longer works, so it cannot create a new one; log in again: gdlogin login "+org.URL())
	if len(org.TokenIDs("john.doe")) != 0 {
		t.Fatal("a token was created")
	}
}
