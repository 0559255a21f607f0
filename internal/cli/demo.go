package cli

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/gdlogin/gdlogin/internal/orgsim"
	"github.com/gdlogin/gdlogin/static"
)

const demoLong = `Start a built-in emulated GoodData organization on 127.0.0.1 and log in to it
exactly as you would to a real one, so you can see the whole flow with no
account. The emulated organization, "Example Analytics", has the user
john.doe (password "demo", filled in for you) and an admin holding a
bootstrap token. It lives only as long as the command.

With the browser method (the default), your browser opens gdlogin's start
page; open the organization from there and sign in. The emulated
organization has the gdlogin script installed on its home page, so instead of
a bookmark you click its "Send a token to gdlogin" button, after checking that
it shows the confirmation code of the terminal. Everything
else is the real flow: encryption, verification, the token in the terminal.

With --method token, the admin's bootstrap token creates a token for john.doe,
as "GDC_API_TOKEN=… gdlogin login ORG --method token --user john.doe" would.

With --method oidc, the demo also starts an emulated identity provider,
"example.com SSO", and registers its signing key with the organization through
the organization's JSON web key API, as an admin would. Your browser opens the
identity provider's sign-in page (john.doe, password "demo", filled in for
you); its verified ID token then creates the API token. --keep-jwt keeps the
ID token instead.

With --keep, the demo saves its login as a profile (named "demo", or the
--profile you give, in your usual gdlogin configuration) and keeps the
emulated organization running until Ctrl-C, so that you can try gdlogin
status, tokens list, env and write-sdk-profile against it. Ctrl-C stops the
organization and removes the profile again: its token dies with it.`

func (a *app) demoCommand() *cobra.Command {
	// The demo saves only with --keep, into a profile of its own: its
	// token dies with the emulated organization, and must not replace a
	// real profile. Nor does it make an installation key: its organization
	// is new each time, so no browser could know the key anyway.
	o := &loginOptions{method: methodBrowser, output: outToken, timeout: 5 * time.Minute, noSave: true, ephemeralInstallation: true}
	var keep bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Log in to a built-in emulated organization, no account needed",
		Long:  demoLong,
		Example: `  gdlogin demo                      # the browser login, end to end
  gdlogin demo --no-browser         # print the page's address instead of opening it
  gdlogin demo --method token       # the token method, no browser
  gdlogin demo --method oidc        # sign in at an emulated identity provider
  gdlogin demo --method token --keep   # keep it running and try the other commands`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if keep {
				o.noSave = false
				if !cmd.Flags().Changed("output") {
					o.output = outNone
				}
			}
			return a.runDemo(cmd.Context(), o, keep)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.method, "method", o.method, "how to log in: browser, token, oidc")
	f.BoolVar(&o.oidc.keepJWT, "keep-jwt", false, "with --method oidc, keep the ID token instead of creating an API token")
	f.StringVarP(&o.output, "output", "o", o.output, "what to print on stdout: token, json, env, none")
	f.BoolVar(&o.noBrowser, "no-browser", false, "do not open a browser; only print the page's address")
	f.StringVar(&o.browserCommand, "browser-command", "", "open the page with this `COMMAND` instead of $BROWSER or the system's opener")
	timeoutFlag(f, &o.timeout, o.timeout, "give up after this long")
	f.BoolVar(&keep, "keep", false, "save the login as profile \"demo\" (or --profile) and keep the emulated organization running until Ctrl-C, to try the other commands")
	return cmd
}

// demoProfile is the profile demo --keep saves, unless --profile names one.
const demoProfile = "demo"

func (a *app) runDemo(ctx context.Context, o *loginOptions, keep bool) error {
	if err := oneOf("method", o.method, methodBrowser, methodToken, methodOIDC); err != nil {
		return err
	}
	if err := oneOf("output", o.output, outputModes...); err != nil {
		return err
	}
	org, err := orgsim.Start(orgsim.Options{
		PrefillUser: "john.doe",
		Scripts:     []orgsim.Script{{Path: "/gdlogin-handoff.js", Body: static.HandoffScript()}},
	})
	if err != nil {
		return fmt.Errorf("start the emulated organization: %w", err)
	}
	defer org.Close()
	a.say("Started the emulated organization \"Example Analytics\" at %s (user john.doe, password demo).", org.URL())
	if o.method == methodToken {
		o.user = "john.doe"
		o.existingToken, o.existingSource = org.AdminToken(), "the emulated organization's bootstrap token"
	}
	if o.method == methodOIDC {
		// The provider library logs refused requests with log/slog; they
		// are not for the demo's user.
		slog.SetDefault(slog.New(slog.DiscardHandler))
		idp, err := orgsim.StartIdP(org, orgsim.IdPOptions{PrefillUser: "john.doe"})
		if err != nil {
			return fmt.Errorf("start the emulated identity provider: %w", err)
		}
		defer idp.Close()
		o.oidc.issuer, o.oidc.clientID = idp.Issuer(), idp.ClientID()
		a.say("Started its identity provider \"example.com SSO\" at %s (client %q). Its signing key %q is registered with the organization (POST /api/v1/entities/jwks), as an admin would do.",
			idp.Issuer(), idp.ClientID(), idp.KeyID())
	}
	if keep && a.profile == "" {
		a.profile = demoProfile
	}
	// The kept demo goes on printing after the login.
	o.keepStdout = keep
	if err := a.login(ctx, org.URL(), o); err != nil {
		return err
	}
	if !keep {
		a.say("The token works until the demo ends: the emulated organization lives only in this process.")
		return nil
	}
	return a.keepDemo(ctx, org.URL())
}

// keepDemo keeps the emulated organization running for the saved demo
// profile until ctx ends (Ctrl-C), then removes that profile again, if it
// still points at the emulated organization (whose tokens die with it).
func (a *app) keepDemo(ctx context.Context, orgURL string) error {
	st, name, err := a.profileStore()
	if err != nil {
		return err
	}
	saved, err := st.Get(name)
	if err != nil {
		return a.storeError(err, name)
	}
	flag := " --profile " + name
	a.say(`
The emulated organization keeps running at %s until you press Ctrl-C.
Try, in another terminal:

    gdlogin status%[2]s
    gdlogin tokens list%[2]s
    eval "$(gdlogin env%[2]s)"; echo "$GOODDATA_HOST"
    gdlogin write-sdk-profile%[2]s --sdk-file ./profiles.yaml
    gdlogin rotate%[2]s

Ctrl-C stops the organization and removes profile %[3]q again.`, orgURL, flag, name)
	<-ctx.Done()
	// The profile is removed with a context of its own: ctx is done.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if p, err := st.Get(name); err == nil && p.Host == saved.Host {
		if err := st.Delete(cctx, name); err != nil {
			return a.storeError(err, name)
		}
		a.say("Stopped the emulated organization and removed profile %q.", name)
		return nil
	}
	a.say("Stopped the emulated organization. Profile %q now belongs to another organization and was kept.", name)
	return nil
}
