package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gdlogin/gdlogin/internal/gooddata"
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
)

// userError is an error with a chosen exit code and an optional hint.
type userError struct {
	code int
	msg  string
	hint string
	err  error
}

func (e *userError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return e.err.Error()
}

func (e *userError) Unwrap() error { return e.err }

func usageErr(format string, a ...any) error {
	return &userError{code: ExitUsage, msg: fmt.Sprintf(format, a...)}
}

func withHint(code int, err error, hint string) error {
	return &userError{code: code, err: err, hint: hint}
}

// hinter is implemented by errors that know what the user should try.
type hinter interface{ Hint() string }

// exitCode maps an error to gdlogin's exit codes.
func exitCode(err error) int {
	var ue *userError
	if errors.As(err, &ue) {
		return ue.code
	}
	if errors.Is(err, context.Canceled) {
		return ExitCancelled
	}
	var ne *gooddata.NetworkError
	if errors.As(err, &ne) {
		if ne.Kind == gooddata.NetTimeout {
			return ExitTimeout
		}
		return ExitNetwork
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ExitTimeout
	}
	var ae *gooddata.APIError
	if errors.As(err, &ae) {
		switch ae.Kind {
		case gooddata.KindInvalidToken, gooddata.KindNotLoggedIn, gooddata.KindForbidden:
			return ExitAuth
		case gooddata.KindNotGoodData, gooddata.KindServer:
			return ExitNetwork
		}
	}
	return ExitError
}

// printError writes one "error: …" line and, when known, one "hint: …" line.
func printError(w io.Writer, err error) {
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(w, "error: cancelled")
		return
	}
	fmt.Fprintf(w, "error: %s\n", strings.TrimSpace(err.Error()))
	hint := ""
	var ue *userError
	if errors.As(err, &ue) && ue.hint != "" {
		hint = ue.hint
	} else {
		var h hinter
		if errors.As(err, &h) {
			hint = h.Hint()
		}
	}
	if hint != "" {
		fmt.Fprintf(w, "hint: %s\n", hint)
	}
}
