package cli

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gdlogin/gdlogin/internal/orgsim"
)

// printEnvScript prints, one a line, the variables gdlogin run sets and
// then the arguments the program got.
const printEnvScript = `for v in GOODDATA_HOST GOODDATA_TOKEN GOODDATA_API_TOKEN GDC_API_TOKEN GDLOGIN_TOKEN_STAGING GOODDATA_PROFILES_FILE GDLOGIN_SDK_PROFILE INHERITED; do
  eval "printf '%s=%s\n' $v \"\${$v-unset}\""
done
printf 'args=%s\n' "$*"
read -r line && printf 'stdin=%s\n' "$line"
printf 'to stderr\n' >&2`

func TestRunHandsTheCredentialToTheProgram(t *testing.T) {
	sh := requireTool(t, "sh")
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	bearer := sb.save(org, "staging", "john.doe", "johns-laptop", 0)
	sdkFile := filepath.Join(t.TempDir(), "profiles.yaml")
	if r := run(t, "", sb.vars, "write-sdk-profile", "--profile", "staging", "--sdk-file", sdkFile, "--sdk-profile", "stage"); r.code != 0 {
		t.Fatalf("write-sdk-profile: exit %d", r.code)
	}

	// An inherited GOODDATA_TOKEN (another organization's) is replaced.
	vars := sb.env("INHERITED", "kept", "GOODDATA_TOKEN", "another-orgs-token")
	r := runPrivate(t, "line from stdin\n", vars, false, "run", "--profile", "staging", "--", sh, "-c", printEnvScript, "sh", "one", "--two")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	want := strings.Join([]string{
		"GOODDATA_HOST=" + org.URL(),
		"GOODDATA_TOKEN=" + bearer,
		"GOODDATA_API_TOKEN=" + bearer,
		"GDC_API_TOKEN=" + bearer,
		"GDLOGIN_TOKEN_STAGING=" + bearer,
		"GOODDATA_PROFILES_FILE=" + sdkFile,
		"GDLOGIN_SDK_PROFILE=stage",
		"INHERITED=kept",
		"args=one --two",
		"stdin=line from stdin",
	}, "\n") + "\n"
	if r.stdout != want {
		t.Errorf("the program printed:\n%s\nwant:\n%s", strings.ReplaceAll(r.stdout, bearer, "TOKEN"), strings.ReplaceAll(want, bearer, "TOKEN"))
	}
	if r.stderr != "to stderr\n" {
		t.Errorf("stderr %q: gdlogin must add nothing to a run that works", r.stderr)
	}
}

func TestRunExitStatus(t *testing.T) {
	sh := requireTool(t, "sh")
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	sb.save(org, "default", "john.doe", "johns-laptop", 0)

	for _, tc := range []struct {
		script string
		code   int
	}{{"exit 0", 0}, {"exit 7", 7}, {"exit 255", 255}} {
		r := run(t, "", sb.vars, "run", "--", sh, "-c", tc.script)
		if r.code != tc.code || r.stderr != "" {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and nothing from gdlogin", tc.script, r.code, r.stderr, tc.code)
		}
	}
	if runtime.GOOS != "windows" {
		// Killed by a signal: 128+N, as shells report it.
		r := run(t, "", sb.vars, "run", "--", sh, "-c", "kill -TERM $$")
		if r.code != 128+15 || r.stderr != "" {
			t.Errorf("killed by SIGTERM: exit %d %q, want 143", r.code, r.stderr)
		}
	}

	r := run(t, "", sb.vars, "run", "--", "gdlogin-no-such-command")
	if r.code != ExitNotFound || r.stdout != "" {
		t.Fatalf("missing command: exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr, "error: command not found: gdlogin-no-such-command", "hint: check the name and your PATH")

	if runtime.GOOS != "windows" {
		notExec := filepath.Join(t.TempDir(), "script.sh")
		if err := os.WriteFile(notExec, []byte("#!/bin/sh\necho hi\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r = run(t, "", sb.vars, "run", "--", notExec)
		if r.code != ExitNotExecutable {
			t.Fatalf("not executable: exit %d %q", r.code, r.stderr)
		}
		mustContain(t, "stderr", r.stderr, "error: cannot run "+notExec, "chmod +x")
	}

	r = run(t, "", sb.vars, "run")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "gdlogin run needs the command to run: gdlogin run -- CMD [ARGS…]") {
		t.Fatalf("no command: exit %d %q", r.code, r.stderr)
	}
}

// TestRunRefusesWithoutAWorkingToken: no profile, a revoked token, a
// missing secret: the program never starts, and the hint says how to log
// in. --no-verify runs it with the saved token as it is.
func TestRunRefusesWithoutAWorkingToken(t *testing.T) {
	sh := requireTool(t, "sh")
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	marker := filepath.Join(t.TempDir(), "ran")
	touch := []string{"--", sh, "-c", `printf '%s' "$GOODDATA_TOKEN" > "$1"`, "sh", marker}
	ran := func() (string, bool) {
		b, err := os.ReadFile(marker)
		os.Remove(marker)
		return string(b), err == nil
	}

	r := run(t, "", sb.vars, append([]string{"run", "--profile", "staging"}, touch...)...)
	if r.code != ExitAuth {
		t.Fatalf("no profile: exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr, `error: not logged in: there is no profile "staging"`,
		"hint: log in first: gdlogin login ORG_URL --profile staging", "or let gdlogin run log in first: gdlogin run --profile staging --login -- CMD")
	if _, ok := ran(); ok {
		t.Fatal("the program ran without a profile")
	}
	// --login cannot guess the organization of a profile that never was.
	r = run(t, "", sb.vars, append([]string{"run", "--profile", "staging", "--login"}, touch...)...)
	if r.code != ExitAuth || !strings.Contains(r.stderr, "hint: --login renews a saved profile; log in once with the organization's address: gdlogin login ORG_URL --profile staging") {
		t.Fatalf("--login without a profile: exit %d %q", r.code, r.stderr)
	}

	bearer := sb.save(org, "staging", "john.doe", "johns-laptop", 0)
	deleteOnEmulator(t, org, "john.doe", "johns-laptop")
	r = run(t, "", sb.vars, append([]string{"run", "--profile", "staging"}, touch...)...)
	if r.code != ExitAuth {
		t.Fatalf("revoked: exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr, `error: the saved token of profile "staging" does not work: the organization refused the token`,
		"hint: log in again: gdlogin login "+org.URL()+" --profile staging; or let gdlogin run log in first: gdlogin run --profile staging --login -- CMD")
	if _, ok := ran(); ok {
		t.Fatal("the program ran with a revoked token")
	}

	r = runPrivate(t, "", sb.vars, false, append([]string{"run", "--profile", "staging", "--no-verify"}, touch...)...)
	if got, ok := ran(); r.code != 0 || !ok || got != bearer {
		t.Fatalf("--no-verify: exit %d, ran %v, %q", r.code, ok, r.stderr)
	}
	if n := len(org.Requests()); n == 0 {
		t.Fatal("no requests at all: the check above never happened")
	}
	org.ResetRequests()
	if r := run(t, "", sb.vars, append([]string{"run", "--profile", "staging", "--no-verify"}, touch...)...); r.code != 0 || len(org.Requests()) != 0 {
		t.Fatalf("--no-verify asked the organization %d times", len(org.Requests()))
	}
	ran()

	// The organization does not answer: exit 4, with the way around.
	sb.saveToken(closedURL(t), "down", *profileOf(t, org, org.AdminToken()), "t1", "some-token", 0)
	r = run(t, "", sb.vars, append([]string{"run", "--profile", "down"}, touch...)...)
	if r.code != ExitNetwork || !strings.Contains(r.stderr, `error: could not check the token of profile "down"`) {
		t.Fatalf("unreachable: exit %d %q", r.code, r.stderr)
	}
	if _, ok := ran(); ok {
		t.Fatal("the program ran without the check")
	}
}

// TestRunLogsInFirst: --login with a revoked token of a token-method
// profile logs in again (the existing token from GDC_API_TOKEN), then runs
// the program with the new token; stdout is the program's alone.
func TestRunLogsInFirst(t *testing.T) {
	sh := requireTool(t, "sh")
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	old := sb.save(org, "staging", "john.doe", "johns-laptop", 0)
	deleteOnEmulator(t, org, "john.doe", "johns-laptop")
	existing, err := org.IssueToken("john.doe", "johns-old-script")
	if err != nil {
		t.Fatal(err)
	}

	r := runPrivate(t, "", sb.env("GDC_API_TOKEN", existing), false, "run", "--profile", "staging", "--login", "--", sh, "-c", `printf '%s\n' "$GOODDATA_TOKEN"`)
	if r.code != 0 {
		t.Fatalf("exit %d %q", r.code, r.stderr)
	}
	mustContain(t, "stderr", r.stderr, `the saved token of profile "staging" does not work`, "logging in again.",
		`Logging in again as profile "staging": `+org.URL()+" with the token method.", `Saved as profile "staging"`)
	got := strings.TrimSuffix(r.stdout, "\n")
	if strings.Contains(got, "\n") || got == old || got == existing {
		t.Fatalf("stdout is not the one new token (%d bytes)", len(r.stdout))
	}
	if p := profileOf(t, org, got); p.UserID != "john.doe" {
		t.Fatalf("the program got a token of %s", p.UserID)
	}
	if now := workingToken(t, org, sb, "staging", "john.doe"); now != got {
		t.Fatal("the program's token is not the one saved")
	}
	assertNoSecret(t, "stderr", r.stderr, got, existing)

	// With a working token, --login does not log in.
	r = runPrivate(t, "", sb.vars, false, "run", "--profile", "staging", "--login", "--", sh, "-c", "true")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("working token: exit %d %q", r.code, r.stderr)
	}
}
