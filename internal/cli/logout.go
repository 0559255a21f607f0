package cli

// gdlogin logout: the token dies on the server first, then the local copy.

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/usecase/logout"
)

const logoutLong = `Delete the profile's API token on the organization's server, so that a copy
of it anywhere else stops working too, and then the saved profile and its
secret on this machine.

If the server cannot be reached, or refuses the deletion, nothing is deleted
and gdlogin asks for --force, which deletes the local copy only: the token
then keeps working until it is deleted on the server (with gdlogin tokens
delete from another profile of the same user, or by an admin). If the server
says the token is already invalid or gone, the local copy is deleted without
--force. A token that other saved profiles hold too stays alive on the server
for them; logging out of the last of them deletes it.

With --all, every saved profile is logged out this way, one after the other,
and gdlogin also forgets its installation key (see gdlogin forget-installation):
every browser then asks again to confirm the next login's code.

The entries that gdlogin write-sdk-profile wrote for the profile into the
GoodData SDK's profiles.yaml are removed too, each only while its host and
token are still what gdlogin wrote; other entries and comments stay.

Exit codes: 0 when the profile is gone; 3 when it does not exist, or the
server refused the deletion; 4 when the server could not be reached; 5 when
--timeout ran out; 1 when the local copy could not be deleted.`

const logoutExample = `  # Log out of the default profile
  gdlogin logout

  # Log out of another profile
  gdlogin logout --profile staging

  # The organization is gone for good: forget the local copy only
  gdlogin logout --profile old-trial --force

  # Every profile, and the installation key
  gdlogin logout --all`

func (a *app) logoutCommand() *cobra.Command {
	var force, all bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:     "logout",
		Short:   "Delete the token on the server, then the saved profile",
		Long:    logoutLong,
		Example: logoutExample,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if all {
				return a.runLogoutAll(cmd.Context(), force, timeout)
			}
			return a.runLogout(cmd.Context(), force, timeout)
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "delete the local copy even when the token cannot be deleted on the server")
	cmd.Flags().BoolVar(&all, "all", false, "log out of every saved profile and forget the installation key")
	timeoutFlag(cmd.Flags(), &timeout, 30*time.Second, "give up on the server after this long")
	return cmd
}

func (a *app) runLogout(ctx context.Context, force bool, timeout time.Duration) error {
	st, name, err := a.profileStore()
	if err != nil {
		return err
	}
	return a.logoutProfile(ctx, st, name, force, timeout)
}

// logoutProfile logs out of one profile of an open store and says what
// happened.
func (a *app) logoutProfile(ctx context.Context, st *store.Store, name string, force bool, timeout time.Duration) error {
	ca, err := a.caOf(st, name)
	if err != nil {
		return err
	}
	// An unusable CA file is said as such, not as a failed deletion
	// (--force still removes the local copy).
	if _, err := a.httpClientFor(ca); err != nil && !force {
		return err
	}
	deps := logout.Deps{Profiles: a.profilesFor(st, ca), Client: a.clientFor(ca)}
	res, err := deps.Run(ctx, logout.Input{Profile: name, Force: force, Timeout: timeout})
	if err != nil {
		return err
	}
	p := res.Profile
	switch res.Outcome {
	case logout.Deleted:
		a.say("Deleted API token %q of %s on %s.", p.TokenID, p.UserID, p.Host)
	case logout.AlreadyGone:
		a.say("The organization no longer accepts API token %q (it was deleted or is invalid); removing the local copy.", p.TokenID)
	case logout.StillHeld:
		a.say("Kept API token %q on %s: profile(s) %s hold it too; logging out of the last of them deletes it.", p.TokenID, p.Host, strings.Join(res.HeldBy, ", "))
	case logout.KeptOnServer:
		a.warn("%v", res.ServerErr)
		a.warn("API token %q still works on %s until it is deleted there: run gdlogin tokens delete %s from another profile of %s, or ask an admin",
			p.TokenID, p.Host, p.TokenID, p.UserID)
	}
	a.say("Removed profile %q from this machine.", name)
	a.removeSDKEntries(ctx, st, p)
	a.sweepKeyring(ctx, st)
	return nil
}

// sweepKeyring removes the secrets the OS keyring stored after a write
// that gdlogin had given up on (store.SweepKeyring), and says so.
func (a *app) sweepKeyring(ctx context.Context, st *store.Store) {
	n, err := st.SweepKeyring(ctx)
	if n > 0 {
		a.say("Removed %d secret(s) that the OS keyring stored after gdlogin had stopped waiting for it.", n)
	}
	if err != nil {
		a.warn("secrets the OS keyring may have stored after a write that timed out are still to be removed (%v); gdlogin logout and gdlogin tokens prune try again", err)
	}
}
