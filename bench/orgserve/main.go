// Command orgserve runs the emulated organization on its own, for the
// benchmark scripts: it prints the organization URL on stdout, writes the
// admin's bootstrap token to the file named by -token-file (mode 0600), and
// serves until it is interrupted.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/gdlogin/gdlogin/internal/orgsim"
)

func main() {
	tokenFile := flag.String("token-file", "", "write the admin's bootstrap token to this file")
	flag.Parse()
	org, err := orgsim.Start(orgsim.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "orgserve:", err)
		os.Exit(1)
	}
	defer org.Close()
	if *tokenFile != "" {
		if err := os.WriteFile(*tokenFile, []byte(org.AdminToken()+"\n"), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "orgserve:", err)
			os.Exit(1)
		}
	}
	fmt.Println(org.URL())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
}
