package cli

// gdlogin status (whoami): every saved profile checked with its server.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/store"
)

const statusLong = `Check the saved profiles with their organizations and show, for each: the
profile, the organization URL, the user, the organization, the API token's id,
its age, and whether the token still works (and if not, why: invalid token,
unreachable, ...). The token itself is never shown.

All profiles are checked at the same time, unless --profile names one. The
current profile (--profile, GDLOGIN_PROFILE, else "default") is marked with *.

The table (or, with --output json, a JSON array) goes to stdout; problems and
hints go to stderr.

Exit codes: 0 when every checked profile is valid; 3 when a token was refused,
belongs to another user, or is missing from its store (log in again), or when
there are no profiles; otherwise 4 when an organization could not be reached
or failed, 5 when --timeout ran out, 1 for other failures.`

const statusExample = `  # All profiles
  gdlogin status

  # One profile, for a script
  gdlogin status --profile staging >/dev/null && echo "staging token works"

  # Machine-readable
  gdlogin status --output json | jq -r '.[] | select(.valid | not) | .profile'`

const (
	outText = "text"
	// statusParallel bounds how many organizations status asks at once.
	statusParallel = 8
)

var listOutputs = []string{outText, outJSON}

func (a *app) statusCommand() *cobra.Command {
	var output string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:     "status",
		Aliases: []string{"whoami"},
		Short:   "Check the saved profiles with their organizations",
		Long:    statusLong,
		Example: statusExample,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runStatus(cmd.Context(), output, timeout)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", outText, "what to print on stdout: "+strings.Join(listOutputs, ", "))
	cmd.Flags().DurationVar(&timeout, "timeout", 20*time.Second, "give up on organizations that have not answered after this long")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(listOutputs, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Problems a profile can have, as status --output json names them.
const (
	problemInvalidToken  = "invalid_token"  // the organization refused the token
	problemUserMismatch  = "user_mismatch"  // the token belongs to another user
	problemSecretMissing = "secret_missing" // the token is gone from its store
	problemSecret        = "secret_error"   // the store could not be read
	problemUnreachable   = "unreachable"    // no answer, refused, DNS, TLS
	problemTimeout       = "timeout"        // --timeout ran out
	problemServer        = "server_error"   // an answer that is not the expected one
)

// profileStatus is one row of status; its JSON is status --output json.
type profileStatus struct {
	Profile          string    `json:"profile"`
	Current          bool      `json:"current"`
	Host             string    `json:"host"`
	UserID           string    `json:"userId"`
	UserName         string    `json:"userName,omitempty"`
	OrganizationID   string    `json:"organizationId,omitempty"`
	OrganizationName string    `json:"organizationName,omitempty"`
	TokenID          string    `json:"tokenId"`
	CreatedAt        time.Time `json:"createdAt"`
	Age              string    `json:"age"`
	Method           string    `json:"method"`
	SecretStore      string    `json:"secretStore"`
	Valid            bool      `json:"valid"`
	Problem          string    `json:"problem,omitempty"`
	Reason           string    `json:"reason,omitempty"`

	code int    // exit code of the problem
	hint string // what to do about it
}

func (a *app) runStatus(ctx context.Context, output string, timeout time.Duration) error {
	if err := oneOf("output", output, listOutputs...); err != nil {
		return err
	}
	if timeout <= 0 {
		return usageErr("--timeout must be positive (got %s)", timeout)
	}
	current, err := a.profileName()
	if err != nil {
		return err
	}
	// Profiles are checked concurrently, and --verbose traces each call
	// on stderr: one line at a time.
	a.env.Stderr = &syncWriter{w: a.env.Stderr}
	if _, err := a.httpClient(); err != nil {
		return err
	}
	st, err := a.openStore()
	if err != nil {
		return err
	}
	var profiles []store.Profile
	if a.profile != "" {
		p, err := st.Get(current)
		if err != nil {
			return a.storeError(err, current)
		}
		profiles = []store.Profile{p}
	} else {
		profiles, err = st.List()
		if err != nil {
			return a.storeError(err, current)
		}
	}
	if len(profiles) == 0 {
		return &userError{code: ExitAuth, msg: "not logged in: no saved profiles in " + st.ConfigPath(),
			hint: "log in first: gdlogin login ORG_URL"}
	}

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rows := make([]profileStatus, len(profiles))
	sem := make(chan struct{}, statusParallel)
	var wg sync.WaitGroup
	for i, p := range profiles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			rows[i] = a.checkProfile(ctx, st, p, p.Name == current)
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); errors.Is(err, context.Canceled) {
		return err
	}

	if output == outJSON {
		enc := json.NewEncoder(a.env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	} else if err := writeStatusTable(a, rows); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return statusOutcome(rows)
}

// checkProfile asks p's organization who p's token belongs to.
func (a *app) checkProfile(ctx context.Context, st *store.Store, p store.Profile, current bool) profileStatus {
	row := profileStatus{
		Profile: p.Name, Current: current, Host: p.Host, UserID: p.UserID,
		OrganizationID: p.OrganizationID, OrganizationName: p.OrganizationName,
		TokenID: p.TokenID, CreatedAt: p.CreatedAt.UTC(), Age: humanAge(a.env.Now().Sub(p.CreatedAt)),
		Method: string(p.Method), SecretStore: string(p.SecretStore),
	}
	relogin := "log in again: " + loginHint(p.Name, p.Host)
	tok, err := a.usableToken(ctx, st, p)
	if err != nil {
		row.Problem, row.Reason, row.code = problemSecret, err.Error(), exitCode(err)
		row.hint = hintOf(err)
		if errors.Is(err, store.ErrSecretNotFound) {
			row.Problem, row.hint = problemSecretMissing, relogin
		}
		return row
	}
	client, err := a.client(p.Host, tok.Reveal())
	if err != nil {
		row.Problem, row.Reason, row.code, row.hint = problemServer, err.Error(), exitCode(err), hintOf(err)
		return row
	}
	me, err := client.Profile(ctx)
	var ae *gooddata.APIError
	var ne *gooddata.NetworkError
	switch {
	case err == nil && me.UserID != p.UserID:
		row.Problem, row.code, row.hint = problemUserMismatch, ExitAuth, relogin
		row.Reason = fmt.Sprintf("the token belongs to %s, not to %s", me.DisplayName(), p.UserID)
	case err == nil:
		row.Valid = true
		row.UserName = me.Name
		row.OrganizationID, row.OrganizationName = me.OrganizationID, me.OrganizationName
	case errors.As(err, &ae) && (ae.Kind == gooddata.KindInvalidToken || ae.Kind == gooddata.KindNotLoggedIn):
		row.Problem, row.code, row.hint = problemInvalidToken, ExitAuth, relogin
		row.Reason = "the organization refused the token (was it deleted on the server?)" + traceSuffix(ae.TraceID)
	case errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded):
		row.Problem, row.code, row.hint = problemUnreachable, ExitNetwork, hintOf(err)
		row.Reason = err.Error()
		if (ne != nil && ne.Kind == gooddata.NetTimeout) || errors.Is(err, context.DeadlineExceeded) {
			row.Problem, row.code = problemTimeout, ExitTimeout
			row.hint = "the organization did not answer in time; check the URL and your network, or allow more time with --timeout"
		}
	default:
		row.Problem, row.Reason, row.code, row.hint = problemServer, err.Error(), exitCode(err), hintOf(err)
		if row.code == ExitOK {
			row.code = ExitError
		}
	}
	return row
}

// syncWriter serialises writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func hintOf(err error) string {
	var ue *userError
	if errors.As(err, &ue) && ue.hint != "" {
		return ue.hint
	}
	var h hinter
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}

// writeStatusTable writes the rows as a table on stdout.
func writeStatusTable(a *app, rows []profileStatus) error {
	tw := tabwriter.NewWriter(a.env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROFILE\tHOST\tUSER\tORGANIZATION\tTOKEN ID\tAGE\tSTATUS")
	for _, r := range rows {
		name := r.Profile
		if r.Current {
			name += "*"
		}
		user := r.UserID
		if r.UserName != "" {
			user = r.UserName + " (" + r.UserID + ")"
		}
		org := r.OrganizationName
		if org == "" {
			org = r.OrganizationID
		}
		state := "valid"
		if !r.Valid {
			state = "INVALID (" + problemWords(r.Problem) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, r.Host, user, orDash(org), orDash(r.TokenID), r.Age, state)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// statusOutcome is nil when every row is valid, else an error that lists
// the invalid profiles with their reasons, and whose exit code is the most
// telling of the rows' codes: a refused credential (3) first, then
// unreachable (4), timeout (5), anything else (1).
func statusOutcome(rows []profileStatus) error {
	var bad []profileStatus
	var hints []string
	seen := map[string]bool{}
	code := ExitOK
	rank := map[int]int{ExitAuth: 4, ExitNetwork: 3, ExitTimeout: 2, ExitError: 1}
	for _, r := range rows {
		if r.Valid {
			continue
		}
		bad = append(bad, r)
		c := r.code
		if rank[c] == 0 {
			c = ExitError
		}
		if rank[c] > rank[code] {
			code = c
		}
		if r.hint != "" && !seen[r.hint] {
			seen[r.hint] = true
			hints = append(hints, r.hint)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	var msg string
	if len(bad) == 1 {
		msg = fmt.Sprintf("profile %s is not valid (%s): %s", bad[0].Profile, problemWords(bad[0].Problem), bad[0].Reason)
	} else {
		var b strings.Builder
		fmt.Fprintf(&b, "%d of %d profiles are not valid:", len(bad), len(rows))
		for _, r := range bad {
			fmt.Fprintf(&b, "\n  %s (%s): %s", r.Profile, problemWords(r.Problem), r.Reason)
		}
		msg = b.String()
	}
	return &userError{code: code, msg: msg, hint: strings.Join(hints, "; ")}
}

// problemWords is a problem code for humans: "invalid token".
func problemWords(problem string) string { return strings.ReplaceAll(problem, "_", " ") }

// humanAge says how old something is, roughly: "just now", "5 minutes",
// "3 hours", "12 days", "4 months", "2 years".
func humanAge(d time.Duration) string {
	const day = 24 * time.Hour
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 2*day:
		return plural(int(d/time.Hour), "hour")
	case d < 60*day:
		return plural(int(d/day), "day")
	case d < 730*day:
		return plural(int(d/(30*day)), "month")
	}
	return plural(int(d/(365*day)), "year")
}
