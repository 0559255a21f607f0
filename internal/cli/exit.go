package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/termtext"
)

// Exit codes. They are part of gdlogin's interface: scripts rely on them,
// and the README lists them.
const (
	ExitOK        = 0   // success
	ExitError     = 1   // any other failure (local storage, unexpected answers)
	ExitUsage     = 2   // bad command line, bad URL, missing input
	ExitAuth      = 3   // no saved credentials (log in), the organization refused them, or a permission is missing
	ExitNetwork   = 4   // the organization could not be reached or is not a GoodData API
	ExitTimeout   = 5   // --timeout ran out
	ExitCancelled = 130 // interrupted (Ctrl-C)
	// gdlogin run exits with the program's own status; these two are its
	// failures to start it, as a shell reports them.
	ExitNotExecutable = 126 // gdlogin run: the program cannot be started
	ExitNotFound      = 127 // gdlogin run: no such program
)

// exitCodes maps each class of failure to its exit code.
var exitCodes = map[failure.Kind]int{
	failure.Other:     ExitError,
	failure.Usage:     ExitUsage,
	failure.Auth:      ExitAuth,
	failure.Network:   ExitNetwork,
	failure.Timeout:   ExitTimeout,
	failure.Cancelled: ExitCancelled,

	failure.CommandNotFound:      ExitNotFound,
	failure.CommandNotExecutable: ExitNotExecutable,
}

// exitCode maps an error to gdlogin's exit codes.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	return exitCodes[failure.KindOf(err)]
}

// kindOfExit is the class of failure that exits with code.
func kindOfExit(code int) failure.Kind {
	for k, c := range exitCodes {
		if c == code {
			return k
		}
	}
	return failure.Other
}

// printError writes one "error: …" line and, when known, one "hint: …" line.
// Each line is cleaned (termtext.Lines): messages quote the organization.
func printError(w io.Writer, err error) {
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(w, "error: cancelled")
		return
	}
	fmt.Fprintf(w, "error: %s\n", termtext.Lines(strings.TrimSpace(err.Error())))
	if hint := failure.HintOf(err); hint != "" {
		fmt.Fprintf(w, "hint: %s\n", termtext.Lines(hint))
	}
}
