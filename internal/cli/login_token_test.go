package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/orgsim"
)

func startOrg(t *testing.T, o orgsim.Options) *orgsim.Server {
	t.Helper()
	org, err := orgsim.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { org.Close() })
	return org
}

// profileOf asks the emulator who a token belongs to, as any client would.
func profileOf(t *testing.T, org *orgsim.Server, token string) *gooddata.Profile {
	t.Helper()
	c, err := gooddata.New(org.URL(), token, gooddata.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Profile(context.Background())
	if err != nil {
		t.Fatalf("the token does not work: %v", err)
	}
	return p
}

// assertNoSecret fails when a secret shows up in a human-facing stream.
func assertNoSecret(t *testing.T, where, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Fatalf("%s contains a secret", where)
		}
	}
}

func TestTokenLoginFromStdinPrintsOneWorkingToken(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	admin := org.AdminToken()
	r := run(t, admin+"\n", nil, "login", org.URL(), "--method", "token", "--with-token", "--output", "token")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 1 || lines[0] == "" || lines[0] == admin {
		t.Fatalf("stdout %q is not exactly one new token", r.stdout)
	}
	p := profileOf(t, org, lines[0])
	if p.UserID != "admin" {
		t.Fatalf("new token belongs to %s", p.UserID)
	}
	wantID := "gdlogin-build-box-20261129T182200Z"
	if !org.HasToken("admin", wantID) {
		t.Fatalf("emulator has no token %s: %v", wantID, org.TokenIDs("admin"))
	}
	for _, want := range []string{"Using the existing token from stdin.", "Logged in to Example Analytics", wantID, "created and verified"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	assertNoSecret(t, "stderr", r.stderr, admin, lines[0])
}

func TestTokenLoginSourcesInOrder(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	john, err := org.IssueToken("john.doe", "johns-old-token")
	if err != nil {
		t.Fatal(err)
	}
	admin := org.AdminToken()
	cases := []struct {
		name, stdin string
		vars        map[string]string
		args        []string
		source      string
		owner       string
	}{
		{"stdin wins over env", john, map[string]string{"GDC_API_TOKEN": admin, "GOODDATA_TOKEN": admin}, []string{"--with-token"}, "stdin", "john.doe"},
		{"GDC_API_TOKEN before GOODDATA_TOKEN", "", map[string]string{"GDC_API_TOKEN": admin, "GOODDATA_TOKEN": john}, nil, "GDC_API_TOKEN", "admin"},
		{"GOODDATA_TOKEN last", "", map[string]string{"GOODDATA_TOKEN": john}, nil, "GOODDATA_TOKEN", "john.doe"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"login", org.URL(), "--method", "token", "--output", "token", "--token-id", fmt.Sprintf("order-%d", i)}, tc.args...)
			r := run(t, tc.stdin, tc.vars, args...)
			if r.code != 0 || !strings.Contains(r.stderr, "Using the existing token from "+tc.source+".") {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			if p := profileOf(t, org, strings.TrimSpace(r.stdout)); p.UserID != tc.owner {
				t.Fatalf("token owner %s, want %s", p.UserID, tc.owner)
			}
		})
	}
}

func TestTokenLoginForAnotherUser(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	r := run(t, "", map[string]string{"GDC_API_TOKEN": org.AdminToken()}, "login", org.URL(), "--method", "token", "--user", "john.doe", "--output", "json")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	var out struct{ Host, UserID, OrganizationName, TokenID, Token, Method string }
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("stdout is not JSON: %v", err)
	}
	if out.UserID != "john.doe" || out.Host != org.URL() || out.OrganizationName != "Example Analytics" || out.Method != "token" {
		t.Fatalf("json %+v", out)
	}
	if p := profileOf(t, org, out.Token); p.UserID != "john.doe" {
		t.Fatalf("owner %s", p.UserID)
	}
	if !strings.Contains(r.stderr, "John Doe (john.doe)") {
		t.Errorf("summary does not name the owner: %q", r.stderr)
	}

	// A non-admin cannot.
	john, _ := org.IssueToken("john.doe", "j1")
	r = run(t, "", map[string]string{"GDC_API_TOKEN": john}, "login", org.URL(), "--method", "token", "--user", "jane.roe")
	if r.code != ExitAuth || !strings.Contains(r.stderr, "MANAGE") || r.stdout != "" {
		t.Fatalf("non-admin --user: exit %d stderr %q", r.code, r.stderr)
	}
	// An unknown user is named.
	r = run(t, "", map[string]string{"GDC_API_TOKEN": org.AdminToken()}, "login", org.URL(), "--method", "token", "--user", "nobody")
	if r.code == 0 || !strings.Contains(r.stderr, `"nobody"`) || r.stdout != "" {
		t.Fatalf("unknown --user: exit %d stderr %q", r.code, r.stderr)
	}
}

func TestTokenLoginBadInputs(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	jane, err := org.IssueToken("jane.roe", "janes")
	if err != nil {
		t.Fatal(err)
	}
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><html><body>Corporate portal</body></html>")
	}))
	defer html.Close()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "http://" + l.Addr().String()
	l.Close()
	slow := startOrg(t, orgsim.Options{Latency: 3 * time.Second})

	bogus := "am9obi5kb2U6bm9wZTpub3BlLXNlY3JldA=="
	cases := []struct {
		name  string
		url   string
		token string
		extra []string
		code  int
		want  []string
	}{
		{"invalid token", org.URL(), bogus, nil, ExitAuth, []string{"token from GDC_API_TOKEN is not valid for this organization"}},
		{"org down", down, bogus, nil, ExitNetwork, []string{"refused the connection", strings.TrimPrefix(down, "http://"), "server running"}},
		{"html instead of json", html.URL, bogus, nil, ExitNetwork, []string{html.URL + "/api/v1/profile", "does not look like a GoodData API"}},
		{"missing permission", org.URL(), jane, nil, ExitAuth, []string{"Jane Roe (jane.roe) may not create API tokens", "SELF_CREATE_TOKEN", "admin"}},
		{"slow server", slow.URL(), slow.AdminToken(), []string{"--timeout", "300ms"}, ExitTimeout, []string{"gave up after 300ms", "--timeout"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"login", tc.url, "--method", "token"}, tc.extra...)
			r := run(t, "", map[string]string{"GDC_API_TOKEN": tc.token}, args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d", r.code, tc.code)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q", w)
				}
			}
			assertNoSecret(t, "stderr", r.stderr, tc.token)
		})
	}
	if ids := org.TokenIDs("jane.roe"); len(ids) != 1 {
		t.Errorf("jane.roe's tokens changed: %v", ids)
	}
}

func TestTokenLoginDuplicateIDGetsSuffix(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	if _, err := org.IssueToken("admin", "ci-token"); err != nil {
		t.Fatal(err)
	}
	r := run(t, org.AdminToken(), nil, "login", org.URL(), "--method", "token", "--with-token", "--token-id", "ci-token", "--no-save")
	if r.code != 0 || !strings.Contains(r.stderr, `Token id "ci-token" was taken; created "ci-token-`) {
		t.Fatalf("exit %d stderr %q", r.code, r.stderr)
	}
	ids := org.TokenIDs("admin")
	var suffixed string
	for _, id := range ids {
		if strings.HasPrefix(id, "ci-token-") {
			suffixed = id
		}
	}
	if suffixed == "" || !strings.Contains(r.stderr, suffixed) {
		t.Fatalf("tokens %v", ids)
	}
	if p := profileOf(t, org, strings.TrimSpace(r.stdout)); p.UserID != "admin" {
		t.Fatal("wrong owner")
	}
}

func TestTokenLoginLegacyServer(t *testing.T) {
	org := startOrg(t, orgsim.Options{Legacy: true})
	r := run(t, "", map[string]string{"GOODDATA_TOKEN": org.AdminToken()}, "login", org.URL()+"/some/page/", "--method", "token", "--output", "none", "--verbose")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("exit %d stdout %q", r.code, r.stdout)
	}
	for _, want := range []string{"ignoring the path", "GET " + org.URL() + "/api/v1/profile -> 404", "POST " + org.URL() + "/api/entities/users/admin/apiTokens -> 201"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	assertNoSecret(t, "stderr", r.stderr, org.AdminToken())
}

func TestTokenLoginEnvOutputWorksInBash(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	r := run(t, org.AdminToken(), nil, "login", org.URL(), "--method", "token", "--with-token", "--output", "env", "--quiet")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d stderr %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "export GOODDATA_HOST='"+org.URL()+"'") || strings.Count(r.stdout, "export ") != 5 || !strings.Contains(r.stdout, "export GDLOGIN_TOKEN_DEFAULT=") {
		t.Fatalf("stdout %q", r.stdout)
	}
	bash := requireTool(t, "bash")
	cmd := exec.Command(bash, "-c", `eval "$EXPORTS"; printf '%s\n%s\n%s' "$GOODDATA_HOST" "$GOODDATA_TOKEN" "$GOODDATA_API_TOKEN"`)
	cmd.Env = []string{"EXPORTS=" + r.stdout}
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(string(out), "\n")
	if len(got) != 3 || got[0] != org.URL() || got[1] != got[2] {
		t.Fatalf("bash saw %q", got)
	}
	if p := profileOf(t, org, got[1]); p.UserID != "admin" {
		t.Fatalf("exported token belongs to %s", p.UserID)
	}
}

func TestDemoTokenMethod(t *testing.T) {
	r := run(t, "", nil, "demo", "--method", "token")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	tok := strings.TrimSpace(r.stdout)
	if tok == "" || strings.Contains(tok, "\n") {
		t.Fatalf("stdout %q", r.stdout)
	}
	for _, want := range []string{"Started the emulated organization", "the emulated organization's bootstrap token", "John Doe (john.doe)", "created and verified"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	assertNoSecret(t, "stderr", r.stderr, tok)
}

// TestLoginSavesThenTokenPrintsIt: a default login saves and prints
// nothing; `gdlogin token` then prints the saved token; a second login
// without ORG_URL reuses the profile's organization.
func TestLoginSavesThenTokenPrintsIt(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	vars := map[string]string{EnvConfigDir: t.TempDir(), "GDC_API_TOKEN": org.AdminToken()}
	r := run(t, "", vars, "login", org.URL(), "--method", "token", "--user", "john.doe", "--profile", "work")
	if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, `Saved as profile "work"`) {
		t.Fatalf("login: exit %d stdout %d bytes stderr %q", r.code, len(r.stdout), r.stderr)
	}
	r = run(t, "", map[string]string{EnvConfigDir: vars[EnvConfigDir]}, "token", "--profile", "work")
	tok := strings.TrimSpace(r.stdout)
	if r.code != 0 || profileOf(t, org, tok).UserID != "john.doe" {
		t.Fatalf("token: exit %d", r.code)
	}
	// Again, from the saved profile alone: the token method finds the saved
	// token last in its order of sources and renews it.
	r = run(t, "", map[string]string{EnvConfigDir: vars[EnvConfigDir], "GDLOGIN_PROFILE": "work"}, "login", "--token-id", "renewed")
	if r.code != 0 || !strings.Contains(r.stderr, `Logging in again as profile "work": `+org.URL()+" with the token method") ||
		!strings.Contains(r.stderr, `Using the existing token from the saved profile "work".`) {
		t.Fatalf("re-login: exit %d stderr %q", r.code, r.stderr)
	}
	if !org.HasToken("john.doe", "renewed") {
		t.Fatalf("tokens %v", org.TokenIDs("john.doe"))
	}
	assertNoSecret(t, "stderr", r.stderr, tok, org.AdminToken())
}

// TestFailedLoginKeepsTheSavedProfile: a login that fails leaves the
// working profile as it was.
func TestFailedLoginKeepsTheSavedProfile(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	dir := t.TempDir()
	r := run(t, "", map[string]string{EnvConfigDir: dir, "GDC_API_TOKEN": org.AdminToken()}, "login", org.URL(), "--method", "token", "--token-id", "first")
	if r.code != 0 {
		t.Fatalf("first login: exit %d", r.code)
	}
	before := run(t, "", map[string]string{EnvConfigDir: dir}, "token").stdout
	r = run(t, "", map[string]string{EnvConfigDir: dir, "GDC_API_TOKEN": "bm9wZTpub3BlOm5vcGU="}, "login", org.URL(), "--method", "token", "--token-id", "second")
	if r.code != ExitAuth {
		t.Fatalf("bad login: exit %d", r.code)
	}
	after := run(t, "", map[string]string{EnvConfigDir: dir}, "token").stdout
	if before == "" || before != after || profileOf(t, org, strings.TrimSpace(after)).UserID != "admin" {
		t.Fatal("the failed login changed the saved token")
	}
}
