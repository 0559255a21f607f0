package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// installationKeyName is the keyring account, and the secrets/ file name
// (plus ".json"), of the installation key. It cannot clash with a profile's
// secret key, which is always "<profile>.<8 hex digits>".
const installationKeyName = "installation-key"

// maxInstallationSecret bounds what the store accepts as the key's secret.
const maxInstallationSecret = 1 << 10

// installationWire is the JSON kept in the keyring or the secret file.
type installationWire struct {
	InstallationKey string `json:"installation_key"`
}

// InstallationKey returns the secret of gdlogin's installation key (SPEC
// 3.11): the one key that signs this installation's pairings. It lives in
// the same place a token would (the OS keyring, or a 0600 file under
// secrets/, by the rules of the store's Mode), and config.yaml records only
// where, never the key. On first use, or when the recorded key has gone
// from its store (a keyring reset), create makes a new one, which is saved
// before it is returned; created then is true. The store treats the secret
// as opaque text.
func (s *Store) InstallationKey(ctx context.Context, create func() (string, error)) (secret string, created bool, err error) {
	cfg, err := s.loadConfig()
	if err != nil {
		return "", false, err
	}
	if cfg.InstallationKey != "" {
		secret, err := s.readInstallationKey(ctx, cfg.InstallationKey)
		if !errors.Is(err, ErrSecretNotFound) {
			return secret, false, err
		}
	}

	unlock, err := s.lock(ctx)
	if err != nil {
		return "", false, err
	}
	defer unlock()
	// Another gdlogin may have made it meanwhile.
	if cfg, err = s.loadConfig(); err != nil {
		return "", false, err
	}
	if cfg.InstallationKey != "" {
		secret, err := s.readInstallationKey(ctx, cfg.InstallationKey)
		if !errors.Is(err, ErrSecretNotFound) {
			return secret, false, err
		}
	}
	secret, err = create()
	if err != nil {
		return "", false, err
	}
	if secret == "" || len(secret) > maxInstallationSecret {
		return "", false, fmt.Errorf("refusing to save an installation key of %d bytes", len(secret))
	}
	data, err := json.Marshal(installationWire{InstallationKey: secret})
	if err != nil {
		return "", false, fmt.Errorf("encode the installation key: %w", err)
	}
	stale := len(cfg.StaleKeyring)
	loc, remember, err := s.putSecret(ctx, cfg, "", installationKeyName, data)
	if err != nil {
		if len(cfg.StaleKeyring) > stale {
			_ = s.writeConfig(cfg) // only the record of the item the keyring may still write
		}
		return "", false, fmt.Errorf("save the installation key: %w", err)
	}
	cfg.InstallationKey = loc
	if remember {
		cfg.SecretStore = LocationFile
	}
	if err := s.writeConfig(cfg); err != nil {
		_ = s.removeSecret(ctx, loc, installationKeyName)
		return "", false, fmt.Errorf("save the installation key: %w", err)
	}
	return secret, true, nil
}

func (s *Store) readInstallationKey(ctx context.Context, loc Location) (string, error) {
	data, err := s.readSecret(ctx, profileEntry{SecretStore: loc, SecretKey: installationKeyName})
	if err != nil {
		return "", fmt.Errorf("read the installation key: %w", err)
	}
	var w installationWire
	if err := json.Unmarshal(data, &w); err != nil || w.InstallationKey == "" {
		// Never quote the content: it is a private key.
		return "", fmt.Errorf("read the installation key from the %s store: it is damaged (forget it with gdlogin forget-installation)", loc)
	}
	return w.InstallationKey, nil
}

// ForgetInstallationKey removes the installation key from its store and
// from config.yaml; the next InstallationKey makes a new one. It reports
// whether there was a key to forget. If the key cannot be removed (the
// keyring does not answer), config.yaml keeps pointing at it and the error
// says why, so that the key is never left behind unrecorded.
func (s *Store) ForgetInstallationKey(ctx context.Context) (bool, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return false, err
	}
	defer unlock()
	cfg, err := s.loadConfig()
	if err != nil {
		return false, err
	}
	loc := cfg.InstallationKey
	if loc == "" {
		return false, nil
	}
	if err := s.removeSecret(ctx, loc, installationKeyName); err != nil {
		return false, fmt.Errorf("remove the installation key from the %s store: %w", loc, err)
	}
	cfg.InstallationKey = ""
	if err := s.writeConfig(cfg); err != nil {
		return false, fmt.Errorf("forget the installation key: %w", err)
	}
	return true, nil
}

// InstallationKeyLocation says where the installation key lives, or ""
// when there is none yet.
func (s *Store) InstallationKeyLocation() (Location, error) {
	cfg, err := s.loadConfig()
	if err != nil {
		return "", err
	}
	return cfg.InstallationKey, nil
}
