package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/gdlogin/gdlogin/internal/orgsim"
)

// sdkLoad finds the host and token that the GoodData Python SDK's
// GoodDataSdk.create_from_profile(profile, profiles_path) uses, following
// gooddata_sdk/utils.py (profile_content, _get_profile,
// _create_profile_aac) and config.py (AacConfig, Profile.to_dict with
// use_env): a file is in the current form when profiles is a mapping of
// entries with a string host and token, default_profile a string and
// access a mapping; profile "default" then means default_profile; the
// token, minus its first character, names an environment variable that
// must be set. Otherwise (the deprecated form) profile names a top-level
// entry whose token is literal. Loading .env files is left out: the tests
// have none.
func sdkLoad(t *testing.T, path, profile string, env map[string]string) (host, token string, err error) {
	t.Helper()
	var content map[string]any
	if err := yaml.Unmarshal([]byte(readFile(t, path)), &content); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	entry := func(v any) (map[string]any, bool) {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		_, h := m["host"].(string)
		_, k := m["token"].(string)
		return m, h && k
	}
	profiles, isMap := content["profiles"].(map[string]any)
	def, isStr := content["default_profile"].(string)
	_, hasAccess := content["access"].(map[string]any)
	aac := isMap && isStr && hasAccess
	for _, v := range profiles {
		if _, ok := entry(v); !ok {
			aac = false
		}
	}
	if !aac {
		e, ok := entry(content[profile])
		if !ok {
			return "", "", fmt.Errorf("Configuration is invalid")
		}
		return e["host"].(string), e["token"].(string), nil
	}
	selected := profile
	if profile == "default" {
		selected = def
	}
	e, ok := entry(profiles[selected])
	if !ok {
		return "", "", fmt.Errorf("Profile file does not contain the specified profile: %s", profile)
	}
	name := e["token"].(string)[1:]
	tok, set := env[name]
	if !set {
		return "", "", fmt.Errorf("Environment variable %s not found", name)
	}
	return e["host"].(string), tok, nil
}

// childEnv is the environment a program gets under gdlogin run.
func childEnv(t *testing.T, vars map[string]string, args ...string) map[string]string {
	t.Helper()
	sh := requireTool(t, "sh")
	r := runPrivate(t, "", vars, false, append(append([]string{"run"}, args...), "--", sh, "-c", "env")...)
	if r.code != 0 {
		t.Fatalf("gdlogin run: exit %d %q", r.code, r.stderr)
	}
	out := map[string]string{}
	for _, l := range strings.Split(r.stdout, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			out[k] = v
		}
	}
	return out
}

// envOf is what eval "$(gdlogin env …)" would leave in a shell.
func envOf(t *testing.T, vars map[string]string, args ...string) map[string]string {
	t.Helper()
	r := runPrivate(t, "", vars, false, append([]string{"env", "--shell", "bash"}, args...)...)
	if r.code != 0 {
		t.Fatalf("gdlogin env: exit %d", r.code)
	}
	out := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		k, v, _ := strings.Cut(strings.TrimPrefix(l, "export "), "=")
		out[k] = strings.Trim(v, "'")
	}
	return out
}

// The file an earlier gdlogin wrote for prod and staging.
const twoOrgsFile = `# GoodData profiles for gooddata-sdk and tools built on it.
# Tokens are read from the environment: eval "$(gdlogin env)" sets $GOODDATA_TOKEN.
profiles:
  prod:
    host: %[1]s
    token: $GOODDATA_TOKEN
  staging:
    host: %[2]s
    token: $GOODDATA_TOKEN
  # the data team's own, not gdlogin's
  notebook:
    host: https://notebooks.example.com
    token: $NOTEBOOK_TOKEN
default_profile: prod
access: {}
`

// TestSDKProfilesCannotCrossOrganizations is the case: two
// profiles on two organizations in one profiles.yaml. With the file an
// earlier gdlogin wrote, the shell that exported staging makes the SDK's
// prod profile send staging's token to prod; once gdlogin rewrites its
// entries, each reads its own variable, and prod gets nothing.
func TestSDKProfilesCannotCrossOrganizations(t *testing.T) {
	prodOrg := startOrg(t, orgsim.Options{})
	stagingOrg := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	prodTok := sb.save(prodOrg, "prod", "john.doe", "prod-laptop", 0)
	stagingTok := sb.save(stagingOrg, "staging", "john.doe", "staging-laptop", 0)
	path := filepath.Join(t.TempDir(), "profiles.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(twoOrgsFile, prodOrg.URL(), stagingOrg.URL())), 0o644); err != nil {
		t.Fatal(err)
	}

	// Before: the bug, reproduced with the loader's rules.
	host, tok, err := sdkLoad(t, path, "prod", envOf(t, sb.vars, "--profile", "staging"))
	if err != nil || host != prodOrg.URL() || tok != stagingTok {
		t.Fatalf("the old file does not show the bug: %v", err)
	}

	r := run(t, "", sb.vars, "write-sdk-profile", "--profile", "staging", "--sdk-file", path)
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr,
		`profile "staging" (`+stagingOrg.URL()+`) with token: $GDLOGIN_TOKEN_STAGING`,
		`Moved entry "prod" from $GOODDATA_TOKEN to $GDLOGIN_TOKEN_PROD, the variable of profile "prod" (gdlogin run --profile prod and gdlogin env --profile prod set it).`,
		`The file's default_profile is "prod"; select this one with GoodDataSdk.create_from_profile(profile="staging", profiles_path="`+path+`").`)
	want := fmt.Sprintf(strings.NewReplacer("  prod:\n    host: %[1]s\n    token: $GOODDATA_TOKEN", "  prod:\n    host: %[1]s\n    token: $GDLOGIN_TOKEN_PROD",
		"  staging:\n    host: %[2]s\n    token: $GOODDATA_TOKEN", "  staging:\n    host: %[2]s\n    token: $GDLOGIN_TOKEN_STAGING").Replace(twoOrgsFile), prodOrg.URL(), stagingOrg.URL())
	if got := readFile(t, path); got != want {
		t.Fatalf("file:\n%s\nwant:\n%s", got, want)
	}

	// After: with staging's credential, prod cannot load; staging can.
	for _, env := range []map[string]string{envOf(t, sb.vars, "--profile", "staging"), childEnv(t, sb.vars, "--profile", "staging")} {
		if _, _, err := sdkLoad(t, path, "prod", env); err == nil || err.Error() != "Environment variable GDLOGIN_TOKEN_PROD not found" {
			t.Fatalf("prod with staging's environment: %v", err)
		}
		if host, tok, err := sdkLoad(t, path, "staging", env); err != nil || host != stagingOrg.URL() || tok != stagingTok {
			t.Fatalf("staging: %s %v", host, err)
		}
	}
	env := childEnv(t, sb.vars, "--profile", "prod")
	if host, tok, err := sdkLoad(t, path, "default", env); err != nil || host != prodOrg.URL() || tok != prodTok {
		t.Fatalf("the default profile (prod) under gdlogin run --profile prod: %s %v", host, err)
	}
	if env["GOODDATA_PROFILES_FILE"] != path || env["GDLOGIN_SDK_PROFILE"] != "prod" {
		t.Errorf("GOODDATA_PROFILES_FILE=%q GDLOGIN_SDK_PROFILE=%q", env["GOODDATA_PROFILES_FILE"], env["GDLOGIN_SDK_PROFILE"])
	}

	// logout removes staging's entry, and only it.
	r = run(t, "", sb.vars, "logout", "--profile", "staging")
	if r.code != 0 {
		t.Fatalf("logout: exit %d %q", r.code, r.stderr)
	}
	mustContain(t, "stderr", r.stderr, `Removed entry "staging" from `+path+` (the GoodData SDK profile gdlogin wrote for it).`)
	want = fmt.Sprintf(`# GoodData profiles for gooddata-sdk and tools built on it.
# Tokens are read from the environment: eval "$(gdlogin env)" sets $GOODDATA_TOKEN.
profiles:
  prod:
    host: %s
    token: $GDLOGIN_TOKEN_PROD
  # the data team's own, not gdlogin's
  notebook:
    host: https://notebooks.example.com
    token: $NOTEBOOK_TOKEN
default_profile: prod
access: {}
`, prodOrg.URL())
	if got := readFile(t, path); got != want {
		t.Fatalf("after logout:\n%s\nwant:\n%s", got, want)
	}

	// An entry changed by hand since is left alone by logout --all.
	other := filepath.Join(t.TempDir(), "profiles.yaml")
	if r := run(t, "", sb.vars, "write-sdk-profile", "--profile", "prod", "--sdk-file", other); r.code != 0 {
		t.Fatal("write")
	}
	edited := strings.Replace(readFile(t, other), "$GDLOGIN_TOKEN_PROD", "$MY_OWN_TOKEN", 1)
	if err := os.WriteFile(other, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	r = run(t, "", sb.vars, "logout", "--all")
	if r.code != 0 {
		t.Fatalf("logout --all: exit %d %q", r.code, r.stderr)
	}
	mustContain(t, "stderr", r.stderr,
		`Removed entry "prod" from `+path,
		"warning: "+path+`: default_profile still names "prod", which is gone`,
		`Left entry "prod" in `+other+` alone: its host or token was changed since gdlogin wrote it.`)
	want = "# GoodData profiles for gooddata-sdk and tools built on it.\n# Tokens are read from the environment: eval \"$(gdlogin env)\" sets $GOODDATA_TOKEN.\nprofiles:\n  # the data team's own, not gdlogin's\n  notebook:\n    host: https://notebooks.example.com\n    token: $NOTEBOOK_TOKEN\ndefault_profile: prod\naccess: {}\n"
	if got := readFile(t, path); got != want {
		t.Fatalf("after logout --all:\n%s\nwant:\n%s", got, want)
	}
	if readFile(t, other) != edited {
		t.Fatal("logout --all changed an entry edited by hand")
	}
}

// TestSDKEntryCalledDefault: the SDK reads profile="default" as
// default_profile, so an entry called "default" in a file whose default is
// another one cannot be selected by name; gdlogin says so.
func TestSDKEntryCalledDefault(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	sb.save(org, "default", "john.doe", "johns-laptop", 0)
	path := writeSDKFile(t, profilesSDKFile)
	r := run(t, "", sb.vars, "write-sdk-profile", "--sdk-file", path)
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr, `The file's default_profile is "dev", and the SDK reads profile="default" as default_profile: this entry is reachable only as the default. Run again with --sdk-default, or with --sdk-profile NAME to write it under another name.`)
	if _, _, err := sdkLoad(t, path, "default", map[string]string{"GDLOGIN_TOKEN_DEFAULT": "x"}); err == nil || !strings.Contains(err.Error(), "GOODDATA_DEV_TOKEN") {
		t.Fatalf("the loader's rule: %v", err)
	}
	if r := run(t, "", sb.vars, "write-sdk-profile", "--sdk-file", path, "--sdk-default"); r.code != 0 {
		t.Fatal("--sdk-default")
	}
	if host, _, err := sdkLoad(t, path, "default", map[string]string{"GDLOGIN_TOKEN_DEFAULT": "x"}); err != nil || host != org.URL() {
		t.Fatalf("after --sdk-default: %s %v", host, err)
	}
}
