package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/gdlogin/gdlogin/internal/orgsim"
)

// tokenLine returns the list line of token id.
func tokenLine(t *testing.T, list, id string) string {
	t.Helper()
	for _, l := range strings.Split(list, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == id {
			return strings.TrimSpace(l)
		}
	}
	t.Fatalf("no line for %s in\n%s", id, list)
	return ""
}

func TestTokensListMarksTheOnesSavedHere(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	sb.save(org, "default", "john.doe", "johns-laptop", 0)
	sb.save(org, "spare", "john.doe", "johns-spare", 0)
	sb.save(org, "admin", "admin", "admins-laptop", 0)
	if _, err := org.IssueToken("john.doe", "johns-ci"); err != nil {
		t.Fatal(err)
	}

	r := run(t, "", sb.vars, "tokens", "list")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	mustContain(t, "stdout", r.stdout, "TOKEN ID", "ON THIS MACHINE")
	if got := tokenLine(t, r.stdout, "johns-laptop"); !strings.HasSuffix(got, "in use (profile default)") {
		t.Errorf("johns-laptop: %q", got)
	}
	if got := tokenLine(t, r.stdout, "johns-spare"); !strings.HasSuffix(got, "saved (profile spare)") {
		t.Errorf("johns-spare: %q", got)
	}
	if got := tokenLine(t, r.stdout, "johns-ci"); got != "johns-ci" {
		t.Errorf("johns-ci: %q", got)
	}
	if strings.Contains(r.stdout, "admins-laptop") {
		t.Error("another user's token listed")
	}
	mustContain(t, "stderr", r.stderr, "API tokens of john.doe on "+org.URL())

	// An admin lists john.doe's: saved here, but not in use by the admin profile.
	r = run(t, "", sb.vars, "tokens", "list", "--profile", "admin", "--user", "john.doe", "--output", "json")
	if r.code != 0 {
		t.Fatalf("admin: exit %d", r.code)
	}
	var rows []listedToken
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatal(err)
	}
	got := map[string]listedToken{}
	for _, row := range rows {
		got[row.ID] = row
	}
	if len(rows) != 3 || got["johns-laptop"].InUse || !slices.Equal(got["johns-laptop"].Profiles, []string{"default"}) ||
		!slices.Equal(got["johns-spare"].Profiles, []string{"spare"}) || len(got["johns-ci"].Profiles) != 0 || got["johns-ci"].UserID != "john.doe" {
		t.Fatalf("rows %+v", rows)
	}
	if !strings.Contains(r.stdout, `"profiles": []`) {
		t.Error("an unsaved token's profiles is not an empty array")
	}

	r = run(t, "", sb.vars, "tokens", "list", "--output", "json")
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || r.code != 0 {
		t.Fatal(err)
	}
	for _, row := range rows {
		if row.InUse != (row.ID == "johns-laptop") {
			t.Errorf("inUse of %s is %v", row.ID, row.InUse)
		}
	}

	// john.doe may not list jane.roe's tokens.
	r = run(t, "", sb.vars, "tokens", "list", "--user", "jane.roe")
	if r.code != ExitAuth || r.stdout != "" {
		t.Fatalf("--user without MANAGE: exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr, "403", "hint: managing the tokens of jane.roe needs the MANAGE permission")
	r = run(t, "", sb.vars, "tokens", "list", "--profile", "admin", "--user", "nobody")
	if r.code != ExitUsage || !strings.Contains(r.stderr, `is "nobody" the id of a user`) {
		t.Fatalf("unknown user: exit %d", r.code)
	}
}

func TestTokensDeleteAsksFirst(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	sb.save(org, "default", "john.doe", "johns-laptop", 0)
	sb.save(org, "spare", "john.doe", "johns-spare", 0)
	for _, id := range []string{"old-1", "old-2", "old-3"} {
		if _, err := org.IssueToken("john.doe", id); err != nil {
			t.Fatal(err)
		}
	}
	has := func(id string) bool { return org.HasToken("john.doe", id) }

	// No terminal and no --yes: nothing happens.
	r := run(t, "", sb.vars, "tokens", "delete", "old-1")
	if r.code != ExitUsage || !has("old-1") {
		t.Fatalf("no tty: exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr, "needs a confirmation", "hint: pass --yes")

	// On a terminal, anything but y/yes declines.
	for _, answer := range []string{"n\n", "\n", "nope\n", ""} {
		r = runPrivate(t, answer, sb.vars, true, "tokens", "delete", "old-1")
		if r.code != ExitError || !has("old-1") {
			t.Fatalf("answer %q: exit %d", answer, r.code)
		}
		mustContain(t, "stderr", r.stderr, "Delete 1 API token(s) of john.doe on "+org.URL()+" (old-1)? [y/N] ", "not confirmed; nothing was deleted")
	}
	r = runPrivate(t, "YES\n", sb.vars, true, "tokens", "delete", "old-1")
	if r.code != 0 || has("old-1") {
		t.Fatalf("yes: exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr, `Deleted API token "old-1" of john.doe.`)

	// --yes for scripts, several at once.
	r = run(t, "", sb.vars, "tokens", "delete", "--yes", "old-2", "old-3")
	if r.code != 0 || has("old-2") || has("old-3") {
		t.Fatalf("--yes: exit %d", r.code)
	}

	// The current profile's token is refused, before anything is deleted.
	if _, err := org.IssueToken("john.doe", "old-4"); err != nil {
		t.Fatal(err)
	}
	r = run(t, "", sb.vars, "tokens", "delete", "--yes", "old-4", "johns-laptop")
	if r.code != ExitUsage || !has("johns-laptop") || !has("old-4") {
		t.Fatalf("current token: exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr, `API token "johns-laptop" is the one profile "default" uses`, "hint: run gdlogin logout,")

	// Another profile's token: a warning, then it goes, and logout is suggested.
	r = runPrivate(t, "y\n", sb.vars, true, "tokens", "delete", "johns-spare")
	if r.code != 0 || has("johns-spare") {
		t.Fatalf("spare: exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr, `warning: profile spare on this machine uses API token "johns-spare" and will stop working`,
		`Profile "spare" used it; remove it with gdlogin logout --profile spare.`)

	// Unknown and bad ids.
	r = run(t, "", sb.vars, "tokens", "delete", "--yes", "no-such-token", "old-4")
	if r.code != ExitUsage || has("old-4") {
		t.Fatalf("unknown id: exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr, `could not delete API token "no-such-token"`, "404", "error: 1 of 2 API tokens could not be deleted", "hint: gdlogin tokens list shows the ids")
	r = run(t, "", sb.vars, "tokens", "delete", "--yes", ".hidden")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "not a valid token id") {
		t.Fatalf("bad id: exit %d", r.code)
	}
	if r := run(t, "", sb.vars, "tokens", "delete"); r.code != ExitUsage {
		t.Fatalf("no ids: exit %d", r.code)
	}
}
