//go:build unix

package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// fileStoreWithSecret saves one profile in the file store.
func fileStoreWithSecret(t *testing.T) (*testStore, Profile) {
	t.Helper()
	s := openTest(t, ModeFile, nil)
	p := mustSave(t, s, testProfile("default"), "tok-default")
	return s, p
}

func TestSymlinkedSecretFileIsRefused(t *testing.T) {
	s, p := fileStoreWithSecret(t)
	path := s.secretPath(p.secretKey)
	// A file of the same shape elsewhere: following the link would work.
	elsewhere := filepath.Join(t.TempDir(), "planted.json")
	if err := os.WriteFile(elsewhere, readFile(t, path), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, path); err != nil {
		t.Fatal(err)
	}
	_, err := s.Secret(context.Background(), "default")
	var se *SymlinkSecretError
	if !errors.As(err, &se) || se.Path != path {
		t.Fatalf("Secret through a symlink: %v, want *SymlinkSecretError for %s", err, path)
	}
	want := "secret file " + path + " is a symbolic link; gdlogin refuses to follow it"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
}

func TestSecretFileThatIsAFIFOIsRefusedAtOnce(t *testing.T) {
	s, p := fileStoreWithSecret(t)
	path := s.secretPath(p.secretKey)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	_, err := s.Secret(context.Background(), "default")
	if err == nil || !strings.Contains(err.Error(), "secret file "+path+" is not a regular file") {
		t.Fatalf("Secret from a FIFO: %v", err)
	}
}

// chownOrSkip gives path to another user; only root can.
func chownOrSkip(t *testing.T, path string) int {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("making a file of another user needs root")
	}
	const nobody = 65534
	if err := os.Lchown(path, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	return nobody
}

func TestStoreOwnedByAnotherUserIsRefused(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		path func(s *testStore, p Profile) string
		op   func(s *testStore) error
	}{
		{"config dir on read", func(s *testStore, _ Profile) string { return s.Dir() },
			func(s *testStore) error { _, err := s.Get("default"); return err }},
		{"config dir on save", func(s *testStore, _ Profile) string { return s.Dir() },
			func(s *testStore) error { _, err := s.Save(ctx, testProfile("other"), Secret{Token: "t"}); return err }},
		{"config.yaml", func(s *testStore, _ Profile) string { return s.ConfigPath() },
			func(s *testStore) error { _, err := s.List(); return err }},
		{"secrets dir on read", func(s *testStore, _ Profile) string { return s.secretsDir() },
			func(s *testStore) error { _, err := s.Secret(ctx, "default"); return err }},
		{"secrets dir on save", func(s *testStore, _ Profile) string { return s.secretsDir() },
			func(s *testStore) error { _, err := s.Save(ctx, testProfile("other"), Secret{Token: "t"}); return err }},
		{"secret file", func(s *testStore, p Profile) string { return s.secretPath(p.secretKey) },
			func(s *testStore) error { _, err := s.Secret(ctx, "default"); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, p := fileStoreWithSecret(t)
			path := tc.path(s, p)
			owner := chownOrSkip(t, path)
			err := tc.op(s)
			var fe *ForeignOwnerError
			if !errors.As(err, &fe) || fe.Path != path || fe.Owner != owner || fe.Me != os.Geteuid() {
				t.Fatalf("%s owned by %d: %v, want *ForeignOwnerError for it", path, owner, err)
			}
			want := path + " is owned by uid " + strconv.Itoa(owner) + ", not by you (uid 0); gdlogin refuses to use it"
			if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "sudo chown -R 0 ") {
				t.Errorf("error %q lacks %q and the chown fix", err, want)
			}
		})
	}
}
