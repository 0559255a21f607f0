package cli

// The installation key (SPEC 3.11): it signs every pairing of the browser
// login, and a browser that has confirmed it once for an organization hands
// the next tokens over with one click. gdlogin forget-installation (and
// gdlogin logout --all) throws it away, so that every browser asks again.

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gdlogin/gdlogin/internal/handoff"
	"github.com/gdlogin/gdlogin/internal/store"
)

// installationKey returns the key that signs this login's pairing: the
// saved one, made and saved on first use. When the store cannot give one
// (an explicit --store keyring whose keyring does not answer, a damaged
// item), the login still works with a one-time key: the page then asks the
// user to compare the confirmation code, which is as safe, only one click
// longer. ephemeral asks for a one-time key outright (the demo, whose
// emulated organization lives on a new port every time).
func (a *app) installationKey(ctx context.Context, ephemeral bool) (*handoff.InstallationKey, error) {
	if ephemeral {
		return handoff.NewInstallationKey(nil)
	}
	key, created, err := a.savedInstallationKey(ctx)
	if err != nil {
		a.warn("cannot use gdlogin's saved installation key (%v); this login signs with a one-time key, so the organization's page asks you to confirm the code below", err)
		return handoff.NewInstallationKey(nil)
	}
	if created {
		a.say("New installation key for this gdlogin: the first login from it asks you, once per browser and organization, to confirm the code below on the organization's page.")
	}
	return key, nil
}

func (a *app) savedInstallationKey(ctx context.Context) (*handoff.InstallationKey, bool, error) {
	st, err := a.openStore()
	if err != nil {
		return nil, false, err
	}
	secret, created, err := st.InstallationKey(ctx, func() (string, error) {
		k, err := handoff.NewInstallationKey(nil)
		if err != nil {
			return "", err
		}
		return k.Secret(), nil
	})
	if err != nil {
		return nil, false, err
	}
	key, err := handoff.ParseInstallationKey(secret)
	if err != nil {
		return nil, false, fmt.Errorf("%w; run gdlogin forget-installation to make a new one", err)
	}
	return key, created, nil
}

const forgetInstallationLong = `Forget gdlogin's installation key: the key that signs the pairings of
browser logins from this machine (and this --store).

A browser that has confirmed a login's code once remembers this gdlogin's
public key for that organization, so later logins need just the one click on
the bookmark. After gdlogin forget-installation, the next login makes a new
key, and every browser asks you again to confirm the code that the terminal
shows. Do this when you suspect that the key was copied, or to make every
browser ask once more. Saved profiles and their tokens are not touched.

gdlogin logout --all does this too.`

func (a *app) forgetInstallationCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "forget-installation",
		Short: "Forget the installation key, so that every browser asks again",
		Long:  forgetInstallationLong,
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.openStore()
			if err != nil {
				return err
			}
			return a.forgetInstallation(cmd.Context(), st)
		},
	}
}

// forgetInstallation forgets the installation key and says so.
func (a *app) forgetInstallation(ctx context.Context, st *store.Store) error {
	loc, _ := st.InstallationKeyLocation()
	forgot, err := st.ForgetInstallationKey(ctx)
	if err != nil {
		return a.storeError(fmt.Errorf("forget the installation key: %w", err), "")
	}
	if !forgot {
		a.say("gdlogin has no installation key to forget; the next browser login makes one, and every browser asks once to confirm its code.")
		return nil
	}
	where := "the OS keyring"
	if loc == store.LocationFile {
		where = "a 0600 file under " + st.Dir()
	}
	a.say("Forgot gdlogin's installation key (it was in %s). Every browser will ask you again to confirm the code of the next login.", where)
	return nil
}
