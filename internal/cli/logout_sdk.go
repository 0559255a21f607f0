package cli

// The SDK side of gdlogin logout: the profiles.yaml entries that gdlogin
// wrote for the profile go with it.

import (
	"context"

	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/termtext"
)

// removeSDKEntries removes the SDK profiles.yaml entries recorded for p, a
// profile just logged out, and says what became of each. It never fails
// the logout, which is done: a leftover entry is reported.
func (a *app) removeSDKEntries(ctx context.Context, st *store.Store, p store.Profile) {
	if len(p.SDKProfiles) == 0 {
		return
	}
	removals, err := st.RemoveSDKEntries(ctx, p.SDKProfiles)
	if err != nil {
		for _, e := range p.SDKProfiles {
			a.warn("entry %q in %s, written for profile %q, was not removed: %v", termtext.Clean(e.Name), termtext.Clean(e.Path), p.Name, err)
		}
		return
	}
	for _, r := range removals {
		name, path := termtext.Clean(r.Entry.Name), termtext.Clean(r.Entry.Path)
		switch r.Outcome {
		case store.SDKEntryRemoved:
			a.say("Removed entry %q from %s (the GoodData SDK profile gdlogin wrote for it).", name, path)
			if r.DefaultProfile != "" {
				a.warn("%s: default_profile still names %q, which is gone: point it at another profile, or GoodDataSdk.create_from_profile() without a profile fails", path, name)
			}
			if r.Reformatted {
				a.warn("%s could not be edited in place and was rewritten: comments and order are kept, blank lines and spacing may have changed", path)
			}
		case store.SDKEntryChanged:
			a.say("Left entry %q in %s alone: its host or token was changed since gdlogin wrote it.", name, path)
		case store.SDKEntryFailed:
			a.warn("entry %q in %s was not removed: %v", name, path, r.Err)
		case store.SDKEntryGone:
			// Removed by hand already: nothing to say.
		}
	}
}
