package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/gofrs/flock"
)

// DefaultLockTimeout bounds the wait for another gdlogin's write.
const DefaultLockTimeout = 10 * time.Second

// writeFileAtomic replaces path with data so that readers and crashes see
// either the old or the new content: temp file in the same directory, fsync,
// rename over path, fsync of the directory. A symlink at path is followed,
// so a dotfile managed by a symlink farm keeps its link.
func writeFileAtomic(path string, data []byte, perm fs.FileMode) (err error) {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(perm); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable. Windows cannot open directories
// for syncing; its renames are durable enough for us.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// ensurePrivateDir creates dir with mode 0700, or tightens a directory gdlogin
// owns that has looser permissions. A directory another user owns is
// refused (*ForeignOwnerError).
func ensurePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := checkOwner(dir, fi); err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("restrict %s to mode 0700: %w", dir, err)
		}
	}
	return nil
}

// checkPrivate refuses a file that group or others can read or write.
func checkPrivate(path string, fi fs.FileInfo) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return &InsecurePermissionsError{Path: path, Mode: fi.Mode()}
	}
	return nil
}

// lock takes the exclusive store lock, waiting at most s.lockTimeout. The
// lock is flock(2) on a file next to config.yaml: the kernel drops it when a
// process dies, so a crash never leaves a stale lock behind.
func (s *Store) lock(ctx context.Context) (unlock func(), err error) {
	if err := ensurePrivateDir(s.dir); err != nil {
		return nil, err
	}
	path := filepath.Join(s.dir, lockFileName)
	fl := flock.New(path, flock.SetPermissions(0o600))
	wait, cancel := context.WithTimeout(ctx, s.lockTimeout)
	defer cancel()
	ok, err := fl.TryLockContext(wait, 20*time.Millisecond)
	if !ok || err != nil {
		_ = fl.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			return nil, &LockTimeoutError{Path: path, Timeout: s.lockTimeout}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { _ = fl.Unlock() }, nil
}

// checkOwnedIfExists refuses path when it exists and another user owns it.
func checkOwnedIfExists(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	return checkOwner(path, fi)
}
