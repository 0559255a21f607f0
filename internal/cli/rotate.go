package cli

// gdlogin rotate: a new token replaces the saved one, in an order that
// leaves a working credential whatever step fails.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/store"
)

const rotateLong = `Replace the profile's API token with a new one, without a browser:

  1. the saved token creates a new token for the same user;
  2. the organization confirms that the new token works for that user;
  3. the new token is saved in the profile (unless another gdlogin changed
     the profile meanwhile);
  4. the old token is deleted on the server.

Whatever step fails, a working credential remains: before step 3 the profile
is untouched (and an unconfirmed new token is deleted again); if saving fails,
the new token is deleted and the old one kept; if deleting the old token
fails, the new one stays saved and gdlogin says how to delete the old one
(gdlogin tokens delete ID), with a non-zero exit code.

stdout carries only what --output asks for (default nothing).`

const rotateExample = `  # Rotate the default profile's token
  gdlogin rotate

  # Rotate a CI token monthly and update the CI secret in one go
  gdlogin rotate --profile ci --token-id ci-2026-12 --output token | gh secret set GOODDATA_TOKEN`

type rotateOptions struct {
	tokenID string
	output  string
	timeout time.Duration
}

func (a *app) rotateCommand() *cobra.Command {
	o := &rotateOptions{}
	cmd := &cobra.Command{
		Use:     "rotate",
		Short:   "Replace the saved token with a new one and delete the old one",
		Long:    rotateLong,
		Example: rotateExample,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runRotate(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.tokenID, "token-id", "", "id of the new API token (default gdlogin-<host>-<UTC time>)")
	f.StringVarP(&o.output, "output", "o", outNone, "what to print on stdout: "+strings.Join(outputModes, ", "))
	f.DurationVar(&o.timeout, "timeout", time.Minute, "give up after this long")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(outputModes, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// cleanupTimeout bounds the deletion of a token after a failed step, which
// runs even when the command's own deadline has passed.
const cleanupTimeout = 15 * time.Second

func (a *app) runRotate(ctx context.Context, o *rotateOptions) error {
	if err := oneOf("output", o.output, outputModes...); err != nil {
		return err
	}
	if o.timeout <= 0 {
		return usageErr("--timeout must be positive (got %s)", o.timeout)
	}
	if o.tokenID != "" && !gooddata.ValidTokenID(o.tokenID) {
		return usageErr("--token-id %q is not a valid token id: use letters, digits, '.', '_' and '-' (not first '.'), up to 255 characters", o.tokenID)
	}
	st, name, err := a.profileStore()
	if err != nil {
		return err
	}
	cred, p, err := a.loadCredential(ctx, st, name)
	if err != nil {
		return err
	}
	client, err := a.client(p.Host, cred.Token.Reveal())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	unchanged := fmt.Sprintf("profile %q still uses API token %q", name, p.TokenID)

	// 1. The saved token must work, for the saved user.
	me, err := client.Profile(ctx)
	if err != nil {
		return a.rotateFailed(ctx, o, err, p, "the saved token does not work: %v")
	}
	if me.UserID != p.UserID {
		return &userError{code: ExitAuth,
			msg:  fmt.Sprintf("the saved token of profile %q belongs to %s, not to %s; nothing changed", name, me.DisplayName(), p.UserID),
			hint: "log in again: " + loginHint(name, p.Host)}
	}

	// 2. Create and verify the new token.
	newID := o.tokenID
	if newID == "" {
		newID = a.defaultTokenID()
	}
	created, err := client.CreateToken(ctx, p.UserID, newID)
	if err != nil {
		return a.rotateFailed(ctx, o, err, p, "could not create the new token: %v; nothing changed, "+unchanged)
	}
	if created.ID != newID {
		a.say("Token id %q was taken; created %q instead.", newID, created.ID)
	}
	owner, err := a.verify(ctx, client, created)
	if err != nil {
		return a.rotateFailed(ctx, o, err, p, "%v; nothing changed, "+unchanged)
	}

	// 3. Save it, unless the profile changed meanwhile.
	next := p
	next.TokenID = created.ID
	next.CreatedAt = a.env.Now()
	next.OrganizationID, next.OrganizationName = owner.OrganizationID, owner.OrganizationName
	saved, err := st.Rotate(ctx, next, store.Secret{Token: created.Bearer.Reveal()}, p.TokenID)
	if err != nil {
		serr := a.storeError(err, name)
		cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer ccancel()
		cleanup := fmt.Sprintf("the new token %q was deleted again on the server", created.ID)
		if derr := client.DeleteToken(cctx, created.UserID, created.ID); derr != nil {
			cleanup = fmt.Sprintf("the new token %q could not be deleted again on the server (%v)", created.ID, derr)
			a.warn("API token %q was created but not saved; delete it with: gdlogin tokens delete%s %s", created.ID, profileFlag(name), created.ID)
		}
		return &userError{code: exitCode(serr), err: serr,
			msg:  fmt.Sprintf("could not save the new token: %v; %s, and %s", serr, cleanup, unchanged),
			hint: hintOf(serr)}
	}

	// 4. Delete the old token, with the new one.
	newCred := credentialOf(saved, created.Bearer)
	newCred.Profile = *owner
	cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer ccancel()
	derr := client.WithToken(created.Bearer.Reveal()).DeleteToken(cctx, p.UserID, p.TokenID)
	var ae *gooddata.APIError
	if errors.As(derr, &ae) && ae.Kind == gooddata.KindNotFound {
		a.say("The old API token %q was already deleted on the server.", p.TokenID)
		derr = nil
	}
	if err := writeOutput(a.env.Stdout, o.output, newCred); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if derr != nil {
		code := exitCode(derr)
		if code == ExitOK || code == ExitUsage {
			code = ExitError
		}
		return &userError{code: code, err: derr,
			msg: fmt.Sprintf("profile %q now uses the new API token %q, but the old token %q could not be deleted on the server: %v",
				name, created.ID, p.TokenID, derr),
			hint: fmt.Sprintf("the old token still works until it is deleted: gdlogin tokens delete%s %s", profileFlag(name), p.TokenID)}
	}
	a.say("Rotated profile %q on %s (%s): API token %q replaces %q, which is deleted on the server.",
		name, orgLabel(*owner), p.Host, created.ID, p.TokenID)
	return nil
}

// rotateFailed explains a failure before anything was saved.
func (a *app) rotateFailed(ctx context.Context, o *rotateOptions, err error, p store.Profile, format string) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	code := exitCode(err)
	hint := hintOf(err)
	var ae *gooddata.APIError
	if errors.As(err, &ae) && (ae.Kind == gooddata.KindInvalidToken || ae.Kind == gooddata.KindNotLoggedIn) {
		hint = "the saved token no longer works, so it cannot create a new one; log in again: " + loginHint(p.Name, p.Host)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		code = ExitTimeout
		hint = fmt.Sprintf("the organization did not answer within %s; check your network, or allow more time with --timeout", o.timeout)
	}
	if code == ExitOK {
		code = ExitError
	}
	return &userError{code: code, err: err, msg: fmt.Sprintf(format, err), hint: hint}
}

// orgLabel is the organization's name, else its id.
func orgLabel(p gooddata.Profile) string {
	if p.OrganizationName != "" {
		return p.OrganizationName
	}
	return p.OrganizationID
}
