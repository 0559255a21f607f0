package cli

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/httpclient"
	"github.com/gdlogin/gdlogin/internal/orgsim"
	"github.com/gdlogin/gdlogin/internal/testca"
)

// The tests' organization host name, testca.Host, resolves to 127.0.0.1
// for gdlogin's HTTP clients; every other name resolves as usual.
func init() {
	loopback := testca.LoopbackDialContext(testca.Host)
	var d net.Dialer
	dialHook = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, _, err := net.SplitHostPort(addr); err == nil && host == testca.Host {
			return loopback(ctx, network, addr)
		}
		return d.DialContext(ctx, network, addr)
	}
}

// privateCAOrg is an organization on https://127.0.0.1:PORT whose
// certificate is signed by a CA that no system trusts, and a working
// directory holding that CA as corp.pem (the tests pass it relative, as a
// user does).
func privateCAOrg(t *testing.T) (org *orgsim.Server, caFile string) {
	t.Helper()
	ca := testca.ForTest(t)
	org = startOrg(t, orgsim.Options{TLS: ca.ServerConfig()})
	dir := t.TempDir()
	pem, err := os.ReadFile(ca.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	caFile = filepath.Join(dir, "corp.pem")
	if err := os.WriteFile(caFile, pem, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	return org, caFile
}

// TestCACertIsRememberedPerProfile: right after login --ca-cert corp.pem,
// every command of the profile trusts the same CA without the flag.
func TestCACertIsRememberedPerProfile(t *testing.T) {
	org, caFile := privateCAOrg(t)
	sb := newSandbox(t, newMemKeyring(), 0)
	vars := sb.env("GDC_API_TOKEN", org.AdminToken())

	r := run(t, "", vars, "login", org.URL(), "--method", "token", "--ca-cert", "corp.pem")
	if r.code != 0 {
		t.Fatalf("login exit %d\n%s", r.code, r.stderr)
	}
	mustContain(t, "config.yaml", readFile(t, sb.configPath()), "ca_cert: "+caFile+"\n")

	// The regression: a plain status used to say INVALID (unreachable), exit 4.
	r = run(t, "", sb.env(), "status")
	if r.code != 0 || !strings.Contains(r.stdout, "valid") || strings.Contains(r.stdout, "INVALID") {
		t.Fatalf("status exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Without the saved CA the same status fails: the test can fail.
	r = run(t, "", sb.env(), "status", "--ca-cert", "")
	if r.code != ExitNetwork || !strings.Contains(r.stdout, "INVALID (unreachable)") {
		t.Fatalf("status --ca-cert '' exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	mustContain(t, "stderr", r.stderr, "--ca-cert FILE")

	r = run(t, "", sb.env(), "tokens", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "gdlogin-build-box-20261129T182200Z") {
		t.Fatalf("tokens list exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, "", sb.env(), "env")
	if r.code != 0 || !strings.Contains(r.stdout, org.URL()) {
		t.Fatalf("env exit %d\n%s", r.code, r.stderr)
	}
	sdkFile := filepath.Join(t.TempDir(), "profiles.yaml")
	if r = run(t, "", sb.env(), "write-sdk-profile", "--sdk-file", sdkFile); r.code != 0 {
		t.Fatalf("write-sdk-profile exit %d\n%s", r.code, r.stderr)
	}
	mustContain(t, "profiles.yaml", readFile(t, sdkFile), "ssl_ca_cert: "+caFile)

	r = run(t, "", sb.env(), "rotate", "--token-id", "rotated")
	if r.code != 0 || !org.HasToken("admin", "rotated") {
		t.Fatalf("rotate exit %d\n%s", r.code, r.stderr)
	}
	r = run(t, "", sb.env(), "tokens", "delete", "--yes", "bootstrap")
	if r.code != 0 || org.HasToken("admin", "bootstrap") {
		t.Fatalf("tokens delete exit %d\n%s", r.code, r.stderr)
	}

	// A login again without ORG_URL or --ca-cert trusts the saved CA and
	// keeps it.
	// (The saved token creates the new one.)
	r = run(t, "", sb.env(), "login", "--method", "token", "--token-id", "again")
	if r.code != 0 {
		t.Fatalf("login again exit %d\n%s", r.code, r.stderr)
	}
	mustContain(t, "stderr of login again", r.stderr, `Trusting the certificate authorities in `+caFile+`, saved with profile "default"`)
	mustContain(t, "config.yaml", readFile(t, sb.configPath()), "ca_cert: "+caFile+"\n", "token_id: again\n")

	r = run(t, "", sb.env(), "logout")
	if r.code != 0 || org.HasToken("admin", "again") {
		t.Fatalf("logout exit %d\n%s", r.code, r.stderr)
	}
}

// TestCACertIsReplacedOrDropped: --ca-cert on a login again replaces the
// saved file, but only once that login is verified and saved;
// --ca-cert ” drops it; a login to another organization does not inherit
// it.
func TestCACertIsReplacedOrDropped(t *testing.T) {
	org, caFile := privateCAOrg(t)
	sb := newSandbox(t, newMemKeyring(), 0)
	login := func(args ...string) result {
		t.Helper()
		return run(t, "", sb.env("GDC_API_TOKEN", org.AdminToken()), append([]string{"login", "--method", "token"}, args...)...)
	}
	if r := login(org.URL(), "--ca-cert", "corp.pem"); r.code != 0 {
		t.Fatalf("login exit %d\n%s", r.code, r.stderr)
	}
	// Another CA, which does not sign the organization's certificate: the
	// login fails, and the profile keeps the file that works.
	other := testca.ForTest(t)
	r := login(org.URL(), "--ca-cert", other.CAFile)
	if r.code != ExitNetwork {
		t.Fatalf("login with the wrong CA: exit %d\n%s", r.code, r.stderr)
	}
	mustContain(t, "config.yaml", readFile(t, sb.configPath()), "ca_cert: "+caFile+"\n")
	if r := run(t, "", sb.env(), "status"); r.code != 0 {
		t.Fatalf("status after the failed login: exit %d\n%s", r.code, r.stderr)
	}

	// On a plain-http organization on this computer a CA file changes
	// nothing, so saving and dropping it can both succeed there.
	plain := startOrg(t, orgsim.Options{})
	plainLogin := func(args ...string) result {
		t.Helper()
		return run(t, "", sb.env("GDC_API_TOKEN", plain.AdminToken()), append([]string{"login", "--method", "token"}, args...)...)
	}
	if r := plainLogin(plain.URL()); r.code != 0 {
		t.Fatalf("login to another organization: exit %d\n%s", r.code, r.stderr)
	}
	if cfg := readFile(t, sb.configPath()); strings.Contains(cfg, "ca_cert") {
		t.Fatalf("a login to another organization inherited the CA file:\n%s", cfg)
	}
	if r := plainLogin(plain.URL(), "--ca-cert", caFile); r.code != 0 {
		t.Fatalf("login --ca-cert: exit %d\n%s", r.code, r.stderr)
	}
	mustContain(t, "config.yaml", readFile(t, sb.configPath()), "ca_cert: "+caFile+"\n")
	if r := plainLogin(plain.URL(), "--ca-cert", ""); r.code != 0 {
		t.Fatalf("login --ca-cert '': exit %d\n%s", r.code, r.stderr)
	}
	if cfg := readFile(t, sb.configPath()); strings.Contains(cfg, "ca_cert") {
		t.Fatalf("--ca-cert '' kept the CA file:\n%s", cfg)
	}
}

// TestSavedCACertGoneNamesTheFileAndProfile: a CA file saved with a
// profile that has gone missing is a clear error for every command, naming
// the file and the profile; nothing is deleted.
func TestSavedCACertGoneNamesTheFileAndProfile(t *testing.T) {
	org, caFile := privateCAOrg(t)
	sb := newSandbox(t, newMemKeyring(), 0)
	r := run(t, "", sb.env("GDC_API_TOKEN", org.AdminToken()), "login", org.URL(), "--method", "token", "--ca-cert", "corp.pem", "--profile", "corp")
	if r.code != 0 {
		t.Fatalf("login exit %d\n%s", r.code, r.stderr)
	}
	if err := os.Remove(caFile); err != nil {
		t.Fatal(err)
	}
	want := "cannot read the CA file " + caFile + ` of profile "corp" (saved by gdlogin login --ca-cert): no such file or directory`
	hint := "hint: put the file back, pass another one with --ca-cert FILE (gdlogin login --ca-cert FILE --profile corp saves it), or --ca-cert '' to trust only the system's certificate authorities"
	for _, args := range [][]string{
		{"status"},
		{"status", "--profile", "corp"},
		{"tokens", "list", "--profile", "corp"},
		{"rotate", "--profile", "corp"},
		{"logout", "--profile", "corp"},
	} {
		r := run(t, "", sb.env(), args...)
		if r.code != ExitError {
			t.Errorf("%s: exit %d, want %d", strings.Join(args, " "), r.code, ExitError)
		}
		mustContain(t, strings.Join(args, " "), r.stderr, want, hint)
	}
	r = run(t, "", sb.env(), "status", "--output", "json")
	mustContain(t, "status --output json", r.stdout, `"problem": "setup_error"`)
	mustContain(t, "config.yaml", readFile(t, sb.configPath()), "corp:", "ca_cert: "+caFile+"\n")
	if !org.HasToken("admin", "gdlogin-build-box-20261129T182200Z") {
		t.Error("the token was deleted on the server")
	}
}

// httpsScenario: an engine scenario against the https organization.
func httpsScenario(sc engineScenario) bool { return strings.HasPrefix(sc.name, "https/") }

// httpsOptions serves an https scenario's organization on
// https://analytics.example.com:PORT with a certificate of ca.
func httpsOptions(sc engineScenario, o orgsim.Options, ca *testca.CA) orgsim.Options {
	if httpsScenario(sc) {
		o.TLS, o.Host = ca.ServerConfig(), testca.Host
	}
	return o
}

// orgProfileOf asks the organization who a token belongs to, trusting
// caFile (when not empty) as gdlogin does.
func orgProfileOf(t *testing.T, org *orgsim.Server, caFile, token string) *gooddata.Profile {
	t.Helper()
	hc, err := httpclient.New(httpclient.Config{CACertFile: caFile, DialContext: dialHook})
	if err != nil {
		t.Fatal(err)
	}
	c, err := gooddata.New(org.URL(), token, gooddata.Options{HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Profile(context.Background())
	if err != nil {
		t.Fatalf("the token does not work: %v", err)
	}
	return p
}

// TestEveryProfileUsesItsOwnCACert: status and logout --all check each
// profile with the CA file saved with it, and only that one.
func TestEveryProfileUsesItsOwnCACert(t *testing.T) {
	org, _ := privateCAOrg(t)
	plain := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	if r := run(t, "", sb.env("GDC_API_TOKEN", org.AdminToken()), "login", org.URL(), "--method", "token", "--ca-cert", "corp.pem", "--profile", "corp"); r.code != 0 {
		t.Fatalf("login corp: exit %d\n%s", r.code, r.stderr)
	}
	if r := run(t, "", sb.env("GDC_API_TOKEN", plain.AdminToken()), "login", plain.URL(), "--method", "token", "--profile", "plain"); r.code != 0 {
		t.Fatalf("login plain: exit %d\n%s", r.code, r.stderr)
	}
	r := run(t, "", sb.env(), "status", "--output", "json")
	if r.code != 0 || strings.Count(r.stdout, `"valid": true`) != 2 {
		t.Fatalf("status exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, "", sb.env(), "logout", "--all")
	if r.code != 0 || org.HasToken("admin", "gdlogin-build-box-20261129T182200Z") || plain.HasToken("admin", "gdlogin-build-box-20261129T182200Z") {
		t.Fatalf("logout --all exit %d\n%s", r.code, r.stderr)
	}
}
