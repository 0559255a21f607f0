package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/orgsim"
	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
)

func fileMode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// secretFiles lists the files under the store's secrets/ directory.
func secretFiles(t *testing.T, sb *sandbox) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(sb.storeDir(), "secrets"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, filepath.Join(sb.storeDir(), "secrets", e.Name()))
	}
	return out
}

func TestSaveWithKeyringPresent(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	kr := newMemKeyring()
	sb := newSandbox(t, kr, 0)
	a, errb := sb.app("", "auto")
	bearer, err := org.IssueToken("john.doe", "laptop")
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.saveSeen(context.Background(), credential.Credential{Host: org.URL(), Profile: *profileOf(t, org, bearer),
		TokenID: "laptop", Token: gooddata.Secret(bearer), Method: methodToken, CreatedAt: a.env.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "default" || p.SecretStore != store.LocationKeyring || p.UserID != "john.doe" || p.OrganizationName != "Example Analytics" {
		t.Fatalf("saved %+v", p)
	}
	mustContain(t, "stderr", errb.String(), `Saved as profile "default" (token in the OS keyring).`)
	if kr.Len() != 1 || !strings.Contains(kr.Values()[0], bearer) {
		t.Fatalf("keyring holds %d items", kr.Len())
	}
	if files := secretFiles(t, sb); len(files) != 0 {
		t.Fatalf("secret files with a working keyring: %v", files)
	}
	cfg := readFile(t, sb.configPath())
	mustContain(t, "config.yaml", cfg, "laptop", "john.doe", org.URL(), "secret_store: keyring")
	assertNoSecret(t, "config.yaml", cfg, bearer)

	r := runPrivate(t, "", sb.vars, false, "token")
	if r.code != 0 || r.stdout != bearer+"\n" || r.stderr != "" {
		t.Fatalf("token: exit %d, stderr %q, stdout is the token: %v", r.code, r.stderr, r.stdout == bearer+"\n")
	}
}

func TestSaveWithoutKeyringFallsBackToPrivateFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no POSIX modes")
	}
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, absentKeyring{}, 0)
	a, errb := sb.app("", "auto")
	bearer, _ := org.IssueToken("john.doe", "laptop")
	cred := credential.Credential{Host: org.URL(), Profile: *profileOf(t, org, bearer), TokenID: "laptop", Token: gooddata.Secret(bearer), Method: methodToken}
	p, err := a.saveSeen(context.Background(), cred)
	if err != nil {
		t.Fatal(err)
	}
	if p.SecretStore != store.LocationFile {
		t.Fatalf("secret went to %s", p.SecretStore)
	}
	mustContain(t, "stderr", errb.String(), "OS keyring unavailable", "secrets are now stored as files", "token in a 0600 file under "+sb.storeDir())
	assertNoSecret(t, "stderr", errb.String(), bearer)

	files := secretFiles(t, sb)
	if len(files) != 1 {
		t.Fatalf("secret files %v", files)
	}
	for path, want := range map[string]fs.FileMode{
		sb.storeDir(): 0o700, filepath.Join(sb.storeDir(), "secrets"): 0o700, files[0]: 0o600, sb.configPath(): 0o600,
	} {
		if got := fileMode(t, path); got != want {
			t.Errorf("%s has mode %#o, want %#o", path, got, want)
		}
	}
	cfg := readFile(t, sb.configPath())
	mustContain(t, "config.yaml", cfg, "secret_store: file")
	assertNoSecret(t, "config.yaml", cfg, bearer)

	// The fallback is remembered: the next save says nothing about it.
	b, errb2 := sb.app("work", "auto")
	bearer2, _ := org.IssueToken("john.doe", "work")
	if _, err := b.saveSeen(context.Background(), credential.Credential{Host: org.URL(), Profile: *profileOf(t, org, bearer2),
		TokenID: "work", Token: gooddata.Secret(bearer2), Method: methodToken}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(errb2.String(), "warning") {
		t.Errorf("the fallback warning was repeated: %q", errb2)
	}
	for name, want := range map[string]string{"default": bearer, "work": bearer2} {
		r := runPrivate(t, "", sb.vars, false, "token", "--profile", name)
		if r.code != 0 || r.stdout != want+"\n" {
			t.Errorf("token --profile %s: exit %d", name, r.code)
		}
	}
}

func TestSaveWithHangingKeyringTimesOutAndFallsBack(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newHangingKeyring(t), 100*time.Millisecond)
	bearer := sb.save(org, "default", "john.doe", "laptop", 0)
	if files := secretFiles(t, sb); len(files) != 1 {
		t.Fatalf("secret files %v", files)
	}
	mustContain(t, "config.yaml", readFile(t, sb.configPath()), "secret_store: file")
	// Reading goes straight to the file: the keyring is not asked again.
	r := runPrivate(t, "", sb.vars, false, "token")
	if r.code != 0 || r.stdout != bearer+"\n" {
		t.Fatalf("token: exit %d %q", r.code, r.stderr)
	}
}

func TestHangingKeyringWarnsOnSave(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newHangingKeyring(t), 100*time.Millisecond)
	a, errb := sb.app("", "auto")
	bearer, _ := org.IssueToken("john.doe", "laptop")
	if _, err := a.saveSeen(context.Background(), credential.Credential{Host: org.URL(), Profile: *profileOf(t, org, bearer),
		TokenID: "laptop", Token: gooddata.Secret(bearer), Method: methodToken}); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "stderr", errb.String(), "did not answer within", "secrets are now stored as files")
}

func TestExplicitKeyringNeverFallsBack(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	for name, kr := range map[string]store.Keyring{"absent": absentKeyring{}, "hanging": newHangingKeyring(t)} {
		t.Run(name, func(t *testing.T) {
			sb := newSandbox(t, kr, 100*time.Millisecond)
			a, _ := sb.app("", "keyring")
			bearer, _ := org.IssueToken("john.doe", "kr-"+name)
			_, err := a.saveSeen(context.Background(), credential.Credential{Host: org.URL(), Profile: *profileOf(t, org, bearer),
				TokenID: "kr-" + name, Token: gooddata.Secret(bearer), Method: methodToken})
			if err == nil || exitCode(err) != ExitError || !strings.Contains(err.Error(), "keyring secret store was requested") {
				t.Fatalf("err %v (exit %d)", err, exitCode(err))
			}
			if failure.HintOf(err) == "" || !strings.Contains(failure.HintOf(err), "--store file") {
				t.Errorf("hint %q", failure.HintOf(err))
			}
			if files := secretFiles(t, sb); len(files) != 0 {
				t.Fatalf("fell back to files: %v", files)
			}
			// No profile is saved. A write that timed out is recorded, so
			// that a later logout or tokens prune removes what the keyring
			// may store after all; an absent keyring leaves no file.
			cfg, err := os.ReadFile(sb.configPath())
			switch {
			case name == "absent" && !errors.Is(err, fs.ErrNotExist):
				t.Fatalf("config.yaml written: %v", err)
			case name == "hanging" && (err != nil || !strings.Contains(string(cfg), "stale_keyring_items:") || strings.Contains(string(cfg), "secret_key")):
				t.Fatalf("config.yaml after a timed-out keyring write (%v):\n%s", err, cfg)
			}
		})
	}
}

func TestConcurrentSavesKeepEveryProfile(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	for mode, kr := range map[string]store.Keyring{"keyring": newMemKeyring(), "file": absentKeyring{}} {
		t.Run(mode, func(t *testing.T) {
			sb := newSandbox(t, kr, 0)
			const n = 6
			tokens := make([]string, n)
			for i := range tokens {
				var err error
				if tokens[i], err = org.IssueToken("john.doe", fmt.Sprintf("%s-%d", mode, i)); err != nil {
					t.Fatal(err)
				}
			}
			owner := *profileOf(t, org, tokens[0])
			var wg sync.WaitGroup
			errs := make([]error, n)
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					a, _ := sb.app(fmt.Sprintf("p%d", i), "auto")
					<-start
					_, errs[i] = a.saveSeen(context.Background(), credential.Credential{Host: org.URL(), Profile: owner,
						TokenID: fmt.Sprintf("%s-%d", mode, i), Token: gooddata.Secret(tokens[i]), Method: methodToken})
				}()
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("save p%d: %v", i, err)
				}
			}
			for i := range n {
				r := runPrivate(t, "", sb.vars, false, "token", "--profile", fmt.Sprintf("p%d", i))
				if r.code != 0 || r.stdout != tokens[i]+"\n" {
					t.Errorf("p%d lost or mixed up: exit %d %s", i, r.code, r.stderr)
				}
			}
			r := run(t, "", sb.vars, "status", "--output", "json")
			if r.code != 0 || strings.Count(r.stdout, `"valid": true`) != n {
				t.Fatalf("status: exit %d", r.code)
			}
		})
	}
}

func TestCorruptConfigIsReportedAndLeftAlone(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	if err := os.MkdirAll(sb.storeDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	corrupt := "version: 1\nprofiles:\n  default:\n    host: [https://analytics.example.com\n    user_id: john.doe\n"
	if err := os.WriteFile(sb.configPath(), []byte(corrupt), 0o600); err != nil {
		t.Fatal(err)
	}
	where := sb.configPath() + ":"
	for _, args := range [][]string{
		{"token"}, {"env"}, {"status"}, {"logout"}, {"logout", "--force"}, {"rotate"}, {"tokens", "list"},
		{"tokens", "delete", "--yes", "x"}, {"write-sdk-profile", "--sdk-file", filepath.Join(t.TempDir(), "p.yaml")},
	} {
		r := runPrivate(t, "", sb.vars, false, args...)
		if r.code != ExitError || r.stdout != "" {
			t.Errorf("%v: exit %d stdout %d bytes, want exit 1 and nothing", args, r.code, len(r.stdout))
		}
		mustContain(t, fmt.Sprint(args), r.stderr, "error: "+where, "left it unchanged", "hint: ")
	}
	a, _ := sb.app("", "auto")
	bearer, _ := org.IssueToken("john.doe", "after-corrupt")
	_, err := a.saveSeen(context.Background(), credential.Credential{Host: org.URL(), Profile: *profileOf(t, org, bearer),
		TokenID: "after-corrupt", Token: gooddata.Secret(bearer), Method: methodToken})
	if err == nil || !strings.Contains(err.Error(), where) {
		t.Fatalf("save into a corrupt config: %v", err)
	}
	if got := readFile(t, sb.configPath()); got != corrupt {
		t.Fatalf("the corrupt file was changed:\n%s", got)
	}
}

func TestCorruptConfigNamesTheLine(t *testing.T) {
	sb := newSandbox(t, newMemKeyring(), 0)
	if err := os.MkdirAll(sb.storeDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	corrupt := "version: 1\nprofiles:\n  default:\n    host: \"https://analytics.example.com\n"
	if err := os.WriteFile(sb.configPath(), []byte(corrupt), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, "", sb.vars, "status")
	if r.code != ExitError {
		t.Fatalf("exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr, sb.configPath()+":4:")
}

func TestLooseSecretFileIsRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no POSIX modes")
	}
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, absentKeyring{}, 0)
	bearer := sb.save(org, "default", "john.doe", "laptop", 0)
	files := secretFiles(t, sb)
	if len(files) != 1 {
		t.Fatalf("secret files %v", files)
	}
	if err := os.Chmod(files[0], 0o644); err != nil {
		t.Fatal(err)
	}
	r := runPrivate(t, "", sb.vars, false, "token")
	if r.code != ExitError || r.stdout != "" {
		t.Fatalf("exit %d, %d bytes on stdout", r.code, len(r.stdout))
	}
	mustContain(t, "stderr", r.stderr, files[0], "0644", "hint: chmod 600", "gdlogin rotate")
	assertNoSecret(t, "stderr", r.stderr, bearer)

	r = run(t, "", sb.vars, "status")
	if r.code != ExitError || !strings.Contains(r.stdout, "INVALID (secret error)") || !strings.Contains(r.stderr, "may be read by other users") {
		t.Fatalf("status with a loose secret file: exit %d", r.code)
	}

	if err := os.Chmod(files[0], 0o600); err != nil {
		t.Fatal(err)
	}
	if r := runPrivate(t, "", sb.vars, false, "token"); r.code != 0 || r.stdout != bearer+"\n" {
		t.Fatalf("after chmod 600: exit %d", r.code)
	}
}

func TestMissingProfile(t *testing.T) {
	sb := newSandbox(t, newMemKeyring(), 0)
	for _, args := range [][]string{
		{"token"}, {"env"}, {"logout"}, {"rotate"}, {"tokens", "list"}, {"tokens", "delete", "--yes", "x"}, {"write-sdk-profile"},
	} {
		r := run(t, "", sb.vars, args...)
		if r.code != ExitAuth || r.stdout != "" {
			t.Errorf("%v: exit %d, want 3", args, r.code)
		}
		mustContain(t, fmt.Sprint(args), r.stderr, `error: not logged in: there is no saved profile "default"`, "hint: log in first: gdlogin login ORG_URL")
	}
	r := run(t, "", sb.vars, "token", "--profile", "work")
	if r.code != ExitAuth {
		t.Fatalf("exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr, `there is no profile "work"`, "gdlogin login ORG_URL --profile work")

	r = run(t, "", sb.vars, "status")
	if r.code != ExitAuth || r.stdout != "" {
		t.Fatalf("status without profiles: exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr, "error: not logged in: no saved profiles in "+sb.configPath(), "hint: log in first: gdlogin login ORG_URL")
}

func TestProfileSelection(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	def := sb.save(org, "default", "john.doe", "t-default", 0)
	work := sb.save(org, "work", "admin", "t-work", 0)
	cases := []struct {
		vars map[string]string
		args []string
		want string
	}{
		{sb.vars, []string{"token"}, def},
		{sb.env(store.EnvProfile, "work"), []string{"token"}, work},
		{sb.env(store.EnvProfile, "work"), []string{"token", "--profile", "default"}, def},
		{sb.vars, []string{"token", "-p", "work"}, work},
	}
	for _, tc := range cases {
		r := runPrivate(t, "", tc.vars, false, tc.args...)
		if r.code != 0 || r.stdout != tc.want+"\n" {
			t.Errorf("%v with %s=%q: exit %d, wrong token or none", tc.args, store.EnvProfile, tc.vars[store.EnvProfile], r.code)
		}
	}
	r := run(t, "", sb.vars, "token", "--profile", "../etc")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "invalid profile name") {
		t.Fatalf("bad name: exit %d %q", r.code, r.stderr)
	}
	r = run(t, "", sb.env(store.EnvProfile, "no/slashes"), "token")
	if r.code != ExitUsage || !strings.Contains(r.stderr, store.EnvProfile) {
		t.Fatalf("bad %s: exit %d %q", store.EnvProfile, r.code, r.stderr)
	}
	r = run(t, "", sb.vars, "token", "--store", "floppy")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "--store") {
		t.Fatalf("bad --store: exit %d %q", r.code, r.stderr)
	}
}

func TestSecretGoneFromKeyring(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	kr := newMemKeyring()
	sb := newSandbox(t, kr, 0)
	sb.save(org, "default", "john.doe", "laptop", 0)
	kr.Clear()
	r := run(t, "", sb.vars, "token")
	if r.code != ExitAuth || r.stdout != "" {
		t.Fatalf("exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr, "secret not found in the OS keyring", "hint: the saved token is gone", "gdlogin login "+org.URL())

	r = run(t, "", sb.vars, "status")
	if r.code != ExitAuth {
		t.Fatalf("status: exit %d", r.code)
	}
	mustContain(t, "status stdout", r.stdout, "INVALID (secret missing)")
	mustContain(t, "status stderr", r.stderr, "(secret missing)", "log in again: gdlogin login "+org.URL())
}

func TestCompleteProfiles(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	sb.save(org, "default", "john.doe", "a", 0)
	sb.save(org, "work", "john.doe", "b", 0)
	a, _ := sb.app("", "auto")
	names, _ := a.completeProfiles(nil, nil, "")
	if want := []string{"default\t" + org.URL(), "work\t" + org.URL()}; strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("completions %q", names)
	}
}

func TestSaveOverAProfileSaysWhatItReplaced(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	sb.save(org, "default", "john.doe", "first", 0)
	a, errb := sb.app("", "auto")
	bearer, _ := org.IssueToken("john.doe", "second")
	if _, err := a.saveSeen(t.Context(), credential.Credential{Host: org.URL(), Profile: *profileOf(t, org, bearer),
		TokenID: "second", Token: gooddata.Secret(bearer), Method: methodToken}); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "stderr", errb.String(), `It replaces API token "first", now deleted on the server.`)
	if org.HasToken("john.doe", "first") || !org.HasToken("john.doe", "second") {
		t.Fatalf("john.doe's tokens after the re-login: %v", org.TokenIDs("john.doe"))
	}

	b, errb := sb.app("", "auto")
	admin, _ := org.IssueToken("admin", "third")
	if _, err := b.saveSeen(t.Context(), credential.Credential{Host: org.URL(), Profile: *profileOf(t, org, admin),
		TokenID: "third", Token: gooddata.Secret(admin), Method: methodToken}); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "stderr", errb.String(), `It replaces the login of john.doe on `+org.URL()+` (API token "second"), now deleted on the server.`)
	if org.HasToken("john.doe", "second") {
		t.Fatalf("john.doe's token outlived the profile's change of user: %v", org.TokenIDs("john.doe"))
	}
}
