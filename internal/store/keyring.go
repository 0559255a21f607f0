package store

import (
	"context"
	"errors"
	"time"

	"github.com/zalando/go-keyring"
)

// KeyringService is the service name of every gdlogin keyring item.
const KeyringService = "gdlogin"

// DefaultKeyringTimeout bounds every keyring call.
const DefaultKeyringTimeout = 3 * time.Second

// Keyring is the part of an OS keyring the store needs. Get returns an error
// matching ErrSecretNotFound or keyring.ErrNotFound when the item is absent;
// any other error means the keyring is unusable. Calls may block forever:
// the store bounds each one with a timeout.
type Keyring interface {
	Set(service, user, secret string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

// SystemKeyring returns the OS keyring (macOS Keychain, Windows Credential
// Manager, the Secret Service on Linux).
func SystemKeyring() Keyring { return systemKeyring{} }

type systemKeyring struct{}

func (systemKeyring) Set(service, user, secret string) error {
	return keyring.Set(service, user, secret)
}
func (systemKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (systemKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }

// errTooBig is matched when the keyring refuses the size of a secret
// (macOS limits items): a property of this secret, not of the keyring.
var errTooBig = keyring.ErrSetDataTooBig

func isNotFound(err error) bool {
	return errors.Is(err, keyring.ErrNotFound) || errors.Is(err, ErrSecretNotFound)
}

// keyringCall runs fn in a goroutine and waits at most s.keyringTimeout.
// On timeout the goroutine is abandoned (a keyring call cannot be
// cancelled) and the keyring is marked dead for the rest of this Store's
// life, so one hang costs one timeout, not one per call.
//
// The result is nil, an error matching ErrSecretNotFound (Get/Delete of an
// absent item), errTooBig, ctx.Err(), or a *KeyringError.
func (s *Store) keyringCall(ctx context.Context, op string, fn func() error) error {
	if err := s.deadKeyring(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- fn() }()
	timer := time.NewTimer(s.keyringTimeout)
	defer timer.Stop()
	select {
	case err := <-done:
		switch {
		case err == nil:
			return nil
		case isNotFound(err):
			return ErrSecretNotFound
		case errors.Is(err, errTooBig):
			return err
		}
		return &KeyringError{Op: op, Err: err}
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		err := &KeyringError{Op: op, Timeout: s.keyringTimeout}
		s.mu.Lock()
		s.keyringDead = err
		s.mu.Unlock()
		return err
	}
}

func (s *Store) deadKeyring() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keyringDead != nil {
		return s.keyringDead
	}
	return nil
}

func (s *Store) keyringSet(ctx context.Context, account string, data []byte) error {
	return s.keyringCall(ctx, "set", func() error { return s.keyring.Set(KeyringService, account, string(data)) })
}

func (s *Store) keyringGet(ctx context.Context, account string) ([]byte, error) {
	var out string
	err := s.keyringCall(ctx, "get", func() error {
		v, err := s.keyring.Get(KeyringService, account)
		out = v
		return err
	})
	if err != nil {
		return nil, err
	}
	return []byte(out), nil
}

func (s *Store) keyringDelete(ctx context.Context, account string) error {
	err := s.keyringCall(ctx, "delete", func() error { return s.keyring.Delete(KeyringService, account) })
	if errors.Is(err, ErrSecretNotFound) {
		return nil
	}
	return err
}
