package cli

// gdlogin write-sdk-profile: a profile copied into the GoodData Python
// SDK's ~/.gooddata/profiles.yaml (also read by gooddata-pandas and
// gooddata-dbt).

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/termtext"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
	"github.com/gdlogin/gdlogin/internal/usecase/profile"
)

const sdkLong = `Write the profile into the GoodData Python SDK's profiles file,
~/.gooddata/profiles.yaml, which gooddata-sdk, gooddata-pandas and gooddata-dbt
read. The rest of the file (other profiles, comments, its format) is kept.

The file has one of two forms:

  profiles: (current)  The token is written as a reference to the profile's
                       own variable, never literally: $GDLOGIN_TOKEN_PROD for
                       profile prod. The token stays in gdlogin's store and
                       reaches the SDK through the environment: run the
                       program with gdlogin run --profile prod -- CMD, or
                       eval "$(gdlogin env --profile prod)" first.
  legacy               name: {host, token} with the literal token; the file is
                       made mode 0600.

Each profile has its own variable, so that a shell holding one organization's
token never makes the SDK send it to another organization's host. The name is
GDLOGIN_TOKEN_ and the profile name upper-cased with '-' as '_' when the name
has only lower-case letters, digits and '-' (staging-eu: GDLOGIN_TOKEN_STAGING_EU).
Any other name gets a second '_' and every character spelled out: a lower-case
letter upper-cased, a digit as itself, an upper-case letter as '_' and the
letter, '-' as _0, '.' as _1, '_' as _2 (a_b: GDLOGIN_TOKEN__A_2B, Prod:
GDLOGIN_TOKEN___PROD). Two profile names never share a variable.

gdlogin remembers the entries it writes (in its config.yaml): gdlogin logout
removes them again. Entries an earlier gdlogin wrote with the shared
$GOODDATA_TOKEN, named and hosted as a saved profile, are moved to their
profile's own variable when gdlogin writes into the file. Entries gdlogin did
not write are never changed; one that reads $GOODDATA_TOKEN gets a warning.

An existing file keeps its form; a new file gets the current form unless
--sdk-form legacy asks otherwise. A file that does not parse is reported with
its path and line and left unchanged (exit 1).`

const sdkExample = `  # Write the default profile, then use the SDK
  gdlogin write-sdk-profile
  gdlogin run -- python3 -c 'from gooddata_sdk import GoodDataSdk; print(GoodDataSdk.create_from_profile().catalog_workspace.list_workspaces())'

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
		store.SDKOptions{Path: o.path, CreateForm: store.SDKForm(o.form), MakeDefault: o.makeDefault, Owner: p.Name})
	if err != nil && res.Path == "" {
		return a.storeError(fmt.Errorf("write the SDK profile: %w", err), p.Name)
	}
	verb := "Updated"
	if res.Created {
		verb = "Created"
	}
	path, host := termtext.Clean(res.Path), termtext.Clean(p.Host)
	if res.Form == store.SDKFormLegacy {
		a.say("%s %s: profile %q (%s) with the literal token, legacy form; the file is mode 0600.", verb, path, o.name, host)
		a.say("Rotating makes that copy stale: run gdlogin write-sdk-profile%s again afterwards (gdlogin logout removes it).", profile.Flag(p.Name))
	} else {
		a.say("%s %s: profile %q (%s) with token: $%s (the token itself is not in the file).", verb, path, o.name, host, res.TokenEnv)
		a.say("Run programs that use the GoodData SDK with gdlogin run%s -- CMD, or export the token first: eval \"$(gdlogin env%s)\"", profile.Flag(p.Name), profile.Flag(p.Name))
		a.say("%s", sdkSelectHint(res, o.name))
		for _, m := range res.Migrated {
			a.say("Moved entry %q from $%s to $%s, the variable of profile %q (gdlogin run%s and gdlogin env%s set it).",
				termtext.Clean(m.Entry), store.DefaultSDKTokenEnv, m.TokenEnv, m.Profile, profile.Flag(m.Profile), profile.Flag(m.Profile))
		}
		for _, e := range res.Shared {
			a.warn("entry %q in %s reads $%s, which gdlogin env sets to the token of whichever profile was exported last; gdlogin did not write it and leaves it alone: point its token at a variable of its own",
				termtext.Clean(e), path, store.DefaultSDKTokenEnv)
		}
	}
	if res.Reformatted {
		a.warn("%s could not be edited in place and was rewritten: comments and order are kept, blank lines and spacing may have changed", path)
	}
	if err != nil {
		return a.storeError(err, p.Name)
	}
	return nil
}

// sdkSelectHint is the SDK call that selects the entry just written. The
// SDK's create_from_profile(profile="default") means the file's
// default_profile, whatever it is, so an entry called "default" can only
// be reached as the default.
func sdkSelectHint(res store.SDKResult, name string) string {
	pathArg := ""
	if def, err := store.DefaultSDKProfilesPath(); err != nil || filepath.Clean(def) != filepath.Clean(res.Path) {
		pathArg = "profiles_path=" + pythonString(res.Path)
	}
	join := func(args ...string) string {
		var kept []string
		for _, a := range args {
			if a != "" {
				kept = append(kept, a)
			}
		}
		return "GoodDataSdk.create_from_profile(" + strings.Join(kept, ", ") + ")"
	}
	switch {
	case res.DefaultProfile == name:
		return fmt.Sprintf("It is the file's default_profile: %s selects it.", termtext.Clean(join(pathArg)))
	case name == store.DefaultProfile:
		return fmt.Sprintf("The file's default_profile is %q, and the SDK reads profile=\"default\" as default_profile: this entry is reachable only as the default. Run again with --sdk-default, or with --sdk-profile NAME to write it under another name.",
			termtext.Clean(res.DefaultProfile))
	default:
		return fmt.Sprintf("The file's default_profile is %q; select this one with %s.", termtext.Clean(res.DefaultProfile),
			termtext.Clean(join("profile="+pythonString(name), pathArg)))
	}
}

// pythonString is s as a Python string literal: Go's quoting escapes the
// same characters the same way for what a path or profile name holds.
func pythonString(s string) string {
	return strconv.Quote(s)
}
