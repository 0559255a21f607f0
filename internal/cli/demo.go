package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gdlogin/gdlogin/internal/orgsim"
)

const demoLong = `Start a built-in emulated GoodData organization on 127.0.0.1 and log in to it
exactly as you would to a real one, so you can see the whole flow with no
account. The emulated organization, "Example Analytics", has the user
john.doe (password "demo") and an admin holding a bootstrap token.

With --method token, the admin's bootstrap token creates a token for john.doe,
as "GDC_API_TOKEN=… gdlogin login ORG --method token --user john.doe" would.`

func (a *app) demoCommand() *cobra.Command {
	o := &loginOptions{method: methodToken, output: outToken, timeout: 5 * time.Minute}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Log in to a built-in emulated organization, no account needed",
		Long:  demoLong,
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runDemo(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.method, "method", o.method, "how to log in: token")
	f.StringVarP(&o.output, "output", "o", o.output, "what to print on stdout: token, json, env, none")
	return cmd
}

func (a *app) runDemo(ctx context.Context, o *loginOptions) error {
	if err := oneOf("method", o.method, methodToken); err != nil {
		return err
	}
	if err := oneOf("output", o.output, outputModes...); err != nil {
		return err
	}
	org, err := orgsim.Start(orgsim.Options{PrefillUser: "john.doe"})
	if err != nil {
		return fmt.Errorf("start the emulated organization: %w", err)
	}
	defer org.Close()
	a.say("Started the emulated organization \"Example Analytics\" at %s.", org.URL())
	o.user = "john.doe"
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	cred, err := a.loginWithToken(ctx, org.URL(), org.AdminToken(), "the emulated organization's bootstrap token", o)
	if err == nil {
		a.say("The token works until the demo ends; the emulated organization lives only in this process.")
	}
	return a.finishLogin(ctx, o, cred, err)
}
