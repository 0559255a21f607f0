package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdlogin/gdlogin/internal/orgsim"
)

// envSecretsChild tells TestSecretsStayOutOfLogsChild where to work and to
// leave the secrets it saw.
const envSecretsChild = "GDLOGIN_TEST_SECRETS_CHILD_DIR"

// TestSecretsStayOutOfLogs runs a whole credential workflow in a child test
// process with -test.v, then greps what that process printed (every t.Log
// of every command's stderr included), config.yaml and the SDK profiles
// file for every token the workflow handled.
func TestSecretsStayOutOfLogs(t *testing.T) {
	if os.Getenv(envSecretsChild) != "" {
		t.Skip("this is the child")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command(exe, "-test.run", "^TestSecretsStayOutOfLogsChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), envSecretsChild+"="+dir)
	out, err := cmd.CombinedOutput()
	log := string(out)
	if err != nil || !strings.Contains(log, "--- PASS: TestSecretsStayOutOfLogsChild") {
		// The child's output may hold a secret when it failed: show only its verdict lines.
		var verdict []string
		for _, l := range strings.Split(log, "\n") {
			if strings.Contains(l, "FAIL") || strings.Contains(l, "_test.go:") {
				verdict = append(verdict, l)
			}
		}
		t.Fatalf("child test failed (%v):\n%s", err, strings.Join(verdict, "\n"))
	}
	data, err := os.ReadFile(filepath.Join(dir, "secrets"))
	if err != nil {
		t.Fatal(err)
	}
	secrets := strings.Fields(string(data))
	if len(secrets) < 5 {
		t.Fatalf("the child reported %d secrets", len(secrets))
	}
	for _, want := range []string{"gdlogin status", "gdlogin tokens list", "gdlogin rotate", "gdlogin logout", "gdlogin token", "gdlogin env", "http: GET "} {
		if !strings.Contains(log, want) {
			t.Errorf("the child's log lacks %q: it did not run what it should", want)
		}
	}
	config := readFile(t, filepath.Join(dir, "config", "gdlogin", "config.yaml"))
	sdk := readFile(t, filepath.Join(dir, "profiles.yaml"))
	for i, s := range secrets {
		for where, text := range map[string]string{"the test log": log, "config.yaml": config, "profiles.yaml": sdk} {
			if strings.Contains(text, s) {
				t.Errorf("%s contains secret #%d", where, i)
			}
		}
	}
}

func TestSecretsStayOutOfLogsChild(t *testing.T) {
	dir := os.Getenv(envSecretsChild)
	if dir == "" {
		t.Skip("run by TestSecretsStayOutOfLogs")
	}
	org := startOrg(t, orgsim.Options{})
	configDir := filepath.Join(dir, "config")
	testKeyrings.Store(configDir, testKeyring{keyring: absentKeyring{}})
	sb := &sandbox{t: t, dir: configDir, vars: map[string]string{EnvConfigDir: configDir}}

	secrets := []string{org.AdminToken()}
	secrets = append(secrets, sb.save(org, "default", "john.doe", "johns-laptop", 0))
	secrets = append(secrets, sb.save(org, "admin", "admin", "admins-laptop", 0))
	secrets = append(secrets, sb.save(org, "spare", "john.doe", "johns-spare", 0))
	var results []result
	human := func(args ...string) { results = append(results, run(t, "", sb.vars, args...)) }
	private := func(args ...string) string {
		r := runPrivate(t, "", sb.vars, false, args...)
		results = append(results, r)
		return r.stdout
	}

	human("status", "--verbose")
	human("whoami", "--output", "json")
	human("tokens", "list", "--verbose")
	human("tokens", "list", "--profile", "admin", "--user", "john.doe", "--output", "json")
	human("write-sdk-profile", "--sdk-file", filepath.Join(dir, "profiles.yaml"))
	private("token")
	private("env", "--shell", "fish")
	var rotated struct{ Token string }
	if err := json.Unmarshal([]byte(private("rotate", "--output", "json", "--verbose")), &rotated); err != nil || rotated.Token == "" {
		t.Fatalf("rotate printed no token: %v", err)
	}
	secrets = append(secrets, rotated.Token)
	human("rotate", "--verbose")
	secrets = append(secrets, strings.TrimSpace(private("token")))
	human("status")
	human("logout", "--profile", "spare", "--verbose")
	ci, err := org.IssueToken("john.doe", "johns-ci")
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, ci)
	human("tokens", "delete", "--yes", "--profile", "admin", "--user", "john.doe", "johns-ci")

	for _, r := range results {
		if r.code != 0 {
			t.Errorf("a command failed with exit %d", r.code)
		}
		assertNoSecret(t, "stderr", r.stderr, secrets...)
	}
	for _, r := range results[:5] {
		assertNoSecret(t, "stdout of a command that prints no token", r.stdout, secrets...)
	}
	assertNoSecret(t, "config.yaml", readFile(t, sb.configPath()), secrets...)
	if err := os.WriteFile(filepath.Join(dir, "secrets"), []byte(strings.Join(secrets, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
}
