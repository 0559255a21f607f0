package cli

// gdlogin rotate: a new token replaces the saved one, in an order that
// leaves a working credential whatever step fails.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/usecase/profile"
	"github.com/gdlogin/gdlogin/internal/usecase/rotate"
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
	timeoutFlag(f, &o.timeout, time.Minute, "give up after this long")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(outputModes, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (a *app) runRotate(ctx context.Context, o *rotateOptions) error {
	if err := oneOf("output", o.output, outputModes...); err != nil {
		return err
	}
	if o.tokenID != "" && !gooddata.ValidTokenID(o.tokenID) {
		return invalidTokenIDFlag(o.tokenID)
	}
	st, name, err := a.profileStore()
	if err != nil {
		return err
	}
	ca, err := a.caOf(st, name)
	if err != nil {
		return err
	}
	deps := rotate.Deps{
		Profiles:   a.profilesFor(st, ca),
		Client:     a.clientFor(ca),
		Now:        a.env.Now,
		NewTokenID: a.defaultTokenID,
		Events: func(ev rotate.Event) {
			switch ev.Kind {
			case rotate.TokenIDTaken:
				a.say("Token id %q was taken; created %q instead.", ev.Wanted, ev.Created)
			case rotate.UnverifiedNotDeleted:
				a.warn("could not delete the unverified token %q: %v", ev.Created, ev.Err)
			case rotate.CreatedNotSaved:
				a.warn("API token %q was created but not saved; delete it with: gdlogin tokens delete%s %s", ev.Created, profile.Flag(ev.Profile), ev.Created)
			case rotate.OldAlreadyGone:
				a.say("The old API token %q was already deleted on the server.", ev.Old)
			}
		},
	}
	res, err := deps.Run(ctx, rotate.Input{Profile: name, TokenID: o.tokenID, Timeout: o.timeout})
	if res.Rotated() {
		if werr := writeOutput(a.env.Stdout, o.output, res.Credential, name); werr != nil {
			return fmt.Errorf("write output: %w", werr)
		}
	}
	if err != nil {
		return err
	}
	a.say("Rotated profile %q on %s (%s): API token %q replaces %q, which is deleted on the server.",
		name, res.Credential.Profile.OrgLabel(), res.Saved.Host, res.Saved.TokenID, res.OldTokenID)
	return nil
}
