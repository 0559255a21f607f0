package cli

// gdlogin tokens list|delete: a user's API tokens on the server.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/termtext"
	"github.com/gdlogin/gdlogin/internal/usecase/tokens"
)

const tokensLong = `List and delete a user's API tokens on the organization's server, with the
saved token of a profile. Without --user, the tokens are the profile user's
own (this needs the SELF_CREATE_TOKEN or MANAGE permission); with --user ID,
another user's (admins, MANAGE).`

func (a *app) tokensCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "List, delete or prune API tokens on the server",
		Long:  tokensLong,
		Example: `  gdlogin tokens list
  gdlogin tokens delete gdlogin-old-laptop-20250101T090000Z`,
		Args: exactArgs(0, "a subcommand: list, delete or prune"),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.tokensListCommand(), a.tokensDeleteCommand(), a.tokensPruneCommand())
	return cmd
}

type tokensOptions struct {
	user    string
	output  string
	yes     bool
	timeout time.Duration
}

const tokensListLong = `List the API tokens of the profile's user (or of --user ID) on the server.
Tokens never show their secret; gdlogin shows their ids, and marks

  in use   the token the current profile uses
  saved    a token another profile on this machine holds

The list goes to stdout: a table, or a JSON array with --output json.`

const tokensListExample = `  gdlogin tokens list

  # An admin lists john.doe's tokens
  gdlogin tokens list --profile admin --user john.doe

  # Ids of the tokens no profile on this machine holds
  gdlogin tokens list --output json | jq -r '.[] | select(.profiles | length == 0) | .id'`

func (a *app) tokensListCommand() *cobra.Command {
	o := &tokensOptions{}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List a user's API tokens, marking the ones saved here",
		Long:    tokensListLong,
		Example: tokensListExample,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runTokensList(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.user, "user", "", "list the tokens of this user `ID` (admins)")
	f.StringVarP(&o.output, "output", "o", outText, "what to print on stdout: "+strings.Join(listOutputs, ", "))
	timeoutFlag(f, &o.timeout, 30*time.Second, "give up on the server after this long")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(listOutputs, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// listedToken is one row of tokens list; its JSON is --output json.
type listedToken struct {
	ID     string `json:"id"`
	UserID string `json:"userId"`
	// InUse is true for the token of the current profile.
	InUse bool `json:"inUse"`
	// Profiles are the saved profiles on this machine that hold it.
	Profiles []string `json:"profiles"`
}

// tokensSession opens the token use case on the current profile.
func (a *app) tokensSession(ctx context.Context, user string) (*tokens.Session, error) {
	st, name, err := a.profileStore()
	if err != nil {
		return nil, err
	}
	return a.tokensSessionIn(ctx, st, name, user)
}

// tokensSessionIn is tokensSession for profile name of an open store.
func (a *app) tokensSessionIn(ctx context.Context, st *store.Store, name, user string) (*tokens.Session, error) {
	ca, err := a.caOf(st, name)
	if err != nil {
		return nil, err
	}
	return tokens.Deps{Profiles: a.profilesFor(st, ca), Client: a.clientFor(ca)}.Open(ctx, name, user)
}

func (a *app) runTokensList(ctx context.Context, o *tokensOptions) error {
	if err := oneOf("output", o.output, listOutputs...); err != nil {
		return err
	}
	s, err := a.tokensSession(ctx, o.user)
	if err != nil {
		return err
	}
	list, err := s.List(ctx, o.timeout)
	if err != nil {
		return err
	}
	rows := make([]listedToken, 0, len(list))
	for _, t := range list {
		rows = append(rows, listedToken{ID: t.ID, UserID: t.UserID, InUse: t.InUse, Profiles: t.Profiles})
	}
	if o.output == outJSON {
		return writeJSON(a.env.Stdout, rows)
	}
	a.say("API tokens of %s on %s:", s.Target, s.Profile.Host)
	tw := tabwriter.NewWriter(a.env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOKEN ID\tON THIS MACHINE")
	for _, r := range rows {
		mark := ""
		switch {
		case r.InUse:
			mark = "in use (profile " + s.Profile.Name + ")"
			if others := without(r.Profiles, s.Profile.Name); len(others) > 0 {
				mark += ", saved (profile " + strings.Join(others, ", ") + ")"
			}
		case len(r.Profiles) > 0:
			mark = "saved (profile " + strings.Join(r.Profiles, ", ") + ")"
		}
		fmt.Fprint(tw, termtext.Sprintf("%s\t%s\n", r.ID, mark))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rows) == 0 {
		a.say("(none)")
	}
	return nil
}

func without(list []string, x string) []string {
	var out []string
	for _, v := range list {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}

const tokensDeleteLong = `Delete API tokens on the server by id. A deleted token stops working at once,
wherever a copy of it is.

gdlogin asks for confirmation when it runs in a terminal; scripts pass --yes.
Without a terminal and without --yes, nothing is deleted (exit 2).

The token the current profile uses is refused: run gdlogin logout, which
deletes it on the server and here. A token another saved profile holds is
deleted after a warning; that profile then stops working.

Exit codes: 0 when every token was deleted; 2 for a bad or refused id or a
missing confirmation; 1 when confirmation was declined; otherwise the code of
the first failed deletion (3 refused, 4 unreachable).`

const tokensDeleteExample = `  gdlogin tokens delete gdlogin-old-laptop-20250101T090000Z

  # In a script
  gdlogin tokens delete --yes ci-2024 ci-2025

  # An admin deletes john.doe's token
  gdlogin tokens delete --profile admin --user john.doe johns-leaked-token`

func (a *app) tokensDeleteCommand() *cobra.Command {
	o := &tokensOptions{}
	cmd := &cobra.Command{
		Use:     "delete ID...",
		Aliases: []string{"rm"},
		Short:   "Delete API tokens on the server",
		Long:    tokensDeleteLong,
		Example: tokensDeleteExample,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return failure.Usagef("%s takes one or more token ids; see gdlogin tokens list", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runTokensDelete(cmd.Context(), o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.user, "user", "", "delete tokens of this user `ID` (admins)")
	f.BoolVarP(&o.yes, "yes", "y", false, "do not ask for confirmation")
	timeoutFlag(f, &o.timeout, 30*time.Second, "give up on the server after this long")
	return cmd
}

func (a *app) runTokensDelete(ctx context.Context, o *tokensOptions, ids []string) error {
	ids = tokens.Unique(ids)
	for _, id := range ids {
		if !gooddata.ValidTokenID(id) {
			return tokens.InvalidIDError(id)
		}
	}
	if !o.yes && !a.env.StdinIsTerminal {
		return failure.New(failure.Usage, "tokens delete needs a confirmation, and there is no terminal to ask on",
			"pass --yes to delete without asking")
	}
	s, err := a.tokensSession(ctx, o.user)
	if err != nil {
		return err
	}
	if ids, err = s.CheckDelete(ids); err != nil {
		return err
	}
	for _, id := range ids {
		if held := s.Held[id]; len(held) > 0 {
			a.warn("profile %s on this machine uses API token %q and will stop working", strings.Join(held, ", "), id)
		}
	}
	return a.deleteTokens(ctx, s, ids, o)
}

// deleteTokens deletes ids with session s, after a confirmation unless
// --yes, saying on stderr how each went.
func (a *app) deleteTokens(ctx context.Context, s *tokens.Session, ids []string, o *tokensOptions) error {
	if !o.yes {
		ok, err := a.confirm(termtext.Sprintf("Delete %d API token(s) of %s on %s (%s)? [y/N] ", len(ids), s.Target, s.Profile.Host, strings.Join(ids, ", ")))
		if err != nil {
			return err
		}
		if !ok {
			return failure.New(failure.Other, "not confirmed; nothing was deleted", "")
		}
	}
	var first error
	failed := 0
	_, err := s.Delete(ctx, ids, o.timeout, func(d tokens.Deletion) {
		if d.Err == nil {
			a.say("Deleted API token %q of %s.", d.ID, s.Target)
			for _, name := range d.HeldBy {
				a.say("Profile %q used it; remove it with gdlogin logout --profile %s.", name, name)
			}
			return
		}
		failed++
		fmt.Fprintln(a.env.Stderr, termtext.Sprintf("could not delete API token %q: %v", d.ID, d.Err))
		if first == nil {
			first = d.Err
		}
	})
	if err != nil {
		return err
	}
	if first == nil {
		return nil
	}
	if len(ids) == 1 {
		return first
	}
	return &failure.Error{Kind: failure.KindOf(first), Err: first,
		Message: fmt.Sprintf("%d of %d API tokens could not be deleted (see above)", failed, len(ids)),
		Advice:  failure.HintOf(first)}
}

// confirm asks a yes/no question on stderr and reads the answer from stdin.
// Only "y" and "yes" (any case) say yes.
func (a *app) confirm(question string) (bool, error) {
	fmt.Fprint(a.env.Stderr, question)
	line, err := bufio.NewReader(io.LimitReader(a.env.Stdin, 1024)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("read the answer: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
