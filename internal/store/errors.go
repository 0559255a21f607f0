package store

import (
	"errors"
	"fmt"
	"io/fs"
	"time"
)

var (
	// ErrProfileNotFound is wrapped by errors about a profile that is not in config.yaml.
	ErrProfileNotFound = errors.New("profile not found")
	// ErrSecretNotFound means the profile exists but its secret is gone from its store.
	ErrSecretNotFound = errors.New("secret not found")
	// ErrKeyringUnavailable is matched (errors.Is) by every *KeyringError.
	ErrKeyringUnavailable = errors.New("OS keyring unavailable")
	// ErrConflict means a profile changed between reading it and replacing it.
	ErrConflict = errors.New("profile changed concurrently")
	// ErrInvalidName is wrapped by profile name validation errors.
	ErrInvalidName = errors.New("invalid profile name")
)

// KeyringError reports a keyring call that failed or did not answer in time.
// It matches ErrKeyringUnavailable.
type KeyringError struct {
	Op      string        // "set", "get" or "delete"
	Timeout time.Duration // non-zero when the call timed out
	Err     error         // the keyring's own error, nil on timeout
}

func (e *KeyringError) Error() string {
	if e.Timeout > 0 {
		return fmt.Sprintf("OS keyring unavailable: %s did not answer within %s (on Linux this usually means no Secret Service, e.g. gnome-keyring, on a D-Bus session)", e.Op, e.Timeout)
	}
	return fmt.Sprintf("OS keyring unavailable: %s: %v", e.Op, e.Err)
}

func (e *KeyringError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrKeyringUnavailable) true.
func (e *KeyringError) Is(target error) bool { return target == ErrKeyringUnavailable }

// KeyringRequiredError is returned when mode keyring was asked for explicitly
// and the keyring could not store or read the secret. gdlogin never falls back
// to a file in that case.
type KeyringRequiredError struct {
	Err error
}

func (e *KeyringRequiredError) Error() string {
	return fmt.Sprintf("the keyring secret store was requested but cannot be used: %v; fix the keyring, or choose the file store (a 0600 file) or auto", e.Err)
}

func (e *KeyringRequiredError) Unwrap() error { return e.Err }

// CorruptFileError reports a file gdlogin cannot parse. gdlogin never
// overwrites such a file.
type CorruptFileError struct {
	Path string
	Line int // 1-based; 0 when unknown
	Err  error
}

func (e *CorruptFileError) Error() string {
	where := e.Path
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d", e.Path, e.Line)
	}
	return fmt.Sprintf("%s: cannot read this file: %v (gdlogin left it unchanged; fix or move it away)", where, e.Err)
}

func (e *CorruptFileError) Unwrap() error { return e.Err }

// InsecurePermissionsError reports a secret file that group or others may read.
type InsecurePermissionsError struct {
	Path string
	Mode fs.FileMode
}

func (e *InsecurePermissionsError) Error() string {
	return fmt.Sprintf("secret file %s has mode %#o and may be read by other users; gdlogin refuses to use it: run chmod 600 %q, and consider rotating the token, which may have leaked", e.Path, e.Mode.Perm(), e.Path)
}

// LockTimeoutError reports that another process held the store lock too long.
type LockTimeoutError struct {
	Path    string
	Timeout time.Duration
}

func (e *LockTimeoutError) Error() string {
	return fmt.Sprintf("timed out after %s waiting for the lock %s: another gdlogin is saving credentials; try again when it has finished", e.Timeout, e.Path)
}

// ForeignOwnerError reports a store file or directory that another user
// owns. gdlogin refuses to read or write credentials there.
type ForeignOwnerError struct {
	Path  string
	Owner int // the owner's uid
	Me    int // the current effective uid
}

func (e *ForeignOwnerError) Error() string {
	return fmt.Sprintf("%s is owned by uid %d, not by you (uid %d); gdlogin refuses to use it, because that user could read or replace your credentials: if it is yours (created by gdlogin run with sudo, say), run sudo chown -R %d %q", e.Path, e.Owner, e.Me, e.Me, e.Path)
}

// SymlinkSecretError reports a secret file that is a symbolic link.
type SymlinkSecretError struct {
	Path string
}

func (e *SymlinkSecretError) Error() string {
	return fmt.Sprintf("secret file %s is a symbolic link; gdlogin refuses to follow it (a link could point at another user's file): remove it and log in again", e.Path)
}

// ChangedError reports a profile that another gdlogin saved (or removed)
// after this one read it. It matches ErrConflict.
type ChangedError struct {
	Name string
	// Now is what the profile holds now; nil when it was removed.
	Now *Profile
}

func (e *ChangedError) Error() string {
	switch {
	case e.Now == nil:
		return fmt.Sprintf("profile %q was removed by another gdlogin meanwhile", e.Name)
	case e.Now.TokenID != "":
		return fmt.Sprintf("another gdlogin saved profile %q meanwhile (it now holds API token %q on %s)", e.Name, e.Now.TokenID, e.Now.Host)
	}
	return fmt.Sprintf("another gdlogin saved profile %q meanwhile (it now holds a login to %s)", e.Name, e.Now.Host)
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ChangedError) Is(target error) bool { return target == ErrConflict }
