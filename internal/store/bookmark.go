package store

import (
	"context"
	"fmt"
	"time"
)

// ForgetBookmark clears the profile's BookmarkWorked, so that its next
// browser login opens the start page again: the login that opened the
// organization directly ended without the bookmark's handoff. It reports
// whether there was anything to clear; a profile that does not exist
// (any more) has nothing to clear and is no error. Only config.yaml is
// written; the secret is not touched.
func (s *Store) ForgetBookmark(ctx context.Context, name string) (bool, error) {
	if err := ValidateName(name); err != nil {
		return false, err
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return false, err
	}
	defer unlock()
	cfg, err := s.loadConfig()
	if err != nil {
		return false, err
	}
	e, ok := cfg.Profiles[name]
	if !ok || e.BookmarkWorked.IsZero() {
		return false, nil
	}
	e.BookmarkWorked = time.Time{}
	cfg.Profiles[name] = e
	if err := s.writeConfig(cfg); err != nil {
		return false, fmt.Errorf("save profile %q: %w", name, err)
	}
	return true, nil
}
