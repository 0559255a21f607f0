package cli

// gdlogin logout: the token dies on the server first, then the local copy.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/store"
)

const logoutLong = `Delete the profile's API token on the organization's server, so that a copy
of it anywhere else stops working too, and then the saved profile and its
secret on this machine.

If the server cannot be reached, or refuses the deletion, nothing is deleted
and gdlogin asks for --force, which deletes the local copy only: the token
then keeps working until it is deleted on the server (with gdlogin tokens
delete from another profile of the same user, or by an admin). If the server
says the token is already invalid or gone, the local copy is deleted without
--force.

With --all, every saved profile is logged out this way, one after the other,
and gdlogin also forgets its installation key (see gdlogin forget-installation):
every browser then asks again to confirm the next login's code.

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
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "give up on the server after this long")
	return cmd
}

func (a *app) runLogout(ctx context.Context, force bool, timeout time.Duration) error {
	if timeout <= 0 {
		return usageErr("--timeout must be positive (got %s)", timeout)
	}
	st, name, err := a.profileStore()
	if err != nil {
		return err
	}
	return a.logoutProfile(ctx, st, name, force, timeout)
}

// logoutProfile logs out of one profile of an open store.
func (a *app) logoutProfile(ctx context.Context, st *store.Store, name string, force bool, timeout time.Duration) error {
	p, err := st.Get(name)
	if err != nil {
		return a.storeError(err, name)
	}

	serverErr := a.deleteOnServer(ctx, st, p, timeout)
	switch {
	case serverErr == nil:
		a.say("Deleted API token %q of %s on %s.", p.TokenID, p.UserID, p.Host)
	case errors.Is(serverErr, errAlreadyGone):
		a.say("The organization no longer accepts API token %q (it was deleted or is invalid); removing the local copy.", p.TokenID)
	case errors.Is(serverErr, context.Canceled):
		return serverErr
	case !force:
		return a.explainLogoutFailure(serverErr, p)
	default:
		a.warn("%v", serverErr)
		a.warn("API token %q still works on %s until it is deleted there: run gdlogin tokens delete %s from another profile of %s, or ask an admin",
			p.TokenID, p.Host, p.TokenID, p.UserID)
	}
	if err := st.Delete(ctx, name); err != nil {
		return a.storeError(err, name)
	}
	a.say("Removed profile %q from this machine.", name)
	return nil
}

// errAlreadyGone means the server no longer knows or accepts the token.
var errAlreadyGone = errors.New("the token is already invalid on the server")

// deleteOnServer deletes p's token with itself.
func (a *app) deleteOnServer(ctx context.Context, st *store.Store, p store.Profile, timeout time.Duration) error {
	tok, err := a.usableToken(ctx, st, p)
	if err != nil {
		return fmt.Errorf("cannot delete the token on the server without it: %w", err)
	}
	client, err := a.client(p.Host, tok.Reveal())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err = client.DeleteToken(ctx, p.UserID, p.TokenID)
	var ae *gooddata.APIError
	if errors.As(err, &ae) {
		switch ae.Kind {
		case gooddata.KindInvalidToken, gooddata.KindNotLoggedIn, gooddata.KindNotFound:
			return errAlreadyGone
		}
	}
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		var ne *gooddata.NetworkError
		if !errors.As(err, &ne) {
			err = &gooddata.NetworkError{Op: "delete API token", Host: p.Host, Kind: gooddata.NetTimeout, Err: err}
		}
	}
	return err
}

// explainLogoutFailure keeps the failure's exit code and says that nothing
// was deleted and what --force would do.
func (a *app) explainLogoutFailure(err error, p store.Profile) error {
	code := exitCode(err)
	if code == ExitOK || code == ExitUsage {
		code = ExitError
	}
	var ae *gooddata.APIError
	var ne *gooddata.NetworkError
	what := "could not delete API token %q on the server"
	switch {
	case errors.As(err, &ne):
		what = "could not reach the organization to delete API token %q"
	case errors.As(err, &ae) && ae.Kind == gooddata.KindForbidden:
		what = "the organization refused to delete API token %q"
	}
	hint := fmt.Sprintf("nothing was deleted; to delete only the local copy, run gdlogin logout%s --force (the token then keeps working on the server until it is deleted there with gdlogin tokens delete %s)",
		profileFlag(p.Name), p.TokenID)
	if h := hintOf(err); h != "" && ne != nil {
		hint = h + "; " + hint
	}
	return &userError{code: code, err: err, msg: fmt.Sprintf(what+": %v", p.TokenID, err), hint: hint}
}
