package cli

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/gdlogin/gdlogin/internal/orgsim"
)

const legacySDKFile = `# GoodData profiles used by my notebooks and gooddata-dbt.
# Keep this file private.

default:
  host: https://old.example.com   # the old cluster
  token: b2xkOnRva2VuOnNlY3JldA==
  custom_headers:
    X-Example-Tenant: analytics
  extra_user_agent: notebooks

# Staging is shared with the data team.
staging:
  host: "https://staging.example.com"
  token: 'c3RhZ2luZzp0b2tlbg=='
`

const profilesSDKFile = `# Profiles for gooddata-sdk (current format).
profiles:
  # development organization
  dev:
    host: https://dev.example.com
    token: $GOODDATA_DEV_TOKEN
    custom_headers:
      Host: dev.example.com

# Used when no profile is named.
default_profile: dev

access:
  # data source secrets
  snowflake: $SNOWFLAKE_PASSWORD
`

func writeSDKFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".gooddata", "profiles.yaml")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// parseSDKFile decodes profiles.yaml into plain maps.
func parseSDKFile(t *testing.T, path string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(readFile(t, path)), &m); err != nil {
		t.Fatalf("%s does not parse any more: %v", path, err)
	}
	return m
}

func TestWriteSDKProfileLegacyForm(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	bearer := sb.save(org, "default", "john.doe", "johns-laptop", 0)
	path := writeSDKFile(t, legacySDKFile)

	r := run(t, "", sb.vars, "write-sdk-profile", "--sdk-file", path, "--sdk-profile", "analytics")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr, "Updated "+path+`: profile "analytics" (`+org.URL()+`) with the literal token, legacy form; the file is mode 0600.`)
	assertNoSecret(t, "stderr", r.stderr, bearer)

	got := readFile(t, path)
	if !strings.HasPrefix(got, legacySDKFile) {
		t.Errorf("the rest of the file changed:\n%s", got)
	}
	m := parseSDKFile(t, path)
	a, _ := m["analytics"].(map[string]any)
	if a["host"] != org.URL() || a["token"] != bearer {
		t.Fatalf("analytics profile %v", a)
	}
	if staging, _ := m["staging"].(map[string]any); staging["token"] != "c3RhZ2luZzp0b2tlbg==" {
		t.Fatalf("staging lost: %v", staging)
	}
	if runtime.GOOS != "windows" {
		if mode := fileMode(t, path); mode != 0o600 {
			t.Fatalf("mode %#o, want 0600 for a file holding a token", mode)
		}
	}

	// Again after a rotation: the same entry is updated in place.
	if r := runPrivate(t, "", sb.vars, false, "rotate"); r.code != 0 {
		t.Fatal("rotate failed")
	}
	if r := run(t, "", sb.vars, "write-sdk-profile", "--sdk-file", path, "--sdk-profile", "analytics"); r.code != 0 {
		t.Fatalf("second write: exit %d", r.code)
	}
	newTok := workingToken(t, org, sb, "default", "john.doe")
	got = readFile(t, path)
	if strings.Count(got, "analytics:") != 1 || !strings.Contains(got, newTok) || strings.Contains(got, bearer) {
		t.Fatalf("the entry was not replaced:\n%d analytics entries", strings.Count(got, "analytics:"))
	}
}

func TestWriteSDKProfileProfilesForm(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	bearer := sb.save(org, "work", "john.doe", "johns-laptop", 0)
	path := writeSDKFile(t, profilesSDKFile)

	r := run(t, "", sb.vars, "write-sdk-profile", "--profile", "work", "--sdk-file", path)
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr,
		"Updated "+path+`: profile "work" (`+org.URL()+`) with token: $GDLOGIN_TOKEN_WORK (the token itself is not in the file).`,
		`Run programs that use the GoodData SDK with gdlogin run --profile work -- CMD, or export the token first: eval "$(gdlogin env --profile work)"`,
		`The file's default_profile is "dev"; select this one with GoodDataSdk.create_from_profile(profile="work", profiles_path="`+path+`").`)
	got := readFile(t, path)
	assertNoSecret(t, "profiles.yaml", got, bearer)
	for _, line := range strings.Split(strings.TrimSpace(profilesSDKFile), "\n") {
		if !strings.Contains(got, line) {
			t.Errorf("line %q of the original is gone", line)
		}
	}
	m := parseSDKFile(t, path)
	profiles, _ := m["profiles"].(map[string]any)
	work, _ := profiles["work"].(map[string]any)
	if work["host"] != org.URL() || work["token"] != "$GDLOGIN_TOKEN_WORK" || m["default_profile"] != "dev" {
		t.Fatalf("file %v", m)
	}
	if runtime.GOOS != "windows" {
		if mode := fileMode(t, path); mode != 0o644 {
			t.Errorf("mode %#o changed: the file holds no secret", mode)
		}
	}

	// --sdk-default points default_profile at it.
	if r := run(t, "", sb.vars, "write-sdk-profile", "-p", "work", "--sdk-file", path, "--sdk-default"); r.code != 0 {
		t.Fatalf("--sdk-default: exit %d", r.code)
	}
	if m := parseSDKFile(t, path); m["default_profile"] != "work" {
		t.Fatalf("default_profile %v", m["default_profile"])
	}
}

func TestWriteSDKProfileNewAndBrokenFiles(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	bearer := sb.save(org, "default", "john.doe", "johns-laptop", 0)

	path := filepath.Join(t.TempDir(), "new", "profiles.yaml")
	r := run(t, "", sb.vars, "write-sdk-profile", "--sdk-file", path)
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr, "Created "+path, "$GDLOGIN_TOKEN_DEFAULT", `eval "$(gdlogin env)"`, "gdlogin run -- CMD",
		`It is the file's default_profile: GoodDataSdk.create_from_profile(profiles_path="`+path+`") selects it.`)
	m := parseSDKFile(t, path)
	if m["default_profile"] != "default" || m["access"] == nil {
		t.Fatalf("new file %v", m)
	}
	assertNoSecret(t, "new profiles.yaml", readFile(t, path), bearer)

	legacy := filepath.Join(t.TempDir(), "profiles.yaml")
	if r := run(t, "", sb.vars, "write-sdk-profile", "--sdk-file", legacy, "--sdk-form", "legacy"); r.code != 0 {
		t.Fatalf("--sdk-form legacy: exit %d", r.code)
	}
	if m := parseSDKFile(t, legacy); m["default"].(map[string]any)["token"] != bearer {
		t.Fatal("legacy file lacks the token")
	}

	broken := writeSDKFile(t, "# A broken file: the list is never closed.\ndefault:\n  host: https://analytics.example.com\n  token: [unclosed\n")
	before := readFile(t, broken)
	r = run(t, "", sb.vars, "write-sdk-profile", "--sdk-file", broken)
	if r.code != ExitError {
		t.Fatalf("broken file: exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr, "error: write the SDK profile: "+broken+":", "left it unchanged")
	if readFile(t, broken) != before {
		t.Fatal("the broken file was changed")
	}

	for _, args := range [][]string{{"--sdk-form", "xml"}, {"--sdk-profile", "no/slash"}} {
		if r := run(t, "", sb.vars, append([]string{"write-sdk-profile", "--sdk-file", path}, args...)...); r.code != ExitUsage {
			t.Errorf("%v: exit %d", args, r.code)
		}
	}
}

// TestWriteSDKProfileAPI is the call login --write-sdk-profile makes.
func TestWriteSDKProfileAPI(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	bearer := sb.save(org, "default", "john.doe", "johns-laptop", 0)
	a, errb := sb.app("", "auto")
	cred, p, err := a.savedCredential(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "profiles.yaml")
	if err := a.writeSDKProfile(t.Context(), p, cred, "", path); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "stderr", errb.String(), `profile "default"`, "$GDLOGIN_TOKEN_DEFAULT")
	assertNoSecret(t, "profiles.yaml", readFile(t, path), bearer)
}
