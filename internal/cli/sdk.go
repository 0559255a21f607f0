package cli

// gdlogin write-sdk-profile: a profile copied into the GoodData Python
// SDK's ~/.gooddata/profiles.yaml (also read by gooddata-pandas and
// gooddata-dbt).

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
	"github.com/gdlogin/gdlogin/internal/usecase/profile"
)

const sdkLong = `Write the profile into the GoodData Python SDK's profiles file,
~/.gooddata/profiles.yaml, which gooddata-sdk, gooddata-pandas and gooddata-dbt
read. The rest of the file (other profiles, comments, its format) is kept.

The file has one of two forms:

  profiles: (current)  The token is written as the reference $GOODDATA_TOKEN,
                       never literally: the token stays in gdlogin's store and
                       reaches the SDK through your environment, so run
                       eval "$(gdlogin env)" before using the SDK.
  legacy               name: {host, token} with the literal token; the file is
                       made mode 0600.

An existing file keeps its form; a new file gets the current form unless
--sdk-form legacy asks otherwise. A file that does not parse is reported with
its path and line and left unchanged (exit 1).`

const sdkExample = `  # Write the default profile, then use the SDK
  gdlogin write-sdk-profile
  eval "$(gdlogin env)"
  python3 -c 'from gooddata_sdk import GoodDataSdk; print(GoodDataSdk.create_from_profile().catalog_workspace.list_workspaces())'

  # Profile "staging" under another name, in another file
  gdlogin write-sdk-profile --profile staging --sdk-profile stage --sdk-file ./profiles.yaml`

type sdkOptions struct {
	name, path  string
	form        string
	makeDefault bool
}

var sdkForms = []string{string(store.SDKFormProfiles), string(store.SDKFormLegacy)}

func (a *app) writeSDKProfileCommand() *cobra.Command {
	o := &sdkOptions{}
	cmd := &cobra.Command{
		Use:     "write-sdk-profile",
		Short:   "Write the profile into the GoodData Python SDK's profiles.yaml",
		Long:    sdkLong,
		Example: sdkExample,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runWriteSDKProfile(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.name, "sdk-profile", "", "profile `NAME` in profiles.yaml (default: the gdlogin profile's name)")
	f.StringVar(&o.path, "sdk-file", "", "`PATH` of the SDK profiles file (default ~/.gooddata/profiles.yaml)")
	f.StringVar(&o.form, "sdk-form", string(store.SDKFormProfiles), "form of a new file: "+strings.Join(sdkForms, ", ")+"; an existing file keeps its own")
	f.BoolVar(&o.makeDefault, "sdk-default", false, "make it the file's default_profile (profiles form)")
	_ = cmd.RegisterFlagCompletionFunc("sdk-form", cobra.FixedCompletions(sdkForms, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (a *app) runWriteSDKProfile(ctx context.Context, o *sdkOptions) error {
	if err := oneOf("sdk-form", o.form, sdkForms...); err != nil {
		return err
	}
	cred, p, err := a.savedCredential(ctx)
	if err != nil {
		return err
	}
	return a.writeSDKProfileWith(ctx, p, cred, *o)
}

// writeSDKProfile writes profile p (with its token cred.Token) into the
// SDK's profiles file at path (empty: ~/.gooddata/profiles.yaml) under
// name (empty: p.Name), and tells the user how the SDK gets the token.
// The login command calls it for --write-sdk-profile.
func (a *app) writeSDKProfile(ctx context.Context, p store.Profile, cred credential.Credential, name, path string) error {
	return a.writeSDKProfileWith(ctx, p, cred, sdkOptions{name: name, path: path})
}

func (a *app) writeSDKProfileWith(ctx context.Context, p store.Profile, cred credential.Credential, o sdkOptions) error {
	if o.name == "" {
		o.name = p.Name
	}
	if err := store.ValidateName(o.name); err != nil {
		return &failure.Error{Kind: failure.Usage, Err: fmt.Errorf("--sdk-profile: %w", err)}
	}
	st, err := a.openStore()
	if err != nil {
		return err
	}
	res, err := st.WriteSDKProfile(ctx,
		store.SDKProfile{Name: o.name, Host: p.Host, Token: cred.Token.Reveal(), CACert: p.CACert},
		store.SDKOptions{Path: o.path, CreateForm: store.SDKForm(o.form), MakeDefault: o.makeDefault})
	if err != nil {
		return a.storeError(fmt.Errorf("write the SDK profile: %w", err), p.Name)
	}
	verb := "Updated"
	if res.Created {
		verb = "Created"
	}
	if res.Form == store.SDKFormLegacy {
		a.say("%s %s: profile %q (%s) with the literal token, legacy form; the file is mode 0600.", verb, res.Path, o.name, p.Host)
		a.say("Rotating or logging out makes that copy stale: run gdlogin write-sdk-profile%s again afterwards.", profile.Flag(p.Name))
	} else {
		a.say("%s %s: profile %q (%s) with token: $%s (the token itself is not in the file).", verb, res.Path, o.name, p.Host, res.TokenEnv)
		a.say("Before using the GoodData SDK, export the token: eval \"$(gdlogin env%s)\"", profile.Flag(p.Name))
		if res.DefaultProfile != "" && res.DefaultProfile != o.name {
			a.say("The file's default_profile is %q; select this one with profile=%q.", res.DefaultProfile, o.name)
		}
	}
	if res.Reformatted {
		a.warn("%s could not be edited in place and was rewritten: comments and order are kept, blank lines and spacing may have changed", res.Path)
	}
	return nil
}
