package store

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/gdlogin/gdlogin/internal/poll"
	"github.com/gdlogin/gdlogin/internal/store/storetest"
)

// lateKeyring holds every Set until released, then stores it: a keyring
// that answers after gdlogin gave up on it, as a slow Secret Service does.
type lateKeyring struct {
	*storetest.Keyring
	mu      sync.Mutex
	release chan struct{} // nil: answer at once
}

func (k *lateKeyring) Set(service, user, secret string) error {
	k.mu.Lock()
	wait := k.release
	k.mu.Unlock()
	if wait != nil {
		<-wait
	}
	return k.Keyring.Set(service, user, secret)
}

// TestTimedOutKeyringWriteIsRecordedAndSwept: a keyring write that timed
// out is recorded in config.yaml; when the keyring stores it anyway, a
// later sweep (logout, tokens prune) removes that item, and only it.
func TestTimedOutKeyringWriteIsRecordedAndSwept(t *testing.T) {
	kr := &lateKeyring{Keyring: newFakeKeyring(), release: make(chan struct{})}
	base := t.TempDir()
	s := openTestIn(t, base, ModeAuto, kr)
	ctx := context.Background()
	p, err := s.Save(ctx, testProfile("default"), Secret{Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	if p.SecretStore != LocationFile {
		t.Fatalf("a timed-out keyring write saved to %s, want the file fallback", p.SecretStore)
	}
	cfg, err := s.loadConfig()
	if err != nil || !slices.Equal(cfg.StaleKeyring, []string{p.secretKey}) {
		t.Fatalf("config.yaml records %v (%v), want the timed-out account %q", cfg.StaleKeyring, err, p.secretKey)
	}

	// The keyring answers late and stores the secret nobody asked for.
	close(kr.release)
	poll.Until(t, "the late keyring write to land", func() bool { return kr.Len() == 1 })
	kr.mu.Lock()
	kr.release = nil
	kr.mu.Unlock()

	// Another profile really in the keyring is not touched by the sweep.
	later := openTestIn(t, base, ModeKeyring, kr)
	if _, err := later.Save(ctx, testProfile("work"), Secret{Token: "work-tok"}); err != nil {
		t.Fatal(err)
	}
	n, err := later.SweepKeyring(ctx)
	if err != nil || n != 1 {
		t.Fatalf("sweep removed %d (%v), want the one late item", n, err)
	}
	items := kr.Snapshot()
	if len(items) != 1 {
		t.Fatalf("keyring after the sweep: %d items, want only profile work's", len(items))
	}
	if got := mustSecret(t, later, "work"); got != "work-tok" {
		t.Errorf("the sweep touched profile work: %q", got)
	}
	if got := mustSecret(t, later, "default"); got != "tok" {
		t.Errorf("the sweep touched profile default's file: %q", got)
	}
	if cfg, _ := later.loadConfig(); len(cfg.StaleKeyring) != 0 {
		t.Errorf("the record stays after the sweep: %v", cfg.StaleKeyring)
	}
	if n, err := later.SweepKeyring(ctx); n != 0 || err != nil {
		t.Errorf("a second sweep: %d, %v", n, err)
	}
}

// TestTimedOutExplicitKeyringWriteIsRecorded: --store keyring fails the
// save, and still records the item the keyring may write.
func TestTimedOutExplicitKeyringWriteIsRecorded(t *testing.T) {
	s := openTest(t, ModeKeyring, newHangingKeyring(t))
	if _, err := s.Save(context.Background(), testProfile("default"), Secret{Token: "tok"}); err == nil {
		t.Fatal("a hanging keyring saved")
	}
	cfg, err := s.loadConfig()
	if err != nil || len(cfg.StaleKeyring) != 1 || len(cfg.Profiles) != 0 {
		t.Fatalf("config.yaml: stale %v, profiles %d (%v)", cfg.StaleKeyring, len(cfg.Profiles), err)
	}
}
