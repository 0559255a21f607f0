package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gdlogin/gdlogin/internal/orgsim"
)

func TestTokenPrintsOneLine(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	bearer := sb.save(org, "default", "john.doe", "johns-laptop", 0)
	r := runPrivate(t, "", sb.vars, false, "token")
	if r.code != 0 || r.stdout != bearer+"\n" || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if r := run(t, "", sb.vars, "token", "extra"); r.code != ExitUsage || r.stdout != "" {
		t.Fatalf("extra argument: exit %d", r.code)
	}
}

func TestEnvShells(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	bearer := sb.save(org, "default", "john.doe", "johns-laptop", 0)
	cases := []struct {
		shellVar string
		args     []string
		want     string
	}{
		{"", nil, "export GOODDATA_TOKEN='" + bearer + "'\n"},
		{"/bin/zsh", nil, "export GOODDATA_API_TOKEN='" + bearer + "'\n"},
		{"/usr/local/bin/fish", nil, "set -gx GOODDATA_TOKEN '" + bearer + "';\n"},
		{"/usr/local/bin/fish", []string{"--shell", "bash"}, "export GOODDATA_HOST='" + org.URL() + "'\n"},
		{"/bin/bash", []string{"--shell", "powershell"}, "$env:GOODDATA_TOKEN = '" + bearer + "'\n"},
	}
	for _, tc := range cases {
		r := runPrivate(t, "", sb.env("SHELL", tc.shellVar), false, append([]string{"env"}, tc.args...)...)
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("SHELL=%s %v: exit %d %q", tc.shellVar, tc.args, r.code, r.stderr)
		}
		if !strings.Contains(r.stdout, tc.want) || strings.Count(r.stdout, "\n") != 5 || !strings.Contains(r.stdout, "GDC_API_TOKEN") || !strings.Contains(r.stdout, "GDLOGIN_TOKEN_DEFAULT") {
			t.Errorf("SHELL=%s %v: stdout lacks the expected line %q", tc.shellVar, tc.args, strings.ReplaceAll(tc.want, bearer, "TOKEN"))
		}
	}
	r := run(t, "", sb.vars, "env", "--shell", "tcsh")
	if r.code != ExitUsage || r.stdout != "" || !strings.Contains(r.stderr, "--shell must be one of bash, zsh, fish, powershell") {
		t.Fatalf("tcsh: exit %d %q", r.code, r.stderr)
	}
}

// gdloginCommand runs this test binary as gdlogin (see TestMain).
func gdloginCommand(t *testing.T, configDir string, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), envRunAsGdlogin+"=1", EnvConfigDir+"="+configDir, "GDLOGIN="+exe)
	return cmd
}

// TestEnvEvalThenCurl is the issue's end-to-end check: eval "$(gdlogin
// env)" in a real bash, then curl with the exported token against the
// organization's profile endpoint.
func TestEnvEvalThenCurl(t *testing.T) {
	bash := requireTool(t, "bash")
	curl := requireTool(t, "curl")
	org := startOrg(t, orgsim.Options{})
	// The child gdlogin has no keyring (TestMain): save to the file store.
	sb := newSandbox(t, absentKeyring{}, 0)
	bearer := sb.save(org, "default", "john.doe", "johns-laptop", 0)

	script := `set -eu
eval "$("$GDLOGIN" env)"
test "$GOODDATA_TOKEN" = "$GOODDATA_API_TOKEN"
"$CURL" --silent --show-error --fail --noproxy '*' \
  -H "Authorization: Bearer $GOODDATA_TOKEN" -H "X-Requested-With: XMLHttpRequest" \
  "$GOODDATA_HOST/api/v1/profile"`
	cmd := gdloginCommand(t, sb.dir)
	cmd.Path, cmd.Args = bash, []string{bash, "-c", script}
	cmd.Env = append(cmd.Env, "CURL="+curl)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	assertNoSecret(t, "stderr of the shell", stderr.String(), bearer)
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, stderr.String())
	}
	var p struct{ UserID, OrganizationName string }
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("curl got no profile JSON: %v", err)
	}
	if p.UserID != "john.doe" || p.OrganizationName != "Example Analytics" {
		t.Fatalf("profile %+v", p)
	}

	// The same with the GoodData SDK's own variable names in another
	// profile, selected by GDLOGIN_PROFILE.
	admin := sb.save(org, "admin", "admin", "admins-laptop", 0)
	cmd = gdloginCommand(t, sb.dir)
	cmd.Path, cmd.Args = bash, []string{bash, "-c", script}
	cmd.Env = append(cmd.Env, "CURL="+curl, "GDLOGIN_PROFILE=admin")
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	assertNoSecret(t, "stderr of the shell", stderr.String(), bearer, admin)
	if err != nil || !strings.Contains(string(out), `"userId":"admin"`) {
		t.Fatalf("admin profile: %v %s", err, stderr.String())
	}
}
