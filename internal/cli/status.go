package cli

// gdlogin status (whoami): every saved profile checked with its server.

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/termtext"
	"github.com/gdlogin/gdlogin/internal/usecase/status"
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

const outText = "text"

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
	timeoutFlag(cmd.Flags(), &timeout, 20*time.Second, "give up on organizations that have not answered after this long")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(listOutputs, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

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
	// KeepJWT: an oidc profile whose credential is the ID token
	// (--keep-jwt), renewed with its refresh token, not an API token.
	KeepJWT     bool   `json:"keepJwt,omitempty"`
	SecretStore string `json:"secretStore"`
	Valid       bool   `json:"valid"`
	Problem     string `json:"problem,omitempty"`
	Reason      string `json:"reason,omitempty"`

	code int    // exit code of the problem
	hint string // what to do about it
}

func (a *app) runStatus(ctx context.Context, output string, timeout time.Duration) error {
	if err := oneOf("output", output, listOutputs...); err != nil {
		return err
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
	deps := status.Deps{Profiles: a.profiles(st), Client: a.client,
		// Each profile is checked with the CA file saved with it.
		Bind: func(p store.Profile) (status.Deps, error) {
			ca, err := a.caFor(p)
			return status.Deps{Profiles: a.profilesFor(st, ca), Client: a.clientFor(ca)}, err
		}}
	checks, err := deps.Run(ctx, status.Input{Current: current, Only: a.profile != "", Timeout: timeout})
	if err != nil {
		return err
	}
	rows := make([]profileStatus, len(checks))
	for i, c := range checks {
		rows[i] = a.statusRow(c)
	}
	if output == outJSON {
		if err := writeJSON(a.env.Stdout, rows); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	} else if err := writeStatusTable(a, rows); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return statusOutcome(rows)
}

// statusRow is a checked profile as status shows it.
func (a *app) statusRow(c status.Check) profileStatus {
	p := c.Profile
	row := profileStatus{
		Profile: p.Name, Current: c.Current, Host: p.Host, UserID: p.UserID,
		OrganizationID: p.OrganizationID, OrganizationName: p.OrganizationName,
		TokenID: p.TokenID, CreatedAt: p.CreatedAt.UTC(), Age: humanAge(a.env.Now().Sub(p.CreatedAt)),
		Method: string(p.Method), SecretStore: string(p.SecretStore),
		Valid: c.Valid, Problem: c.Problem, Reason: c.Reason, hint: c.Hint,
		KeepJWT: p.KeptJWT(),
	}
	if c.Valid {
		row.UserName = c.Owner.Name
		row.OrganizationID, row.OrganizationName = c.Owner.OrganizationID, c.Owner.OrganizationName
	} else {
		row.code = exitCodes[c.Kind]
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
		org := (&gooddata.Profile{OrganizationID: r.OrganizationID, OrganizationName: r.OrganizationName}).OrgLabel()
		token := orDash(r.TokenID)
		if r.KeepJWT {
			token = "ID token (--keep-jwt)"
		}
		state := "valid"
		if !r.Valid {
			state = "INVALID (" + problemWords(r.Problem) + ")"
		}
		fmt.Fprint(tw, termtext.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, r.Host, user, orDash(org), token, r.Age, state))
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
		msg = termtext.Sprintf("profile %s is not valid (%s): %s", bad[0].Profile, problemWords(bad[0].Problem), bad[0].Reason)
	} else {
		var b strings.Builder
		fmt.Fprintf(&b, "%d of %d profiles are not valid:", len(bad), len(rows))
		for _, r := range bad {
			b.WriteString(termtext.Sprintf("\n  %s (%s): %s", r.Profile, problemWords(r.Problem), r.Reason))
		}
		msg = b.String()
	}
	return &failure.Error{Kind: kindOfExit(code), Message: msg, Advice: strings.Join(hints, "; ")}
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
