package cli

import (
	"context"
	"errors"

	"github.com/spf13/pflag"
)

// oidcOptions are the flags of --method oidc.
type oidcOptions struct{}

func addOIDCFlags(f *pflag.FlagSet, o *oidcOptions) {}

func (a *app) loginWithOIDC(ctx context.Context, org string, o *loginOptions) (credential, error) {
	return credential{}, errors.New("the oidc method is not available in this build")
}
