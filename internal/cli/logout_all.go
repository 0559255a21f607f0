package cli

// gdlogin logout --all: every saved profile, then the installation key.

import (
	"context"
	"time"

	"github.com/gdlogin/gdlogin/internal/failure"
)

// runLogoutAll logs out of every profile as gdlogin logout does, going on
// after a failure so that one unreachable organization does not keep the
// others' tokens alive, and then forgets the installation key. It fails
// with the first failure, after saying which profiles are left.
func (a *app) runLogoutAll(ctx context.Context, force bool, timeout time.Duration) error {
	if a.profile != "" {
		return failure.Usagef("--all logs out of every profile; leave out --profile")
	}
	st, err := a.openStore()
	if err != nil {
		return err
	}
	profiles, err := st.List()
	if err != nil {
		return a.storeError(err, "")
	}
	var first error
	var left []string
	for _, p := range profiles {
		if err := a.logoutProfile(ctx, st, p.Name, force, timeout); err != nil {
			if ctx.Err() != nil {
				return err
			}
			if first == nil {
				first = err
			}
			left = append(left, p.Name)
			printError(a.env.Stderr, err)
		}
	}
	if len(profiles) == 0 {
		a.say("There are no saved profiles.")
	}
	if err := a.forgetInstallation(ctx, st); err != nil {
		if first == nil {
			return err
		}
		printError(a.env.Stderr, err)
	}
	if first != nil {
		return &failure.Error{Kind: failure.KindOf(first), Err: first, Message: "not every profile could be logged out; left: " + joinQuoted(left),
			Advice: "see the errors above; gdlogin logout --all --force deletes what is left on this machine only"}
	}
	return nil
}

// joinQuoted lists names as "a", "b".
func joinQuoted(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += ", "
		}
		out += `"` + n + `"`
	}
	return out
}
