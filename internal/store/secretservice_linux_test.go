//go:build linux

package store

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gdlogin/gdlogin/internal/store/storetest"
)

// These tests run the store against a real Secret Service: a
// gnome-keyring-daemon in a private D-Bus session (storetest), reached
// through the production keyring (SystemKeyring, go-keyring over D-Bus).

// openSystem opens a store on the system keyring in a fresh config dir.
func openSystem(t *testing.T, mode Mode, timeout time.Duration) *testStore {
	t.Helper()
	warn := &bytes.Buffer{}
	base := t.TempDir()
	s, err := Open(Options{ConfigDir: base, Mode: mode, KeyringTimeout: timeout, LockTimeout: 30 * time.Second, Warn: &lockedWriter{buf: warn}})
	if err != nil {
		t.Fatal(err)
	}
	return &testStore{Store: s, base: base, warn: warn}
}

// keyringItem reads an item back with secret-tool and decodes the blob.
func keyringItem(t *testing.T, account string) (Secret, bool) {
	t.Helper()
	raw, ok := storetest.Lookup(t, KeyringService, account)
	if !ok {
		return Secret{}, false
	}
	sec, err := decodeSecret([]byte(raw))
	if err != nil {
		t.Fatalf("the keyring item %s is not a gdlogin secret: %v: %q", account, err, raw)
	}
	return sec, true
}

func TestSecretServiceSaveReadReplaceDelete(t *testing.T) {
	if !storetest.InPrivateSession(t) {
		return
	}
	storetest.StartSecretService(t)
	ctx := context.Background()
	for _, mode := range []Mode{ModeKeyring, ModeAuto} {
		s := openSystem(t, mode, 10*time.Second)
		name := "ss-" + string(mode)

		first := mustSave(t, s, testProfile(name), "tok-first-"+name)
		if first.SecretStore != LocationKeyring {
			t.Fatalf("%s: saved in %q, want the keyring", mode, first.SecretStore)
		}
		if sec, ok := keyringItem(t, first.secretKey); !ok || sec.Token != "tok-first-"+name {
			t.Fatalf("%s: secret-tool finds %+v, %v for account %s", mode, sec, ok, first.secretKey)
		}
		if got := mustSecret(t, s, name); got != "tok-first-"+name {
			t.Fatalf("%s: Secret = %q", mode, got)
		}
		if n := storetest.ItemCount(t, KeyringService); n != 1 {
			t.Fatalf("%s: secret-tool search finds %d gdlogin items, want 1", mode, n)
		}

		second := mustSave(t, s, testProfile(name), "tok-second-"+name)
		if second.secretKey == first.secretKey {
			t.Fatalf("%s: the replacement reused the account %s", mode, first.secretKey)
		}
		if _, ok := keyringItem(t, first.secretKey); ok {
			t.Errorf("%s: the replaced secret is still in the keyring (%s)", mode, first.secretKey)
		}
		if sec, ok := keyringItem(t, second.secretKey); !ok || sec.Token != "tok-second-"+name {
			t.Fatalf("%s: after replace secret-tool finds %+v, %v", mode, sec, ok)
		}
		if got := mustSecret(t, s, name); got != "tok-second-"+name {
			t.Fatalf("%s: Secret after replace = %q", mode, got)
		}

		// Nothing secret in config.yaml, no secret files, no warning.
		assertNotInConfig(t, s, "tok-first-"+name, "tok-second-"+name)
		if files := secretFiles(t, s); len(files) != 0 {
			t.Errorf("%s: secret files %v next to a working keyring", mode, files)
		}
		if rememberedFallback.Match(readFile(t, s.ConfigPath())) {
			t.Errorf("%s: config.yaml remembers a file fallback", mode)
		}
		if s.warn.Len() != 0 {
			t.Errorf("%s: warnings with a working keyring: %s", mode, s.warn)
		}

		if err := s.Delete(ctx, name); err != nil {
			t.Fatalf("%s: Delete: %v", mode, err)
		}
		if _, ok := keyringItem(t, second.secretKey); ok {
			t.Errorf("%s: the deleted profile's secret is still in the keyring", mode)
		}
		if _, err := s.Get(name); !errors.Is(err, ErrProfileNotFound) {
			t.Errorf("%s: Get after Delete: %v", mode, err)
		}
	}
	if n := storetest.ItemCount(t, KeyringService); n != 0 {
		t.Errorf("%d gdlogin items left in the keyring", n)
	}
}

func TestSecretServiceLocked(t *testing.T) {
	if !storetest.InPrivateSession(t) {
		return
	}
	ss := storetest.StartSecretService(t)
	ctx := context.Background()
	before := openSystem(t, ModeAuto, 10*time.Second)
	saved := mustSave(t, before, testProfile("locked"), "tok-before-lock")
	if saved.SecretStore != LocationKeyring {
		t.Fatalf("saved in %q before the lock", saved.SecretStore)
	}
	ss.Lock(t)

	// Reading a keyring secret fails; it is never looked for elsewhere.
	reader := openTestIn(t, before.base, ModeAuto, nil)
	reader.keyringTimeout = 5 * time.Second
	_, err := reader.Secret(ctx, "locked")
	if !errors.Is(err, ErrKeyringUnavailable) {
		t.Fatalf("Secret from a locked keyring: %v, want ErrKeyringUnavailable", err)
	}
	t.Logf("read from a locked keyring: %v", err)

	// An explicit keyring store refuses to fall back.
	strict := openSystem(t, ModeKeyring, 5*time.Second)
	_, err = strict.Save(ctx, testProfile("strict"), Secret{Token: "tok-strict"})
	var req *KeyringRequiredError
	if !errors.As(err, &req) || !strings.Contains(err.Error(), "the keyring secret store was requested but cannot be used") {
		t.Fatalf("Save(--store keyring) to a locked keyring: %v, want *KeyringRequiredError", err)
	}
	t.Logf("save to a locked keyring: %v", err)
	if _, err := os.Stat(strict.secretsDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("--store keyring wrote a secret file: %v", err)
	}
	if _, err := os.Stat(strict.ConfigPath()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("--store keyring wrote config.yaml after failing: %v", err)
	}

	// Auto falls back to a 0600 file, says so, and remembers it.
	auto := openSystem(t, ModeAuto, 5*time.Second)
	p, err := auto.Save(ctx, testProfile("auto"), Secret{Token: "tok-auto"})
	if err != nil {
		t.Fatalf("Save(auto) to a locked keyring: %v", err)
	}
	assertFileFallback(t, auto, p, "tok-auto")
	if n := storetest.ItemCount(t, KeyringService); n > 1 {
		t.Errorf("%d gdlogin items in the keyring, want only the one saved before the lock", n)
	}
}

func TestSecretServiceAbsent(t *testing.T) {
	if !storetest.InPrivateSession(t) {
		return
	}
	// A session bus with no Secret Service on it, and none to activate.
	ctx := context.Background()
	strict := openSystem(t, ModeKeyring, 5*time.Second)
	_, err := strict.Save(ctx, testProfile("strict"), Secret{Token: "tok-strict"})
	var req *KeyringRequiredError
	if !errors.As(err, &req) || !errors.Is(err, ErrKeyringUnavailable) {
		t.Fatalf("Save(--store keyring) without a Secret Service: %v, want *KeyringRequiredError", err)
	}
	t.Logf("save without a Secret Service: %v", err)
	if _, err := os.Stat(strict.secretsDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("--store keyring wrote a secret file: %v", err)
	}

	auto := openSystem(t, ModeAuto, 5*time.Second)
	p, err := auto.Save(ctx, testProfile("auto"), Secret{Token: "tok-auto"})
	if err != nil {
		t.Fatalf("Save(auto) without a Secret Service: %v", err)
	}
	assertFileFallback(t, auto, p, "tok-auto")

	// A later run goes straight to the file, without asking the keyring
	// or warning again.
	later := openTestIn(t, auto.base, ModeAuto, storetest.NewHanging(t))
	q := mustSave(t, later, testProfile("auto2"), "tok-auto2")
	if q.SecretStore != LocationFile || later.warn.Len() != 0 {
		t.Errorf("a later Save went to %q with warning %q", q.SecretStore, later.warn)
	}
}

func TestSecretServiceHangs(t *testing.T) {
	if !storetest.InPrivateSession(t) {
		return
	}
	ss := storetest.StartSecretService(t)
	ss.Hang(t)
	ctx := context.Background()
	const bound = 500 * time.Millisecond

	strict := openSystem(t, ModeKeyring, bound)
	_, err := strict.Save(ctx, testProfile("strict"), Secret{Token: "tok-strict"})
	var ke *KeyringError
	if !errors.As(err, &ke) || ke.Timeout != bound {
		t.Fatalf("Save(--store keyring) to a hanging keyring: %v, want a *KeyringError after %s", err, bound)
	}
	want := "OS keyring unavailable: set did not answer within 500ms (on Linux this usually means no Secret Service, e.g. gnome-keyring, on a D-Bus session)"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
	var req *KeyringRequiredError
	if !errors.As(err, &req) {
		t.Errorf("--store keyring fell back or failed otherwise: %v", err)
	}

	auto := openSystem(t, ModeAuto, bound)
	p, err := auto.Save(ctx, testProfile("auto"), Secret{Token: "tok-auto"})
	if err != nil {
		t.Fatalf("Save(auto) to a hanging keyring: %v", err)
	}
	assertFileFallback(t, auto, p, "tok-auto")
	if !strings.Contains(auto.warn.String(), "did not answer within 500ms") {
		t.Errorf("the warning does not say the keyring hung: %s", auto.warn)
	}
}

// assertFileFallback checks that p went to a 0600 file, that the user was
// told, and that config.yaml remembers it and holds no secret.
func assertFileFallback(t *testing.T, s *testStore, p Profile, token string) {
	t.Helper()
	if p.SecretStore != LocationFile {
		t.Fatalf("saved in %q, want the file fallback", p.SecretStore)
	}
	assertMode(t, s.secretPath(p.secretKey), 0o600)
	assertMode(t, s.secretsDir(), 0o700)
	if got := mustSecret(t, s, p.Name); got != token {
		t.Errorf("Secret = %q", got)
	}
	w := s.warn.String()
	for _, want := range []string{"warning: OS keyring unavailable", "secrets are now stored as files in " + s.secretsDir() + " (mode 0600)", "(secret_store: file)"} {
		if !strings.Contains(w, want) {
			t.Errorf("the warning lacks %q:\n%s", want, w)
		}
	}
	if !rememberedFallback.Match(readFile(t, s.ConfigPath())) {
		t.Errorf("config.yaml does not remember the fallback:\n%s", readFile(t, s.ConfigPath()))
	}
	assertNotInConfig(t, s, token)
}
