package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gdlogin/gdlogin/static"
)

const bookmarkletLong = `Print gdlogin's bookmarklet: a javascript: URL to keep as a bookmark. It
carries no data of any login, so one bookmark works for every future login, on
every organization. Clicked on an organization's tab during a login, it
creates the API token with your session and hands it to gdlogin, encrypted.

stdout gets the URL only; how to add it to your browser goes to stderr.`

func (a *app) bookmarkletCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "bookmarklet",
		Short: "Print the gdlogin bookmarklet, to keep as a bookmark",
		Long:  bookmarkletLong,
		Example: `  gdlogin bookmarklet                      # print it, with instructions
  gdlogin bookmarklet | xclip -selection c  # straight to the clipboard (Linux)
  gdlogin bookmarklet | pbcopy              # macOS`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := fmt.Fprintln(a.env.Stdout, static.Bookmarklet()); err != nil {
				return err
			}
			a.say(`
Add it as a bookmark once, then click it on the organization's tab whenever gdlogin asks:
  Chrome, Edge: show the bookmarks bar (Ctrl+Shift+B, or Cmd+Shift+B on a Mac), right-click it,
                choose "Add page…" (Edge: "Add favorite"), name it "gdlogin" and paste the URL.
  Firefox:      show the bookmarks toolbar (View > Toolbars > Bookmarks Toolbar), right-click it,
                choose "Add Bookmark…", name it "gdlogin" and paste the URL.
  Safari:       bookmark any page (Cmd+D), then edit that bookmark (Bookmarks > Edit Bookmarks),
                rename it "gdlogin" and paste the URL as its address.
The start page of "gdlogin login" also has the bookmarklet as a button you can drag to the bar.`)
			return nil
		},
	}
}
