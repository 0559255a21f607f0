package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/gdlogin/gdlogin/internal/termtext"
)

// Options configures a Store. The zero value is production use.
type Options struct {
	// ConfigDir is the user configuration directory; the store lives in
	// ConfigDir/gdlogin. Empty means os.UserConfigDir().
	ConfigDir string
	// Mode chooses where new secrets go; empty means ModeAuto.
	Mode Mode
	// Keyring is the OS keyring; nil means SystemKeyring().
	Keyring Keyring
	// KeyringTimeout bounds each keyring call; zero means DefaultKeyringTimeout.
	KeyringTimeout time.Duration
	// LockTimeout bounds the wait for the store lock; zero means DefaultLockTimeout.
	LockTimeout time.Duration
	// Warn receives warnings for humans (the keyring fallback); nil means os.Stderr.
	Warn io.Writer
	// Now is the clock for CreatedAt; nil means time.Now.
	Now func() time.Time
}

// Store reads and writes gdlogin's profiles and secrets. It is safe for
// concurrent use by goroutines and by several processes.
type Store struct {
	dir            string
	mode           Mode
	keyring        Keyring
	keyringTimeout time.Duration
	lockTimeout    time.Duration
	warn           io.Writer
	now            func() time.Time

	// writeFile is writeFileAtomic; tests replace it to inject failures.
	writeFile func(path string, data []byte, perm fs.FileMode) error

	mu          sync.Mutex
	keyringDead error // set after a timed-out keyring call
	warned      bool  // the fallback warning was printed
}

// Open prepares a Store. It touches nothing on disk: directories and files
// are created by the first write.
func Open(opts Options) (*Store, error) {
	base := opts.ConfigDir
	if base == "" {
		d, err := os.UserConfigDir()
		if err != nil {
			return nil, fmt.Errorf("find the user config directory: %w", err)
		}
		base = d
	}
	mode, err := ParseMode(string(opts.Mode))
	if err != nil {
		return nil, err
	}
	s := &Store{
		dir:            filepath.Join(base, "gdlogin"),
		mode:           mode,
		keyring:        opts.Keyring,
		keyringTimeout: opts.KeyringTimeout,
		lockTimeout:    opts.LockTimeout,
		warn:           opts.Warn,
		now:            opts.Now,
		writeFile:      writeFileAtomic,
	}
	if s.keyring == nil {
		s.keyring = SystemKeyring()
	}
	if s.keyringTimeout <= 0 {
		s.keyringTimeout = DefaultKeyringTimeout
	}
	if s.lockTimeout <= 0 {
		s.lockTimeout = DefaultLockTimeout
	}
	if s.warn == nil {
		s.warn = os.Stderr
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Dir is the store's directory, <config dir>/gdlogin.
func (s *Store) Dir() string { return s.dir }

// ConfigPath is the path of config.yaml.
func (s *Store) ConfigPath() string { return s.configPath() }

// Mode is the mode new secrets are saved with.
func (s *Store) Mode() Mode { return s.mode }

func (s *Store) secretsDir() string { return filepath.Join(s.dir, secretsDirName) }

func (s *Store) secretPath(key string) string {
	return filepath.Join(s.secretsDir(), key+".json")
}

func notFound(name string) error {
	return fmt.Errorf("%w: %q (log in to create it)", ErrProfileNotFound, name)
}

// Get returns the profile called name.
func (s *Store) Get(name string) (Profile, error) {
	if err := ValidateName(name); err != nil {
		return Profile{}, err
	}
	cfg, err := s.loadConfig()
	if err != nil {
		return Profile{}, err
	}
	e, ok := cfg.Profiles[name]
	if !ok {
		return Profile{}, notFound(name)
	}
	return e.profile(name), nil
}

// List returns all profiles sorted by name.
func (s *Store) List() ([]Profile, error) {
	cfg, err := s.loadConfig()
	if err != nil {
		return nil, err
	}
	out := make([]Profile, 0, len(cfg.Profiles))
	for name, e := range cfg.Profiles {
		out = append(out, e.profile(name))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Secret returns the secret of the profile called name from wherever it lives.
func (s *Store) Secret(ctx context.Context, name string) (Secret, error) {
	if err := ValidateName(name); err != nil {
		return Secret{}, err
	}
	lastKey := ""
	for attempt := 1; ; attempt++ {
		cfg, err := s.loadConfig()
		if err != nil {
			return Secret{}, err
		}
		e, ok := cfg.Profiles[name]
		if !ok {
			return Secret{}, notFound(name)
		}
		data, err := s.readSecret(ctx, e)
		if errors.Is(err, ErrSecretNotFound) && e.SecretKey != lastKey && attempt < 3 {
			// A concurrent Save may have committed a new secret and
			// removed the one we were told about: look again once per
			// change of key.
			lastKey = e.SecretKey
			continue
		}
		if err != nil {
			return Secret{}, fmt.Errorf("read the secret of profile %q: %w", name, err)
		}
		sec, err := decodeSecret(data)
		if err != nil {
			return Secret{}, fmt.Errorf("read the secret of profile %q from the %s store: %w", name, e.SecretStore, err)
		}
		return sec, nil
	}
}

func (s *Store) readSecret(ctx context.Context, e profileEntry) ([]byte, error) {
	switch e.SecretStore {
	case LocationKeyring:
		data, err := s.keyringGet(ctx, e.SecretKey)
		if errors.Is(err, ErrSecretNotFound) {
			return nil, fmt.Errorf("%w in the OS keyring (service %q, account %q)", ErrSecretNotFound, KeyringService, e.SecretKey)
		}
		return data, err
	case LocationFile:
		return s.readSecretFile(s.secretPath(e.SecretKey))
	}
	return nil, fmt.Errorf("unknown secret store %q", e.SecretStore)
}

// readSecretFile reads a secret file that must be a regular file of the
// current user's, not a link, not readable by others, in a secrets
// directory of the current user's.
func (s *Store) readSecretFile(path string) ([]byte, error) {
	if err := checkOwnedIfExists(s.secretsDir()); err != nil {
		return nil, err
	}
	if secretOpenFlags == 0 {
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, &SymlinkSecretError{Path: path}
		}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|secretOpenFlags, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s is missing", ErrSecretNotFound, path)
	}
	if isSymlinkRefusal(err) {
		return nil, &SymlinkSecretError{Path: path}
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("secret file %s is not a regular file; gdlogin refuses to read it", path)
	}
	if err := checkOwner(path, fi); err != nil {
		return nil, err
	}
	if err := checkPrivate(path, fi); err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(f, 1<<20))
}

// Save stores a new login. The secret is written first, under a fresh key;
// only then is the profile committed to config.yaml; only then is the
// profile's previous secret removed. If any step fails, the previous profile
// and its secret stay intact and usable. Save fills in SecretStore, and
// CreatedAt when it is zero, in the returned profile.
func (s *Store) Save(ctx context.Context, p Profile, sec Secret) (Profile, error) {
	return s.replace(ctx, p, sec, nil)
}

// Rotate replaces the credentials of an existing profile as Save does, but
// only if the stored profile still has oldTokenID; otherwise it fails with
// ErrConflict and changes nothing. The caller deletes the old token on the
// server after Rotate succeeds, so a failure never leaves the profile
// pointing at a deleted token.
func (s *Store) Rotate(ctx context.Context, p Profile, sec Secret, oldTokenID string) (Profile, error) {
	return s.replace(ctx, p, sec, func(old profileEntry, ok bool) error {
		if !ok {
			return notFound(p.Name)
		}
		if old.TokenID != oldTokenID {
			return fmt.Errorf("profile %q now holds token %q, not %q: %w; run the command again", p.Name, old.TokenID, oldTokenID, ErrConflict)
		}
		return nil
	})
}

// Revision is what a login saw of a profile when it started: whether the
// profile existed, and which organization and token it held. A save with
// SaveIf goes through only if the profile still matches it, so that of
// concurrent logins into one profile the first to finish wins and the
// others learn it (an ID token renewed in place does not change it).
type Revision struct {
	exists        bool
	host, tokenID string
}

// Revision returns profile name's current revision; a missing profile
// has one too (it must still be missing).
func (s *Store) Revision(name string) (Revision, error) {
	p, err := s.Get(name)
	if errors.Is(err, ErrProfileNotFound) {
		return Revision{}, nil
	}
	if err != nil {
		return Revision{}, err
	}
	return Revision{exists: true, host: p.Host, tokenID: p.TokenID}, nil
}

// SaveIf saves as Save does, but only if the profile is still at rev;
// otherwise it fails with a *ChangedError (matching ErrConflict) and
// changes nothing.
func (s *Store) SaveIf(ctx context.Context, p Profile, sec Secret, rev Revision) (Profile, error) {
	return s.replace(ctx, p, sec, func(old profileEntry, ok bool) error {
		if ok == rev.exists && (!ok || old.Host == rev.host && old.TokenID == rev.tokenID) {
			return nil
		}
		ce := &ChangedError{Name: p.Name}
		if ok {
			now := old.profile(p.Name)
			ce.Now = &now
		}
		return ce
	})
}

func (s *Store) replace(ctx context.Context, p Profile, sec Secret, check func(old profileEntry, ok bool) error) (Profile, error) {
	p.OIDC = cloneOIDC(p.OIDC)
	if err := p.validate(); err != nil {
		return Profile{}, err
	}
	if sec.Token == "" {
		return Profile{}, fmt.Errorf("profile %q: refusing to save an empty token", p.Name)
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = s.now()
	}
	p.CreatedAt = p.CreatedAt.UTC().Truncate(time.Second)
	if !p.BookmarkWorked.IsZero() {
		p.BookmarkWorked = p.BookmarkWorked.UTC().Truncate(time.Second)
	}
	data, err := encodeSecret(sec)
	if err != nil {
		return Profile{}, fmt.Errorf("encode the secret: %w", err)
	}

	unlock, err := s.lock(ctx)
	if err != nil {
		return Profile{}, err
	}
	defer unlock()

	cfg, err := s.loadConfig()
	if err != nil {
		return Profile{}, err
	}
	old, hadOld := cfg.Profiles[p.Name]
	if check != nil {
		if err := check(old, hadOld); err != nil {
			return Profile{}, err
		}
	}

	key := newSecretKey(p.Name, old.SecretKey)
	stale := len(cfg.StaleKeyring)
	loc, remember, err := s.putSecret(ctx, cfg, p.Name, key, data)
	if err != nil {
		if len(cfg.StaleKeyring) > stale {
			// Nothing else changed: only the record of the item the
			// keyring may still write.
			_ = s.writeConfig(cfg)
		}
		return Profile{}, fmt.Errorf("save the secret of profile %q: %w", p.Name, err)
	}
	p.SecretStore, p.secretKey = loc, key
	// The SDK entries written for this profile stay its own across
	// re-logins and rotations: logout still finds them.
	p.SDKProfiles = append([]SDKEntry(nil), old.SDKProfiles...)
	cfg.Profiles[p.Name] = entryOf(p)
	switch {
	case remember:
		cfg.SecretStore = LocationFile
	case loc == LocationKeyring && s.mode == ModeKeyring:
		// An explicit keyring save worked: let auto mode try it again.
		cfg.SecretStore = ""
	}
	if err := s.writeConfig(cfg); err != nil {
		_ = s.removeSecret(ctx, loc, key)
		return Profile{}, fmt.Errorf("save profile %q: %w", p.Name, err)
	}
	if hadOld {
		if err := s.removeSecret(ctx, old.SecretStore, old.SecretKey); err != nil {
			s.warnf("warning: profile %q is saved, but its previous secret could not be removed from the %s store: %v\n", p.Name, old.SecretStore, err)
		}
	}
	s.sweepSecretFiles(cfg)
	return p, nil
}

// recordTimeout notes in cfg the keyring account of a write that timed
// out (or was given up on): the keyring may store it after all, and
// nothing would know of that item.
func recordTimeout(cfg *configFile, key string, err error) {
	var ke *KeyringError
	if (errors.As(err, &ke) && ke.Timeout > 0) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		if !slices.Contains(cfg.StaleKeyring, key) {
			cfg.StaleKeyring = append(cfg.StaleKeyring, key)
		}
	}
}

// SweepKeyring removes the keyring items whose writes timed out
// (recorded in config.yaml) once the keyring answers, and reports how
// many items it found and removed. An item a profile or the installation
// key now uses there is kept (and no longer recorded). Logout and tokens prune call it.
func (s *Store) SweepKeyring(ctx context.Context) (int, error) {
	// The common case, nothing recorded, takes no lock; the list is read
	// again under the lock.
	cfg, err := s.loadConfig()
	if err != nil || len(cfg.StaleKeyring) == 0 {
		return 0, err
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()
	if cfg, err = s.loadConfig(); err != nil {
		return 0, err
	}
	inUse := map[string]bool{}
	if cfg.InstallationKey == LocationKeyring {
		inUse[installationKeyName] = true
	}
	for _, e := range cfg.Profiles {
		if e.SecretStore == LocationKeyring {
			inUse[e.SecretKey] = true
		}
	}
	var left []string
	removed := 0
	var first error
	for _, key := range cfg.StaleKeyring {
		if inUse[key] {
			continue
		}
		err := s.keyringCall(ctx, "delete", func() error { return s.keyring.Delete(KeyringService, key) })
		switch {
		case err == nil:
			removed++
		case errors.Is(err, ErrSecretNotFound): // the write never landed
		default:
			left = append(left, key)
			if first == nil {
				first = err
			}
		}
	}
	if len(left) == len(cfg.StaleKeyring) {
		return 0, first
	}
	cfg.StaleKeyring = left
	if err := s.writeConfig(cfg); err != nil {
		return removed, err
	}
	return removed, first
}

// putSecret writes data under key and says where it went, and whether the
// fallback to files must be remembered in config.yaml.
func (s *Store) putSecret(ctx context.Context, cfg *configFile, name, key string, data []byte) (Location, bool, error) {
	switch s.mode {
	case ModeFile:
		return LocationFile, false, s.writeSecretFile(key, data)
	case ModeKeyring:
		err := s.keyringSet(ctx, key, data)
		if err == nil {
			return LocationKeyring, false, nil
		}
		recordTimeout(cfg, key, err)
		if ctx.Err() != nil {
			return "", false, err
		}
		return "", false, &KeyringRequiredError{Err: err}
	}
	// Auto.
	if cfg.SecretStore == LocationFile {
		return LocationFile, false, s.writeSecretFile(key, data)
	}
	err := s.keyringSet(ctx, key, data)
	if err == nil {
		return LocationKeyring, false, nil
	}
	recordTimeout(cfg, key, err)
	if ctx.Err() != nil {
		return "", false, err
	}
	tooBig := errors.Is(err, errTooBig)
	if !tooBig && !errors.Is(err, ErrKeyringUnavailable) {
		return "", false, err
	}
	if werr := s.writeSecretFile(key, data); werr != nil {
		return "", false, fmt.Errorf("%v; falling back to a file failed too: %w", err, werr)
	}
	path := s.secretPath(key)
	if tooBig {
		// A property of this secret, not of the keyring: do not remember.
		s.warnf("warning: the secret of profile %q is too large for the OS keyring; it is stored in %s (mode 0600) instead\n", name, path)
		return LocationFile, false, nil
	}
	s.mu.Lock()
	first := !s.warned
	s.warned = true
	s.mu.Unlock()
	if first {
		s.warnf("warning: %v\nwarning: secrets are now stored as files in %s (mode 0600); gdlogin remembers this in %s (secret_store: file) and will not try the keyring again unless asked to (--store keyring)\n", err, s.secretsDir(), s.configPath())
	}
	return LocationFile, true, nil
}

func (s *Store) writeSecretFile(key string, data []byte) error {
	if err := ensurePrivateDir(s.secretsDir()); err != nil {
		return err
	}
	return s.writeFile(s.secretPath(key), data, 0o600)
}

func (s *Store) removeSecret(ctx context.Context, loc Location, key string) error {
	switch loc {
	case LocationKeyring:
		return s.keyringDelete(ctx, key)
	case LocationFile:
		err := os.Remove(s.secretPath(key))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err == nil {
			return syncDir(s.secretsDir())
		}
		return nil
	}
	return fmt.Errorf("unknown secret store %q", loc)
}

// Delete removes the profile's secret from wherever it lives, then the
// profile. If the secret cannot be removed (say, the keyring does not
// answer) the profile stays, so its secret is never orphaned.
func (s *Store) Delete(ctx context.Context, name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	cfg, err := s.loadConfig()
	if err != nil {
		return err
	}
	e, ok := cfg.Profiles[name]
	if !ok {
		return notFound(name)
	}
	if err := s.removeSecret(ctx, e.SecretStore, e.SecretKey); err != nil {
		return fmt.Errorf("remove the secret of profile %q from the %s store: %w", name, e.SecretStore, err)
	}
	delete(cfg.Profiles, name)
	if err := s.writeConfig(cfg); err != nil {
		return fmt.Errorf("remove profile %q: %w", name, err)
	}
	s.sweepSecretFiles(cfg)
	return nil
}

// sweepSecretFiles removes files in secrets/ that no profile refers to: a
// secret orphaned by a crash between committing config.yaml and removing
// the previous secret, or an interrupted temp file. Writers hold the lock,
// so nothing in there is in flight. Best effort.
func (s *Store) sweepSecretFiles(cfg *configFile) {
	entries, err := os.ReadDir(s.secretsDir())
	if err != nil {
		return
	}
	keep := map[string]bool{}
	if cfg.InstallationKey == LocationFile {
		keep[installationKeyName+".json"] = true
	}
	for _, e := range cfg.Profiles {
		if e.SecretStore == LocationFile {
			keep[e.SecretKey+".json"] = true
		}
	}
	for _, e := range entries {
		if e.Type().IsRegular() && !keep[e.Name()] {
			_ = os.Remove(filepath.Join(s.secretsDir(), e.Name()))
		}
	}
}

// warnf writes a warning; its arguments (keyring errors, paths from the
// environment) pass through termtext.Sprintf.
func (s *Store) warnf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = io.WriteString(s.warn, termtext.Sprintf(format, args...))
}

// newSecretKey returns "<name>.<8 hex digits>", different from old.
func newSecretKey(name, old string) string {
	for {
		var b [4]byte
		_, _ = rand.Read(b[:])
		key := name + "." + hex.EncodeToString(b[:])
		if key != old {
			return key
		}
	}
}
