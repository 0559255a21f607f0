package cli

// gdlogin token and gdlogin env: a saved credential handed to the shell.

import (
	"context"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

const tokenLong = `Print the saved API token of a profile on stdout, one line, for use in
scripts and in $(gdlogin token). Nothing else goes to stdout.

The token is read from where gdlogin saved it (the OS keyring, or a 0600
file); the organization is not contacted, so this is fast and works offline.
Use gdlogin status to check that the token still works.

Exits 3 when the profile does not exist (log in first).`

const tokenExample = `  # Export it for tools that read GOODDATA_TOKEN
  export GOODDATA_TOKEN="$(gdlogin token)"

  # The token of another profile
  gdlogin token --profile staging

  # Store it as a GitHub Actions secret, without showing it
  gdlogin token --profile ci | gh secret set GOODDATA_TOKEN`

func (a *app) tokenCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "token",
		Short:   "Print the saved API token (for $(gdlogin token))",
		Long:    tokenLong,
		Example: tokenExample,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runToken(cmd.Context())
		},
	}
}

func (a *app) runToken(ctx context.Context) error {
	cred, _, err := a.savedCredential(ctx)
	if err != nil {
		return err
	}
	return writeOutput(a.env.Stdout, outToken, cred, "")
}

const envLong = `Print shell commands that export the saved credential of a profile:

  GOODDATA_HOST       the organization URL
  GOODDATA_TOKEN      the API token
  GOODDATA_API_TOKEN  the same token, under the name GoodData's VS Code
                      extension and gooddata.yaml files use
  GDC_API_TOKEN       the same token, under the name GoodData.CN's tools use
  GDLOGIN_TOKEN_<P>   the same token, under the profile's own name: the
                      variable its entry in the SDK's profiles.yaml reads
                      (gdlogin write-sdk-profile), e.g. GDLOGIN_TOKEN_STAGING
                      for profile staging

Evaluate the output in your shell. Values are quoted safely for the chosen
shell. The shell defaults to fish when $SHELL is fish, else bash (which zsh
and other POSIX shells understand); PowerShell only on request.

To give the token to one program only, without exporting it into your
shell, use gdlogin run -- CMD instead.

The organization is not contacted. Exits 3 when the profile does not exist.`

const envExample = `  # bash, zsh
  eval "$(gdlogin env)"
  curl -H "Authorization: Bearer $GOODDATA_TOKEN" "$GOODDATA_HOST/api/v1/profile"

  # fish
  gdlogin env --shell fish | source

  # PowerShell
  gdlogin env --shell powershell | Invoke-Expression

  # A second organization, for one command
  (eval "$(gdlogin env --profile staging)"; python3 my_report.py)`

func (a *app) envCommand() *cobra.Command {
	var shell string
	cmd := &cobra.Command{
		Use:     "env",
		Short:   "Print shell exports of GOODDATA_HOST, GOODDATA_TOKEN and the profile's own variable",
		Long:    envLong,
		Example: envExample,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runEnv(cmd.Context(), shell)
		},
	}
	cmd.Flags().StringVar(&shell, "shell", "", "syntax to write: "+strings.Join(shells, ", ")+" (default: from $SHELL)")
	_ = cmd.RegisterFlagCompletionFunc("shell", cobra.FixedCompletions(shells, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (a *app) runEnv(ctx context.Context, shell string) error {
	if shell == "" {
		shell = guessShell(a.env.Getenv("SHELL"))
	}
	if err := oneOf("shell", shell, shells...); err != nil {
		return err
	}
	cred, p, err := a.savedCredential(ctx)
	if err != nil {
		return err
	}
	_, err = io.WriteString(a.env.Stdout, envExports(shell, credentialVars(cred.Host, cred.Token.Reveal(), p.Name)))
	return err
}

// guessShell picks the export syntax from $SHELL: fish for fish, else
// bash, whose syntax zsh, ksh and sh share.
func guessShell(shellPath string) string {
	if strings.TrimSuffix(filepath.Base(shellPath), ".exe") == "fish" {
		return "fish"
	}
	return "bash"
}
