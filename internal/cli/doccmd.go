package cli

import "github.com/spf13/cobra"

// Command returns gdlogin's command tree as Run builds it, completion
// command and --version included, for tools that describe it (the generated command
// reference in docs/commands). It is bound to a zero Env: read its names,
// flags and help, never execute it.
func Command() *cobra.Command {
	a := &app{}
	root := a.rootCommand()
	root.InitDefaultCompletionCmd()
	root.InitDefaultVersionFlag()
	return root
}
