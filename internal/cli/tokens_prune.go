package cli

// gdlogin tokens prune: delete the API tokens gdlogin left behind.

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/usecase/tokens"
)

const tokensPruneLong = `Delete the API tokens that gdlogin created on this machine and that no saved
profile here holds: tokens left behind by logins with --keep-old or --no-save,
by an old token whose deletion failed, or by gdlogin versions that did not
delete the token a re-login replaced.

A token counts as gdlogin's when its id is one gdlogin makes,
gdlogin-<machine>-<UTC time> (e.g. gdlogin-laptop-20261129T182200Z). prune never
touches a token a profile on this machine holds, nor one gdlogin did not name
(--token-id, tokens made in the organization's settings). Tokens gdlogin made
on other machines may be their saved logins: prune names them and leaves them,
unless --any-machine.

The ids go to stdout, one per line: the ones deleted, or with --dry-run the
ones that would be. gdlogin asks for confirmation when it runs in a terminal;
scripts pass --yes. Without a terminal, --yes or --dry-run, nothing is deleted
(exit 2). Exit codes as for tokens delete.

prune (and logout) also remove the secrets an OS keyring stored after
gdlogin had stopped waiting for it: a keyring write that timed out is recorded
in config.yaml for that.`

const tokensPruneExample = `  gdlogin tokens prune --dry-run
  gdlogin tokens prune
  gdlogin tokens prune --yes --profile ci`

func (a *app) tokensPruneCommand() *cobra.Command {
	o := &tokensOptions{}
	var dryRun, anyMachine bool
	cmd := &cobra.Command{
		Use:     "prune",
		Short:   "Delete the API tokens gdlogin left behind (created here, held by no profile)",
		Long:    tokensPruneLong,
		Example: tokensPruneExample,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runTokensPrune(cmd.Context(), o, dryRun, anyMachine)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.user, "user", "", "prune the tokens of this user `ID` (admins)")
	f.BoolVarP(&o.yes, "yes", "y", false, "do not ask for confirmation")
	f.BoolVar(&dryRun, "dry-run", false, "only list what would be deleted")
	f.BoolVar(&anyMachine, "any-machine", false, "also delete gdlogin's tokens made on other machines that no profile here holds")
	timeoutFlag(f, &o.timeout, 30*time.Second, "give up on the server after this long")
	return cmd
}

func (a *app) runTokensPrune(ctx context.Context, o *tokensOptions, dryRun, anyMachine bool) error {
	if !o.yes && !dryRun && !a.env.StdinIsTerminal {
		return failure.New(failure.Usage, "tokens prune needs a confirmation, and there is no terminal to ask on",
			"pass --yes to delete without asking, or --dry-run to only list")
	}
	st, name, err := a.profileStore()
	if err != nil {
		return err
	}
	s, err := a.tokensSessionIn(ctx, st, name, o.user)
	if err != nil {
		return err
	}
	if !dryRun {
		a.sweepKeyring(ctx, st)
	}
	list, err := s.List(ctx, o.timeout)
	if err != nil {
		return err
	}
	host, _ := a.env.Hostname()
	p := tokens.Prunable(list, gooddata.TokenIDHost(host), anyMachine)
	if len(p.OtherMachines) > 0 {
		a.say("Left alone: %d API token(s) gdlogin made on other machines (%s); they may be saved there. --any-machine deletes them too.",
			len(p.OtherMachines), strings.Join(p.OtherMachines, ", "))
	}
	if len(p.Delete) == 0 {
		a.say("Nothing to prune: every API token of %s on %s that gdlogin made here is held by a profile.", s.Target, s.Profile.Host)
		return nil
	}
	if dryRun {
		a.say("Would delete %d API token(s) of %s on %s (--dry-run; nothing was deleted):", len(p.Delete), s.Target, s.Profile.Host)
		return writeLines(a.env.Stdout, p.Delete)
	}
	if err := a.deleteTokens(ctx, s, p.Delete, o); err != nil {
		return err
	}
	return writeLines(a.env.Stdout, p.Delete)
}

// writeLines writes one id per line.
func writeLines(w io.Writer, ids []string) error {
	for _, id := range ids {
		if _, err := fmt.Fprintln(w, id); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}
	return nil
}
