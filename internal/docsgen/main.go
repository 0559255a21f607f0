// Command docsgen writes gdlogin's command reference from the cobra command
// tree: one Markdown page per command in docs/commands (committed; the test
// next to this file fails when they drift from the code), and, when asked,
// man pages for packagers.
//
//	go run ./internal/docsgen                  # rewrite docs/commands
//	go run ./internal/docsgen -man dist/man    # also write man pages
//
// The test in this directory also takes the screenshots in docs/screenshots
// (GDLOGIN_SCREENSHOTS=1 go test ./internal/docsgen -run Screenshots).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/gdlogin/gdlogin/internal/cli"
)

func main() {
	md := flag.String("md", filepath.Join("docs", "commands"), "write the Markdown reference to this `DIR`")
	man := flag.String("man", "", "also write man pages (section 1) to this `DIR`")
	flag.Parse()
	if err := writeMarkdown(*md); err != nil {
		fmt.Fprintln(os.Stderr, "docsgen:", err)
		os.Exit(1)
	}
	if *man != "" {
		if err := writeMan(*man); err != nil {
			fmt.Fprintln(os.Stderr, "docsgen:", err)
			os.Exit(1)
		}
	}
}

// command is gdlogin's tree without the "Auto generated … on <date>" line,
// so that the pages only change when the commands do.
func command() *cobra.Command {
	root := cli.Command()
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.DisableAutoGenTag = true
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return root
}

// writeMarkdown replaces the Markdown pages in dir: pages of commands that
// no longer exist go away.
func writeMarkdown(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	return doc.GenMarkdownTree(command(), dir)
}

// writeMan writes man pages dated from SOURCE_DATE_EPOCH when set (for
// reproducible packages), else today.
func writeMan(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	date := time.Now()
	if epoch := os.Getenv("SOURCE_DATE_EPOCH"); epoch != "" {
		var sec int64
		if _, err := fmt.Sscan(epoch, &sec); err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", epoch, err)
		}
		date = time.Unix(sec, 0).UTC()
	}
	return doc.GenManTree(command(), &doc.GenManHeader{Title: "GDLOGIN", Section: "1", Source: "gdlogin " + cli.Version(), Manual: "gdlogin manual", Date: &date}, dir)
}
