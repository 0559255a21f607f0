package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdlogin/gdlogin/internal/store/storetest"
	"github.com/gofrs/flock"
)

// Environment of a child process started by TestConcurrentSavesAcrossProcesses.
const (
	helperEnv      = "GDLOGIN_STORE_TEST_HELPER"
	helperDirEnv   = "GDLOGIN_STORE_TEST_DIR"
	helperIndexEnv = "GDLOGIN_STORE_TEST_INDEX"
	helperSaves    = 5
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(helperMain())
	}
	os.Exit(m.Run())
}

// helperMain is a separate gdlogin process saving its own profiles.
func helperMain() int {
	idx := os.Getenv(helperIndexEnv)
	s, err := Open(Options{ConfigDir: os.Getenv(helperDirEnv), Mode: ModeFile, LockTimeout: time.Minute})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for i := range helperSaves {
		name := fmt.Sprintf("proc%s-%d", idx, i)
		if _, err := s.Save(context.Background(), testProfile(name), Secret{Token: "tok-" + name}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

// The keyrings of these tests: working (in memory), absent, hanging.
type absentKeyring = storetest.Absent

var (
	newFakeKeyring    = storetest.NewKeyring
	newHangingKeyring = storetest.NewHanging
)

func testProfile(name string) Profile {
	return Profile{
		Name:             name,
		Host:             "https://analytics.example.com",
		UserID:           "john.doe",
		OrganizationID:   "example",
		OrganizationName: "Example Corp",
		TokenID:          "gdlogin-" + name,
		CreatedAt:        time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC),
		Method:           MethodBrowser,
	}
}

type testStore struct {
	*Store
	base string // the config dir passed in
	warn *bytes.Buffer
}

func openTest(t *testing.T, mode Mode, kr Keyring) *testStore {
	t.Helper()
	return openTestIn(t, t.TempDir(), mode, kr)
}

func openTestIn(t *testing.T, base string, mode Mode, kr Keyring) *testStore {
	t.Helper()
	warn := &bytes.Buffer{}
	s, err := Open(Options{
		ConfigDir:      base,
		Mode:           mode,
		Keyring:        kr,
		KeyringTimeout: 100 * time.Millisecond,
		LockTimeout:    30 * time.Second,
		Warn:           &lockedWriter{buf: warn},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &testStore{Store: s, base: base, warn: warn}
}

type lockedWriter struct {
	mu  sync.Mutex
	buf *bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func mustSave(t *testing.T, s *testStore, p Profile, token string) Profile {
	t.Helper()
	got, err := s.Save(context.Background(), p, Secret{Token: token})
	if err != nil {
		t.Fatalf("Save(%s): %v", p.Name, err)
	}
	return got
}

func mustSecret(t *testing.T, s *testStore, name string) string {
	t.Helper()
	sec, err := s.Secret(context.Background(), name)
	if err != nil {
		t.Fatalf("Secret(%s): %v", name, err)
	}
	return sec.Token
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func assertMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("mode of %s = %#o, want %#o", path, got, want)
	}
}

func assertNotInConfig(t *testing.T, s *testStore, secrets ...string) {
	t.Helper()
	cfg := readFile(t, s.ConfigPath())
	for _, sec := range secrets {
		if bytes.Contains(cfg, []byte(sec)) {
			t.Errorf("config.yaml contains the secret %q:\n%s", sec, cfg)
		}
	}
}

func secretFiles(t *testing.T, s *testStore) []string {
	t.Helper()
	entries, err := os.ReadDir(s.secretsDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// rememberedFallback matches the top-level key, not a profile's secret_store.
var rememberedFallback = regexp.MustCompile(`(?m)^secret_store: file$`)

func TestSaveWithKeyring(t *testing.T) {
	kr := newFakeKeyring()
	s := openTest(t, ModeAuto, kr)
	p := testProfile("default")
	p.Method = MethodOIDC
	p.OIDC = &OIDCSettings{Issuer: "https://login.example.com", ClientID: "gdlogin", Scopes: []string{"openid", "profile"}}
	sec := Secret{Token: "am9obi5kb2U6Z2Rsb2dpbjpzM2NyM3Q=", IDToken: "eyJ.id.token", IDTokenExpiry: time.Date(2025, 3, 4, 6, 0, 0, 0, time.UTC), RefreshToken: "refresh-s3cr3t"}

	saved, err := s.Save(context.Background(), p, sec)
	if err != nil {
		t.Fatal(err)
	}
	if saved.SecretStore != LocationKeyring {
		t.Errorf("SecretStore = %q, want keyring", saved.SecretStore)
	}
	got, err := s.Secret(context.Background(), "default")
	if err != nil {
		t.Fatal(err)
	}
	if got.Token != sec.Token || got.IDToken != sec.IDToken || !got.IDTokenExpiry.Equal(sec.IDTokenExpiry) || got.RefreshToken != sec.RefreshToken {
		t.Errorf("Secret() = %+v, want the saved secret", secretWire(got))
	}
	prof, err := s.Get("default")
	if err != nil {
		t.Fatal(err)
	}
	if prof.Host != p.Host || prof.UserID != "john.doe" || prof.TokenID != p.TokenID || !prof.CreatedAt.Equal(p.CreatedAt) ||
		prof.Method != MethodOIDC || prof.OIDC == nil || prof.OIDC.Issuer != "https://login.example.com" || len(prof.OIDC.Scopes) != 2 {
		t.Errorf("Get() = %+v", prof)
	}
	items := kr.Snapshot()
	if len(items) != 1 {
		t.Fatalf("keyring holds %d items, want 1: %v", len(items), items)
	}
	for k := range items {
		if !strings.HasPrefix(k, KeyringService+"/default.") {
			t.Errorf("keyring item %q, want service %q and account default.<id>", k, KeyringService)
		}
	}
	assertNotInConfig(t, s, sec.Token, sec.IDToken, sec.RefreshToken)
	if files := secretFiles(t, s); len(files) != 0 {
		t.Errorf("secret files %v written although the keyring works", files)
	}
	if s.warn.Len() != 0 {
		t.Errorf("unexpected warning: %s", s.warn)
	}
	assertMode(t, s.ConfigPath(), 0o600)
	assertMode(t, s.Dir(), 0o700)
}

func TestFallbackWhenKeyringAbsent(t *testing.T) {
	base := t.TempDir()
	s := openTestIn(t, base, ModeAuto, absentKeyring{})
	mustSave(t, s, testProfile("default"), "token-one")
	mustSave(t, s, testProfile("staging"), "token-two")

	if n := strings.Count(s.warn.String(), "OS keyring unavailable"); n != 1 {
		t.Errorf("warned %d times, want once:\n%s", n, s.warn)
	}
	if !strings.Contains(s.warn.String(), s.secretsDir()) {
		t.Errorf("warning does not say where the secret went:\n%s", s.warn)
	}
	for name, tok := range map[string]string{"default": "token-one", "staging": "token-two"} {
		p, err := s.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		if p.SecretStore != LocationFile {
			t.Errorf("%s: SecretStore = %q, want file", name, p.SecretStore)
		}
		if got := mustSecret(t, s, name); got != tok {
			t.Errorf("%s: token %q, want %q", name, got, tok)
		}
		assertMode(t, s.secretPath(p.secretKey), 0o600)
	}
	assertMode(t, s.Dir(), 0o700)
	assertMode(t, s.secretsDir(), 0o700)
	assertMode(t, s.ConfigPath(), 0o600)
	if !rememberedFallback.Match(readFile(t, s.ConfigPath())) {
		t.Errorf("config.yaml does not remember the fallback:\n%s", readFile(t, s.ConfigPath()))
	}
	assertNotInConfig(t, s, "token-one", "token-two")

	// A later run: no keyring call, no warning.
	kr := newFakeKeyring()
	later := openTestIn(t, base, ModeAuto, kr)
	mustSave(t, later, testProfile("prod"), "token-three")
	if got := mustSecret(t, later, "prod"); got != "token-three" {
		t.Errorf("token %q, want token-three", got)
	}
	if n := kr.Calls(); n != 0 {
		t.Errorf("a later run called the keyring %d times; the fallback should be remembered", n)
	}
	if later.warn.Len() != 0 {
		t.Errorf("a later run warned again:\n%s", later.warn)
	}
}

func TestFallbackWhenKeyringHangs(t *testing.T) {
	s := openTest(t, ModeAuto, newHangingKeyring(t))
	saved := mustSave(t, s, testProfile("default"), "token-hang")
	if saved.SecretStore != LocationFile {
		t.Fatalf("SecretStore = %q, want file after the keyring timed out", saved.SecretStore)
	}
	if !strings.Contains(s.warn.String(), "did not answer") {
		t.Errorf("warning does not explain the timeout:\n%s", s.warn)
	}
	if got := mustSecret(t, s, "default"); got != "token-hang" {
		t.Errorf("token %q, want token-hang", got)
	}
	// The remembered fallback means the hanging keyring is not asked again.
	mustSave(t, s, testProfile("default"), "token-hang-2")
	if got := mustSecret(t, s, "default"); got != "token-hang-2" {
		t.Errorf("token %q, want token-hang-2", got)
	}
	if files := secretFiles(t, s); len(files) != 1 {
		t.Errorf("secret files %v, want exactly the current one", files)
	}
}

func TestExplicitKeyringModeNeverFallsBack(t *testing.T) {
	for _, tc := range []struct {
		name string
		kr   func(t *testing.T) Keyring
	}{
		{"absent", func(*testing.T) Keyring { return absentKeyring{} }},
		{"hanging", func(t *testing.T) Keyring { return newHangingKeyring(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t, ModeKeyring, tc.kr(t))
			_, err := s.Save(context.Background(), testProfile("default"), Secret{Token: "token-x"})
			var req *KeyringRequiredError
			if !errors.As(err, &req) {
				t.Fatalf("Save error = %v, want *KeyringRequiredError", err)
			}
			if !errors.Is(err, ErrKeyringUnavailable) {
				t.Errorf("error does not match ErrKeyringUnavailable: %v", err)
			}
			for _, want := range []string{"keyring", "file store"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if _, err := s.Get("default"); !errors.Is(err, ErrProfileNotFound) {
				t.Errorf("Get after failed save: %v, want ErrProfileNotFound", err)
			}
			if files := secretFiles(t, s); len(files) != 0 {
				t.Errorf("secret files %v written in keyring mode", files)
			}
			if s.warn.Len() != 0 {
				t.Errorf("unexpected warning in keyring mode: %s", s.warn)
			}
		})
	}
}

func TestExplicitKeyringForgetsRememberedFallback(t *testing.T) {
	base := t.TempDir()
	mustSave(t, openTestIn(t, base, ModeAuto, absentKeyring{}), testProfile("default"), "t1")
	kr := newFakeKeyring()
	mustSave(t, openTestIn(t, base, ModeKeyring, kr), testProfile("default"), "t2")
	auto := openTestIn(t, base, ModeAuto, kr)
	if p := mustSave(t, auto, testProfile("other"), "t3"); p.SecretStore != LocationKeyring {
		t.Errorf("after an explicit keyring save, auto mode used %q, want keyring", p.SecretStore)
	}
	if files := secretFiles(t, auto); len(files) != 0 {
		t.Errorf("old secret files %v left behind", files)
	}
}

func TestFileModeStoresFiles(t *testing.T) {
	kr := newFakeKeyring()
	s := openTest(t, ModeFile, kr)
	p := mustSave(t, s, testProfile("default"), "file-token")
	if p.SecretStore != LocationFile {
		t.Errorf("SecretStore = %q, want file", p.SecretStore)
	}
	if kr.Calls() != 0 {
		t.Errorf("file mode called the keyring")
	}
	if s.warn.Len() != 0 {
		t.Errorf("file mode warned: %s", s.warn)
	}
	if rememberedFallback.Match(readFile(t, s.ConfigPath())) {
		t.Errorf("explicit file mode should not be remembered as a fallback")
	}
	assertMode(t, s.secretPath(p.secretKey), 0o600)
	assertMode(t, s.secretsDir(), 0o700)
}

func TestConcurrentSavesGoroutines(t *testing.T) {
	base := t.TempDir()
	kr := newFakeKeyring()
	const n = 24
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mode := ModeAuto
			if i%3 == 0 {
				mode = ModeFile
			}
			// Separate Store values, like separate commands.
			s := openTestIn(t, base, mode, kr)
			name := fmt.Sprintf("p%02d", i)
			if _, err := s.Save(context.Background(), testProfile(name), Secret{Token: "tok-" + name}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s := openTestIn(t, base, ModeAuto, kr)
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != n {
		t.Fatalf("List() has %d profiles, want %d", len(list), n)
	}
	for i, p := range list {
		want := fmt.Sprintf("p%02d", i)
		if p.Name != want {
			t.Errorf("List()[%d] = %s, want %s (sorted)", i, p.Name, want)
		}
		if got := mustSecret(t, s, p.Name); got != "tok-"+p.Name {
			t.Errorf("%s: token %q", p.Name, got)
		}
	}
}

func TestConcurrentSavesAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	base := t.TempDir()
	const procs = 6
	cmds := make([]*exec.Cmd, procs)
	outs := make([]*bytes.Buffer, procs)
	for i := range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"=1", helperDirEnv+"="+base, helperIndexEnv+"="+strconv.Itoa(i))
		outs[i] = &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = outs[i], outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("process %d: %v\n%s", i, err, outs[i])
		}
	}
	s := openTestIn(t, base, ModeFile, nil)
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != procs*helperSaves {
		t.Fatalf("%d profiles survived, want %d", len(list), procs*helperSaves)
	}
	for _, p := range list {
		if got := mustSecret(t, s, p.Name); got != "tok-"+p.Name {
			t.Errorf("%s: token %q", p.Name, got)
		}
	}
	if files := secretFiles(t, s); len(files) != procs*helperSaves {
		t.Errorf("%d secret files, want %d", len(files), procs*helperSaves)
	}
}

func TestCorruptConfigIsReportedAndKept(t *testing.T) {
	s := openTest(t, ModeFile, nil)
	if err := os.MkdirAll(s.Dir(), 0o700); err != nil {
		t.Fatal(err)
	}
	corrupt := []byte("version: 1\nprofiles:\n  default: [unclosed\n    host: https://analytics.example.com\n")
	if err := os.WriteFile(s.ConfigPath(), corrupt, 0o600); err != nil {
		t.Fatal(err)
	}
	check := func(op string, err error) {
		t.Helper()
		var ce *CorruptFileError
		if !errors.As(err, &ce) {
			t.Fatalf("%s: error %v, want *CorruptFileError", op, err)
		}
		if ce.Path != s.ConfigPath() || ce.Line == 0 {
			t.Errorf("%s: path %q line %d, want %q and a line", op, ce.Path, ce.Line, s.ConfigPath())
		}
		if msg := err.Error(); !strings.Contains(msg, s.ConfigPath()+":"+strconv.Itoa(ce.Line)) {
			t.Errorf("%s: message %q lacks path:line", op, msg)
		}
	}
	_, err := s.Save(context.Background(), testProfile("default"), Secret{Token: "t"})
	check("Save", err)
	_, err = s.Get("default")
	check("Get", err)
	_, err = s.List()
	check("List", err)
	check("Delete", s.Delete(context.Background(), "default"))
	if got := readFile(t, s.ConfigPath()); !bytes.Equal(got, corrupt) {
		t.Errorf("corrupt config.yaml changed:\n%s", got)
	}
	if files := secretFiles(t, s); len(files) != 0 {
		t.Errorf("secret files %v written next to a corrupt config", files)
	}
}

func TestCorruptConfigLineNumber(t *testing.T) {
	s := openTest(t, ModeFile, nil)
	if err := os.MkdirAll(s.Dir(), 0o700); err != nil {
		t.Fatal(err)
	}
	// A type error on line 4, not a syntax error.
	data := []byte("version: 1\nprofiles:\n  default:\n    created_at: [1, 2]\n")
	if err := os.WriteFile(s.ConfigPath(), data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := s.List()
	var ce *CorruptFileError
	if !errors.As(err, &ce) || ce.Line != 4 {
		t.Fatalf("error %v, want *CorruptFileError at line 4", err)
	}
}

func TestInsecureSecretFileIsRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	s := openTest(t, ModeFile, nil)
	p := mustSave(t, s, testProfile("default"), "leaky-token")
	path := s.secretPath(p.secretKey)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := s.Secret(context.Background(), "default")
	var pe *InsecurePermissionsError
	if !errors.As(err, &pe) {
		t.Fatalf("Secret error = %v, want *InsecurePermissionsError", err)
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("message %q should name the file and the fix", err)
	}
	if strings.Contains(err.Error(), "leaky-token") {
		t.Errorf("message leaks the token: %q", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := mustSecret(t, s, "default"); got != "leaky-token" {
		t.Errorf("token %q after chmod 600", got)
	}
}

func TestLooseStoreDirIsTightened(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	s := openTest(t, ModeFile, nil)
	if err := os.MkdirAll(s.secretsDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(s.Dir(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(s.secretsDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	mustSave(t, s, testProfile("default"), "tok")
	assertMode(t, s.Dir(), 0o700)
	assertMode(t, s.secretsDir(), 0o700)
}

func TestFailedSaveKeepsOldProfileAndSecret(t *testing.T) {
	newer := testProfile("default")
	newer.TokenID = "gdlogin-newer"
	newer.Host = "https://other.example.com"

	assertOld := func(t *testing.T, s *testStore, oldFiles []string) {
		t.Helper()
		p, err := s.Get("default")
		if err != nil {
			t.Fatal(err)
		}
		if p.TokenID != "gdlogin-default" || p.Host != "https://analytics.example.com" {
			t.Errorf("profile changed by a failed save: %+v", p)
		}
		if got := mustSecret(t, s, "default"); got != "old-token" {
			t.Errorf("secret changed by a failed save: %q", got)
		}
		if oldFiles != nil {
			if files := secretFiles(t, s); strings.Join(files, ",") != strings.Join(oldFiles, ",") {
				t.Errorf("secret files %v, want only %v", files, oldFiles)
			}
		}
	}

	t.Run("keyring set fails", func(t *testing.T) {
		kr := newFakeKeyring()
		s := openTest(t, ModeKeyring, kr)
		mustSave(t, s, testProfile("default"), "old-token")
		kr.FailSet(errors.New("keychain is locked"))
		if _, err := s.Save(context.Background(), newer, Secret{Token: "new-token"}); err == nil {
			t.Fatal("Save succeeded with a failing keyring")
		}
		assertOld(t, s, nil)
		if n := len(kr.Snapshot()); n != 1 {
			t.Errorf("keyring holds %d items, want the old one only", n)
		}
	})

	t.Run("secret file write fails", func(t *testing.T) {
		s := openTest(t, ModeFile, nil)
		mustSave(t, s, testProfile("default"), "old-token")
		old := secretFiles(t, s)
		s.writeFile = func(path string, data []byte, perm fs.FileMode) error {
			if strings.HasPrefix(path, s.secretsDir()) {
				return errors.New("disk full")
			}
			return writeFileAtomic(path, data, perm)
		}
		if _, err := s.Save(context.Background(), newer, Secret{Token: "new-token"}); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("Save error = %v, want disk full", err)
		}
		assertOld(t, s, old)
	})

	t.Run("config write fails after the secret", func(t *testing.T) {
		kr := newFakeKeyring()
		s := openTest(t, ModeAuto, kr)
		mustSave(t, s, testProfile("default"), "old-token")
		s.writeFile = func(path string, data []byte, perm fs.FileMode) error {
			if path == s.ConfigPath() {
				return errors.New("read-only file system")
			}
			return writeFileAtomic(path, data, perm)
		}
		if _, err := s.Save(context.Background(), newer, Secret{Token: "new-token"}); err == nil {
			t.Fatal("Save succeeded although config.yaml could not be written")
		}
		assertOld(t, s, nil)
		if n := len(kr.Snapshot()); n != 1 {
			t.Errorf("keyring holds %d items; the new secret should be rolled back", n)
		}
	})

	t.Run("invalid profile", func(t *testing.T) {
		s := openTest(t, ModeFile, nil)
		mustSave(t, s, testProfile("default"), "old-token")
		bad := newer
		bad.Host = "analytics.example.com"
		if _, err := s.Save(context.Background(), bad, Secret{Token: "new-token"}); err == nil {
			t.Fatal("Save accepted a host without scheme")
		}
		if _, err := s.Save(context.Background(), newer, Secret{}); err == nil {
			t.Fatal("Save accepted an empty token")
		}
		assertOld(t, s, nil)
	})
}

func TestSaveReplacesAndCleansUp(t *testing.T) {
	kr := newFakeKeyring()
	s := openTest(t, ModeAuto, kr)
	mustSave(t, s, testProfile("default"), "old-token")
	mustSave(t, s, testProfile("default"), "new-token")
	if got := mustSecret(t, s, "default"); got != "new-token" {
		t.Errorf("token %q, want new-token", got)
	}
	if n := len(kr.Snapshot()); n != 1 {
		t.Errorf("keyring holds %d items, want 1 (old secret removed)", n)
	}
}

func TestOrphanedSecretFilesAreSwept(t *testing.T) {
	s := openTest(t, ModeFile, nil)
	mustSave(t, s, testProfile("default"), "tok")
	orphans := []string{"default.0badf00d.json", ".default.1234.json.tmp-42"}
	for _, o := range orphans {
		if err := os.WriteFile(filepath.Join(s.secretsDir(), o), []byte(`{"token":"stale"}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	mustSave(t, s, testProfile("other"), "tok2")
	if files := secretFiles(t, s); len(files) != 2 {
		t.Errorf("secret files %v, want only the two live ones", files)
	}
	if got := mustSecret(t, s, "default"); got != "tok" {
		t.Errorf("live secret swept: %q", got)
	}
}

func TestRotate(t *testing.T) {
	kr := newFakeKeyring()
	s := openTest(t, ModeAuto, kr)
	ctx := context.Background()
	mustSave(t, s, testProfile("default"), "old-token")

	next := testProfile("default")
	next.TokenID = "gdlogin-rotated"
	if _, err := s.Rotate(ctx, next, Secret{Token: "rotated-token"}, "not-the-current-id"); !errors.Is(err, ErrConflict) {
		t.Fatalf("Rotate with a stale token id: %v, want ErrConflict", err)
	}
	if got := mustSecret(t, s, "default"); got != "old-token" {
		t.Fatalf("a refused rotation changed the secret to %q", got)
	}
	if _, err := s.Rotate(ctx, next, Secret{Token: "rotated-token"}, "gdlogin-default"); err != nil {
		t.Fatal(err)
	}
	p, _ := s.Get("default")
	if p.TokenID != "gdlogin-rotated" || mustSecret(t, s, "default") != "rotated-token" {
		t.Errorf("after Rotate: %+v", p)
	}
	if n := len(kr.Snapshot()); n != 1 {
		t.Errorf("keyring holds %d items after rotation, want 1", n)
	}
	missing := testProfile("missing")
	if _, err := s.Rotate(ctx, missing, Secret{Token: "x"}, "gdlogin-missing"); !errors.Is(err, ErrProfileNotFound) {
		t.Errorf("Rotate of a missing profile: %v, want ErrProfileNotFound", err)
	}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	t.Run("keyring", func(t *testing.T) {
		kr := newFakeKeyring()
		s := openTest(t, ModeAuto, kr)
		mustSave(t, s, testProfile("default"), "tok-a")
		mustSave(t, s, testProfile("keep"), "tok-b")
		if err := s.Delete(ctx, "default"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get("default"); !errors.Is(err, ErrProfileNotFound) {
			t.Errorf("Get after Delete: %v", err)
		}
		if n := len(kr.Snapshot()); n != 1 {
			t.Errorf("keyring holds %d items, want 1", n)
		}
		if got := mustSecret(t, s, "keep"); got != "tok-b" {
			t.Errorf("other profile's token %q", got)
		}
		if err := s.Delete(ctx, "default"); !errors.Is(err, ErrProfileNotFound) {
			t.Errorf("second Delete: %v, want ErrProfileNotFound", err)
		}
	})
	t.Run("file", func(t *testing.T) {
		s := openTest(t, ModeFile, nil)
		mustSave(t, s, testProfile("default"), "tok-a")
		if err := s.Delete(ctx, "default"); err != nil {
			t.Fatal(err)
		}
		if files := secretFiles(t, s); len(files) != 0 {
			t.Errorf("secret files %v left after Delete", files)
		}
	})
	t.Run("keyring unavailable keeps the profile", func(t *testing.T) {
		base := t.TempDir()
		mustSave(t, openTestIn(t, base, ModeAuto, newFakeKeyring()), testProfile("default"), "tok")
		s := openTestIn(t, base, ModeAuto, newHangingKeyring(t))
		err := s.Delete(ctx, "default")
		if !errors.Is(err, ErrKeyringUnavailable) {
			t.Fatalf("Delete error = %v, want ErrKeyringUnavailable", err)
		}
		if _, err := s.Get("default"); err != nil {
			t.Errorf("profile removed although its secret could not be: %v", err)
		}
	})
}

func TestSecretMissingFromKeyring(t *testing.T) {
	kr := newFakeKeyring()
	s := openTest(t, ModeAuto, kr)
	mustSave(t, s, testProfile("default"), "tok")
	kr.Clear()
	if _, err := s.Secret(context.Background(), "default"); !errors.Is(err, ErrSecretNotFound) {
		t.Errorf("Secret error = %v, want ErrSecretNotFound", err)
	}
}

func TestLockTimeout(t *testing.T) {
	s := openTest(t, ModeFile, nil)
	s.lockTimeout = 50 * time.Millisecond
	if err := os.MkdirAll(s.Dir(), 0o700); err != nil {
		t.Fatal(err)
	}
	held := flock.New(filepath.Join(s.Dir(), lockFileName))
	if err := held.Lock(); err != nil {
		t.Fatal(err)
	}
	defer held.Unlock()
	_, err := s.Save(context.Background(), testProfile("default"), Secret{Token: "t"})
	var le *LockTimeoutError
	if !errors.As(err, &le) {
		t.Fatalf("Save error = %v, want *LockTimeoutError", err)
	}
	if !strings.Contains(err.Error(), le.Path) || !strings.Contains(err.Error(), "another gdlogin") {
		t.Errorf("message %q should name the lock and the cause", err)
	}
}

func TestOpenDoesNotTouchDisk(t *testing.T) {
	base := t.TempDir()
	s := openTestIn(t, base, ModeAuto, newFakeKeyring())
	list, err := s.List()
	if err != nil || len(list) != 0 {
		t.Fatalf("List on an empty store = %v, %v", list, err)
	}
	if _, err := os.Stat(s.Dir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open/List created %s", s.Dir())
	}
	if _, err := s.Get("default"); !errors.Is(err, ErrProfileNotFound) {
		t.Errorf("Get on an empty store: %v", err)
	}
}

func TestNewerConfigVersionIsRefused(t *testing.T) {
	s := openTest(t, ModeFile, nil)
	if err := os.MkdirAll(s.Dir(), 0o700); err != nil {
		t.Fatal(err)
	}
	data := []byte("version: 99\nprofiles: {}\n")
	if err := os.WriteFile(s.ConfigPath(), data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Save(context.Background(), testProfile("default"), Secret{Token: "t"}); err == nil || !strings.Contains(err.Error(), "newer gdlogin") {
		t.Errorf("Save error = %v, want a newer-version error", err)
	}
	if got := readFile(t, s.ConfigPath()); !bytes.Equal(got, data) {
		t.Errorf("config.yaml changed")
	}
}

func TestValidateName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"default", true},
		{"john.doe", true},
		{"prod_eu-1", true},
		{"A", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{".hidden", false},
		{"-flag", false},
		{"a/b", false},
		{`a\b`, false},
		{"..", false},
		{"a b", false},
		{"con", false},
		{"NUL.txt", false},
		{"console", true},
	} {
		err := ValidateName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidName) {
			t.Errorf("ValidateName(%q) error does not match ErrInvalidName", tc.name)
		}
	}
}

func TestResolveName(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == EnvProfile {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		explicit string
		getenv   func(string) string
		want     string
		wantErr  bool
	}{
		{"", nil, "default", false},
		{"", env(""), "default", false},
		{"", env("staging"), "staging", false},
		{"prod", env("staging"), "prod", false},
		{"", env("bad/name"), "", true},
		{"bad/name", nil, "", true},
	} {
		got, err := ResolveName(tc.explicit, tc.getenv)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ResolveName(%q) = %q, %v; want %q, err=%v", tc.explicit, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": ModeAuto, "auto": ModeAuto, "keyring": ModeKeyring, "file": ModeFile} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseMode("vault"); err == nil {
		t.Error("ParseMode accepted an unknown mode")
	}
}

func TestSaveIfSavesOnlyWhatTheLoginSaw(t *testing.T) {
	s := openTest(t, ModeFile, nil)
	ctx := context.Background()
	absent, err := s.Revision("default")
	if err != nil {
		t.Fatal(err)
	}
	first := testProfile("default")
	first.TokenID = "gdlogin-first"
	if _, err := s.SaveIf(ctx, first, Secret{Token: "first-token"}, absent); err != nil {
		t.Fatalf("SaveIf into an absent profile that was absent: %v", err)
	}
	// A second login that also saw no profile lost the race.
	second := testProfile("default")
	second.TokenID = "gdlogin-second"
	_, err = s.SaveIf(ctx, second, Secret{Token: "second-token"}, absent)
	var ce *ChangedError
	if !errors.As(err, &ce) || !errors.Is(err, ErrConflict) || ce.Now == nil || ce.Now.TokenID != "gdlogin-first" {
		t.Fatalf("SaveIf after another save: %v (%+v), want a ChangedError naming gdlogin-first", err, ce)
	}
	if !strings.Contains(err.Error(), `"gdlogin-first"`) {
		t.Errorf("the error does not name what the profile holds now: %v", err)
	}
	if got := mustSecret(t, s, "default"); got != "first-token" {
		t.Fatalf("a refused SaveIf changed the secret to %q", got)
	}

	// Seen at gdlogin-first: saving goes through, and then the same
	// revision is stale.
	seen, err := s.Revision("default")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveIf(ctx, second, Secret{Token: "second-token"}, seen); err != nil {
		t.Fatalf("SaveIf at the current revision: %v", err)
	}
	third := testProfile("default")
	third.TokenID = "gdlogin-third"
	if _, err := s.SaveIf(ctx, third, Secret{Token: "third-token"}, seen); !errors.Is(err, ErrConflict) {
		t.Fatalf("SaveIf at a stale revision: %v, want ErrConflict", err)
	}

	// A renewal in place (same organization and token id) is not a change.
	cur, _ := s.Get("default")
	if _, err := s.Save(ctx, cur, Secret{Token: "second-token-renewed"}); err != nil {
		t.Fatal(err)
	}
	now, _ := s.Revision("default")
	if now != (Revision{exists: true, host: cur.Host, tokenID: "gdlogin-second"}) {
		t.Errorf("revision after a save in place: %+v", now)
	}
	if _, err := s.SaveIf(ctx, third, Secret{Token: "third-token"}, now); err != nil {
		t.Fatalf("SaveIf after a renewal in place: %v", err)
	}

	// A profile removed meanwhile.
	if err := s.Delete(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	_, err = s.SaveIf(ctx, first, Secret{Token: "first-token"}, now)
	if !errors.As(err, &ce) || ce.Now != nil || !strings.Contains(err.Error(), "removed") {
		t.Fatalf("SaveIf into a removed profile: %v", err)
	}
	if _, err := s.Get("default"); !errors.Is(err, ErrProfileNotFound) {
		t.Errorf("a refused SaveIf recreated the profile: %v", err)
	}
}
