// Package storetest holds the keyrings that tests of gdlogin's credential
// store and commands use in place of the OS keyring: one that works in
// memory, one that is absent, and one that hangs like a Secret Service
// waiting for an unlock prompt nobody sees.
package storetest

import (
	"errors"
	"sync"
	"testing"

	"github.com/zalando/go-keyring"
)

// ErrNoKeyring is what an absent keyring answers.
var ErrNoKeyring = errors.New("failed to open dbus connection: no session bus")

// Keyring is a working in-memory keyring. It answers a missing item with
// keyring.ErrNotFound, as the OS keyrings do.
type Keyring struct {
	mu     sync.Mutex
	items  map[string]string
	setErr error
	calls  int
}

// NewKeyring returns an empty working keyring.
func NewKeyring() *Keyring { return &Keyring{items: map[string]string{}} }

// FailSet makes every later Set fail with err (nil: work again), as a
// locked or full keyring does.
func (k *Keyring) FailSet(err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.setErr = err
}

// Set stores a secret.
func (k *Keyring) Set(service, user, secret string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls++
	if k.setErr != nil {
		return k.setErr
	}
	k.items[service+"/"+user] = secret
	return nil
}

// Get reads a secret.
func (k *Keyring) Get(service, user string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls++
	v, ok := k.items[service+"/"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

// Delete removes a secret.
func (k *Keyring) Delete(service, user string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls++
	if _, ok := k.items[service+"/"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(k.items, service+"/"+user)
	return nil
}

// Snapshot copies the items, keyed "service/user".
func (k *Keyring) Snapshot() map[string]string {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make(map[string]string, len(k.items))
	for a, b := range k.items {
		out[a] = b
	}
	return out
}

// Values lists the secrets, in no order.
func (k *Keyring) Values() []string {
	var out []string
	for _, v := range k.Snapshot() {
		out = append(out, v)
	}
	return out
}

// Len counts the items.
func (k *Keyring) Len() int { return len(k.Snapshot()) }

// Calls counts every Set, Get and Delete so far.
func (k *Keyring) Calls() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.calls
}

// Clear forgets every item, as a keyring reset does.
func (k *Keyring) Clear() {
	k.mu.Lock()
	defer k.mu.Unlock()
	clear(k.items)
}

// Absent is a machine without a keyring: every call fails at once.
type Absent struct{}

// Set fails.
func (Absent) Set(string, string, string) error { return ErrNoKeyring }

// Get fails.
func (Absent) Get(string, string) (string, error) { return "", ErrNoKeyring }

// Delete fails.
func (Absent) Delete(string, string) error { return ErrNoKeyring }

// Hanging never answers until the test ends.
type Hanging struct{ release chan struct{} }

// NewHanging returns a keyring whose calls return only when t ends.
func NewHanging(t testing.TB) *Hanging {
	k := &Hanging{release: make(chan struct{})}
	t.Cleanup(func() { close(k.release) })
	return k
}

// Set hangs.
func (k *Hanging) Set(string, string, string) error { <-k.release; return ErrNoKeyring }

// Get hangs.
func (k *Hanging) Get(string, string) (string, error) { <-k.release; return "", ErrNoKeyring }

// Delete hangs.
func (k *Hanging) Delete(string, string) error { <-k.release; return ErrNoKeyring }
