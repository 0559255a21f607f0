package cli

import "github.com/spf13/cobra"

func (a *app) credentialCommands() []*cobra.Command { return nil }
