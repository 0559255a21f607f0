package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gdlogin/gdlogin/internal/orgsim"
)

// Values a hostile organization sends, and how gdlogin must print them:
// every control, C1 and bidi character as a visible escape, so that no
// name can rewrite the "Logged in … as …" line (SPEC 3.10).
const (
	hostileUser    = "Ann\x1b]0;owned\x07\r\x1b[KAdmin\u009b2J\u202eeoD"
	hostileUserOut = `Ann\x1b]0;owned\x07\r\x1b[KAdmin\u009b2J\u202eeoD`
	hostileOrg     = "Acme\x1b[2J\u2066\nLogged in to Bank"
	hostileOrgOut  = `Acme\x1b[2J\u2066\nLogged in to Bank`
	hostileTokenID = "gdlogin-x\x1b]8;;https://evil.example.com\x1b\\y"
)

// assertNoRawControls fails when out holds a byte or rune that a terminal
// would obey: ESC, BEL, CR, C1 controls, bidi overrides and isolates.
func assertNoRawControls(t *testing.T, where, out string) {
	t.Helper()
	for _, r := range out {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r <= 0x9f) ||
			(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			t.Errorf("%s holds the raw control %U:\n%q", where, r, out)
			return
		}
	}
}

// hostileFront puts a handler in front of the emulated organization that
// adds a token with a hostile id to every token list, as a hostile
// organization could.
func hostileFront(t *testing.T, org *orgsim.Server) string {
	t.Helper()
	target, err := url.Parse(org.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(target) },
		ModifyResponse: func(res *http.Response) error {
			if res.Request.Method != http.MethodGet || !strings.HasSuffix(res.Request.URL.Path, "/apiTokens") || res.StatusCode != http.StatusOK {
				return nil
			}
			body, err := io.ReadAll(res.Body)
			if err != nil {
				return err
			}
			var doc map[string]any
			if err := json.Unmarshal(body, &doc); err != nil {
				return err
			}
			data, _ := doc["data"].([]any)
			doc["data"] = append(data, map[string]any{"id": hostileTokenID, "type": "apiToken", "attributes": map[string]any{}})
			body, err = json.Marshal(doc)
			if err != nil {
				return err
			}
			res.Body = io.NopCloser(bytes.NewReader(body))
			res.ContentLength = int64(len(body))
			res.Header.Set("Content-Length", strconv.Itoa(len(body)))
			return nil
		},
	}
	front := httptest.NewServer(proxy)
	t.Cleanup(front.Close)
	return front.URL
}

// TestHostileOrganizationTextIsEscapedOnEveryPrintedLine: the login line,
// the status table, the token list and the JSON output, each checked
// byte for byte.
func TestHostileOrganizationTextIsEscapedOnEveryPrintedLine(t *testing.T) {
	users := orgsim.DemoUsers()
	for i := range users {
		if users[i].ID == "admin" {
			users[i].Name = hostileUser
		}
	}
	org := startOrg(t, orgsim.Options{Users: users, OrganizationName: hostileOrg})
	host := hostileFront(t, org)
	sb := newSandbox(t, newMemKeyring(), 0)

	r := run(t, org.AdminToken()+"\n", sb.env(), "login", host, "--method", "token", "--with-token", "--output", "token")
	if r.code != 0 {
		t.Fatalf("login exit %d:\n%s", r.code, r.stderr)
	}
	wantLine := "Logged in to " + hostileOrgOut + " (" + host + ") as " + hostileUserOut +
		` (admin): API token "gdlogin-build-box-20261129T182200Z" created and verified.` + "\n"
	if !strings.Contains(r.stderr, wantLine) {
		t.Errorf("login stderr lacks the line\n%q\nin\n%q", wantLine, r.stderr)
	}
	assertNoRawControls(t, "login stderr", r.stderr)

	// A config file edited by someone else: the token id it names is
	// printed escaped too.
	cfg, err := os.ReadFile(sb.configPath())
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(cfg), "gdlogin-build-box-20261129T182200Z", `"gdlogin-\e[2Jb"`, 1)
	if edited == string(cfg) {
		t.Fatalf("config has no token id to edit:\n%s", cfg)
	}
	if err := os.WriteFile(sb.configPath(), []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}

	r = run(t, "", sb.env(), "status")
	if r.code != 0 {
		t.Fatalf("status exit %d:\n%s", r.code, r.stderr)
	}
	lines := strings.Split(r.stdout, "\n")
	if len(lines) != 3 || lines[2] != "" {
		t.Fatalf("status stdout is not a header and one row:\n%q", r.stdout)
	}
	wantRow := []string{"default*", host, hostileUserOut + " (admin)", hostileOrgOut, `gdlogin-\x1b[2Jb`, "just now", "valid"}
	if got := regexp.MustCompile(`  +`).Split(strings.TrimSpace(lines[1]), -1); strings.Join(got, "|") != strings.Join(wantRow, "|") {
		t.Errorf("status row\n got %q\nwant %q", got, wantRow)
	}
	assertNoRawControls(t, "status stdout", r.stdout)
	assertNoRawControls(t, "status stderr", r.stderr)

	// JSON keeps the real values: JSON escapes them itself.
	r = run(t, "", sb.env(), "status", "--output", "json")
	if r.code != 0 {
		t.Fatalf("status --output json exit %d:\n%s", r.code, r.stderr)
	}
	assertNoRawControls(t, "status JSON", r.stdout)
	var rows []profileStatus
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("status JSON %q: %v", r.stdout, err)
	}
	if len(rows) != 1 || rows[0].UserName != hostileUser || rows[0].OrganizationName != hostileOrg || rows[0].TokenID != "gdlogin-\x1b[2Jb" {
		t.Errorf("status JSON does not keep the real values: %+v", rows)
	}

	r = run(t, "", sb.env(), "tokens", "list")
	if r.code != 0 {
		t.Fatalf("tokens list exit %d:\n%s", r.code, r.stderr)
	}
	wantTokenRow := `gdlogin-x\x1b]8;;https://evil.example.com\x1b\y`
	found := false
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.TrimSpace(l) == wantTokenRow {
			found = true
		}
	}
	if !found {
		t.Errorf("tokens list has no row %q:\n%q", wantTokenRow, r.stdout)
	}
	assertNoRawControls(t, "tokens list stdout", r.stdout)
	assertNoRawControls(t, "tokens list stderr", r.stderr)
}

// TestHostileProblemReachesTheErrorLineEscaped: the org's problem+json
// title, detail and trace id on the error: line.
func TestHostileProblemReachesTheErrorLineEscaped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("X-GDC-TRACE-ID", "t\u009b2J")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"title":"Unauthorized\u001b]0;owned\u0007","detail":"no\r\u001b[Kway \u202eevil","status":500}`))
	}))
	t.Cleanup(srv.Close)
	r := run(t, "c2VjcmV0\n", nil, "login", srv.URL, "--method", "token", "--with-token")
	if r.code != ExitNetwork {
		t.Fatalf("exit %d, want %d:\n%s", r.code, ExitNetwork, r.stderr)
	}
	assertNoRawControls(t, "stderr", r.stderr)
	var errLine string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.HasPrefix(l, "error: ") {
			errLine = l
		}
	}
	want := "error: read profile: GET " + srv.URL + "/api/v1/profile answered 500 Internal Server Error: " +
		`Unauthorized\x1b]0;owned\x07: no\r\x1b[Kway \u202eevil (trace id t\u009b2J)`
	if errLine != want {
		t.Errorf("error line\n got %q\nwant %q", errLine, want)
	}
}
