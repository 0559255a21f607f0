package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// keyMaker returns a create function that makes "secret-1", "secret-2", …
// and counts its calls.
func keyMaker() (func() (string, error), *int) {
	n := 0
	var mu sync.Mutex
	return func() (string, error) {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("gdlogin-ik1:secret-%d", n), nil
	}, &n
}

func mustInstallationKey(t *testing.T, s *testStore, create func() (string, error)) (string, bool) {
	t.Helper()
	k, created, err := s.InstallationKey(context.Background(), create)
	if err != nil {
		t.Fatalf("InstallationKey: %v", err)
	}
	return k, created
}

func TestInstallationKeyInKeyring(t *testing.T) {
	kr := newFakeKeyring()
	base := t.TempDir()
	s := openTestIn(t, base, ModeAuto, kr)
	create, calls := keyMaker()
	k, created := mustInstallationKey(t, s, create)
	if k != "gdlogin-ik1:secret-1" || !created {
		t.Fatalf("first use: %q, created %v", k, created)
	}
	if got := kr.Snapshot()[KeyringService+"/installation-key"]; got != `{"installation_key":"gdlogin-ik1:secret-1"}` {
		t.Errorf("keyring item %q", got)
	}
	cfg := string(readFile(t, s.ConfigPath()))
	if !strings.Contains(cfg, "\ninstallation_key: keyring\n") {
		t.Errorf("config.yaml does not record where the key is:\n%s", cfg)
	}
	assertNotInConfig(t, s, "secret-1")
	if files := secretFiles(t, s); len(files) != 0 {
		t.Errorf("secret files %v with a working keyring", files)
	}

	// A later run reads the same key and makes none.
	later := openTestIn(t, base, ModeAuto, kr)
	k, created = mustInstallationKey(t, later, create)
	if k != "gdlogin-ik1:secret-1" || created || *calls != 1 {
		t.Fatalf("later run: %q, created %v, %d keys made", k, created, *calls)
	}
	// Saving and deleting profiles keeps it.
	mustSave(t, later, testProfile("default"), "token-one")
	if err := later.Delete(context.Background(), "default"); err != nil {
		t.Fatal(err)
	}
	if k, _ := mustInstallationKey(t, later, create); k != "gdlogin-ik1:secret-1" {
		t.Fatalf("after profile changes: %q", k)
	}
}

func TestInstallationKeyInFileStore(t *testing.T) {
	base := t.TempDir()
	s := openTestIn(t, base, ModeFile, newFakeKeyring())
	create, calls := keyMaker()
	k, _ := mustInstallationKey(t, s, create)
	path := filepath.Join(s.secretsDir(), "installation-key.json")
	if got := string(readFile(t, path)); got != `{"installation_key":"gdlogin-ik1:secret-1"}` {
		t.Errorf("%s holds %q", path, got)
	}
	assertMode(t, path, 0o600)
	assertMode(t, s.secretsDir(), 0o700)
	assertNotInConfig(t, s, "secret-1")

	// The sweep of orphaned secret files, run by every save, keeps it.
	mustSave(t, s, testProfile("default"), "token-one")
	mustSave(t, s, testProfile("default"), "token-two")
	if files := secretFiles(t, s); !slices.Contains(files, "installation-key.json") || len(files) != 2 {
		t.Fatalf("secret files %v", files)
	}
	// Read back whatever the mode of the later run: where it lives is recorded.
	later := openTestIn(t, base, ModeAuto, newFakeKeyring())
	if got, created := mustInstallationKey(t, later, create); got != k || created || *calls != 1 {
		t.Fatalf("later run: %q, created %v, %d made", got, created, *calls)
	}
}

func TestInstallationKeyFallsBackLikeTokens(t *testing.T) {
	s := openTest(t, ModeAuto, absentKeyring{})
	create, _ := keyMaker()
	mustInstallationKey(t, s, create)
	if loc, err := s.InstallationKeyLocation(); err != nil || loc != LocationFile {
		t.Fatalf("location %q, %v; want file", loc, err)
	}
	if !strings.Contains(s.warn.String(), "OS keyring unavailable") {
		t.Errorf("no warning about the fallback:\n%s", s.warn)
	}
	if !rememberedFallback.Match(readFile(t, s.ConfigPath())) {
		t.Errorf("config.yaml does not remember the fallback:\n%s", readFile(t, s.ConfigPath()))
	}
}

func TestInstallationKeyExplicitKeyringNeverFallsBack(t *testing.T) {
	s := openTest(t, ModeKeyring, absentKeyring{})
	create, calls := keyMaker()
	_, _, err := s.InstallationKey(context.Background(), create)
	var required *KeyringRequiredError
	if !errors.As(err, &required) {
		t.Fatalf("err = %v, want KeyringRequiredError", err)
	}
	if files := secretFiles(t, s); len(files) != 0 {
		t.Errorf("secret files %v after a refused keyring save", files)
	}
	if _, err := os.Stat(s.ConfigPath()); err == nil {
		if loc, _ := s.InstallationKeyLocation(); loc != "" {
			t.Errorf("config.yaml records a key at %q that was never saved", loc)
		}
	}
	if *calls != 1 {
		t.Errorf("%d keys made", *calls)
	}
}

func TestForgetInstallationKey(t *testing.T) {
	for _, mode := range []Mode{ModeKeyring, ModeFile} {
		t.Run(string(mode), func(t *testing.T) {
			kr := newFakeKeyring()
			s := openTest(t, mode, kr)
			create, _ := keyMaker()
			if forgot, err := s.ForgetInstallationKey(context.Background()); err != nil || forgot {
				t.Fatalf("forget before any key: %v, %v", forgot, err)
			}
			mustInstallationKey(t, s, create)
			forgot, err := s.ForgetInstallationKey(context.Background())
			if err != nil || !forgot {
				t.Fatalf("forget: %v, %v", forgot, err)
			}
			if kr.Len() != 0 || len(secretFiles(t, s)) != 0 {
				t.Errorf("left behind: keyring %v, files %v", kr.Snapshot(), secretFiles(t, s))
			}
			if strings.Contains(string(readFile(t, s.ConfigPath())), "installation_key") {
				t.Errorf("config.yaml still records a key:\n%s", readFile(t, s.ConfigPath()))
			}
			// The next use makes a new key.
			if k, created := mustInstallationKey(t, s, create); k != "gdlogin-ik1:secret-2" || !created {
				t.Fatalf("after forgetting: %q, created %v", k, created)
			}
		})
	}
}

func TestForgetInstallationKeyKeepsTheRecordWhenTheKeyringFails(t *testing.T) {
	base := t.TempDir()
	s := openTestIn(t, base, ModeKeyring, newFakeKeyring())
	create, _ := keyMaker()
	mustInstallationKey(t, s, create)
	dead := openTestIn(t, base, ModeKeyring, absentKeyring{})
	if _, err := dead.ForgetInstallationKey(context.Background()); !errors.Is(err, ErrKeyringUnavailable) {
		t.Fatalf("err = %v, want the keyring failure", err)
	}
	if loc, _ := dead.InstallationKeyLocation(); loc != LocationKeyring {
		t.Errorf("location %q after a failed forget, want keyring", loc)
	}
}

func TestInstallationKeyGoneFromKeyringIsMadeAgain(t *testing.T) {
	kr := newFakeKeyring()
	s := openTest(t, ModeAuto, kr)
	create, _ := keyMaker()
	mustInstallationKey(t, s, create)
	kr.Clear() // a keyring reset
	if k, created := mustInstallationKey(t, s, create); k != "gdlogin-ik1:secret-2" || !created {
		t.Fatalf("after a keyring reset: %q, created %v", k, created)
	}
}

func TestInstallationKeyUnreadableIsAnError(t *testing.T) {
	base := t.TempDir()
	s := openTestIn(t, base, ModeKeyring, newFakeKeyring())
	create, calls := keyMaker()
	mustInstallationKey(t, s, create)
	// The keyring holding it does not answer: an error, not a new key
	// that would make every browser ask again.
	dead := openTestIn(t, base, ModeAuto, absentKeyring{})
	if _, _, err := dead.InstallationKey(context.Background(), create); !errors.Is(err, ErrKeyringUnavailable) {
		t.Fatalf("err = %v, want the keyring failure", err)
	}
	// A damaged item: an error that quotes nothing of it.
	kr := newFakeKeyring()
	bad := openTest(t, ModeKeyring, kr)
	mustInstallationKey(t, bad, create)
	kr.Set(KeyringService, "installation-key", "gdlogin-ik1:half-a-key")
	_, _, err := bad.InstallationKey(context.Background(), create)
	if err == nil || strings.Contains(err.Error(), "half-a-key") || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("err = %v", err)
	}
	if *calls != 2 {
		t.Errorf("%d keys made, want 2", *calls)
	}
}

func TestInstallationKeyInsecureFileIsRefused(t *testing.T) {
	s := openTest(t, ModeFile, absentKeyring{})
	create, _ := keyMaker()
	mustInstallationKey(t, s, create)
	path := filepath.Join(s.secretsDir(), "installation-key.json")
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	var insecure *InsecurePermissionsError
	if _, _, err := s.InstallationKey(context.Background(), create); !errors.As(err, &insecure) {
		t.Fatalf("err = %v, want InsecurePermissionsError", err)
	}
}

func TestInstallationKeyConcurrentFirstUse(t *testing.T) {
	base := t.TempDir()
	kr := newFakeKeyring()
	create, calls := keyMaker()
	var wg sync.WaitGroup
	keys := make([]string, 8)
	for i := range keys {
		wg.Go(func() {
			s := openTestIn(t, base, ModeAuto, kr)
			k, _, err := s.InstallationKey(context.Background(), create)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	if *calls != 1 {
		t.Errorf("%d keys made by concurrent first uses, want 1", *calls)
	}
	for _, k := range keys {
		if k != keys[0] {
			t.Fatalf("concurrent first uses got different keys: %q", keys)
		}
	}
}

func TestCorruptInstallationKeyLocation(t *testing.T) {
	s := openTest(t, ModeAuto, newFakeKeyring())
	if err := os.MkdirAll(s.Dir(), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.ConfigPath(), []byte("version: 1\ninstallation_key: paper\nprofiles: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var corrupt *CorruptFileError
	if _, err := s.InstallationKeyLocation(); !errors.As(err, &corrupt) {
		t.Fatalf("err = %v, want CorruptFileError", err)
	}
}
