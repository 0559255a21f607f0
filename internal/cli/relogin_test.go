package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gdlogin/gdlogin/internal/orgsim"
)

// TestReloginDeletesTheTokenItReplaces: a login again into a saved
// profile deletes the profile's old API token on the server once the new
// one is saved; --keep-old keeps it and says how to delete it later.
func TestReloginDeletesTheTokenItReplaces(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	seed, err := org.IssueToken("john.doe", "seed")
	if err != nil {
		t.Fatal(err)
	}
	login := func(id string, extra ...string) result {
		t.Helper()
		r := run(t, "", sb.env("GDC_API_TOKEN", seed), append([]string{"login", org.URL(), "--method", "token", "--token-id", id}, extra...)...)
		if r.code != 0 {
			t.Fatalf("login %s: exit %d\n%s", id, r.code, r.stderr)
		}
		return r
	}
	tokens := func(want ...string) {
		t.Helper()
		got := org.TokenIDs("john.doe")
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("john.doe's tokens on the server: %v, want %v", got, want)
		}
	}
	login("one")
	tokens("seed", "one")
	r := login("two")
	mustContain(t, "stderr", r.stderr, `It replaces API token "one", now deleted on the server.`)
	tokens("seed", "two")

	// Ten re-logins later, the server holds one live token that gdlogin
	// made for the profile (and the seed, which was never saved).
	for _, id := range []string{"r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10"} {
		login(id)
	}
	tokens("seed", "r10")

	r = login("kept", "--keep-old")
	mustContain(t, "stderr", r.stderr, `It replaces API token "r10", which still works (--keep-old); delete it when done with it: gdlogin tokens delete r10`)
	tokens("seed", "r10", "kept")
	if r := run(t, "", sb.vars, "status"); r.code != 0 || !strings.Contains(r.stdout, "kept") {
		t.Fatalf("status after the re-logins: exit %d\n%s", r.code, r.stdout)
	}
}

// TestReloginWhoseDeleteFailsStillSucceeds: when the old token cannot be
// deleted (its organization is gone), the login stands, exits 0, and the
// user is told the token's id, why, and the command to delete it.
func TestReloginWhoseDeleteFailsStillSucceeds(t *testing.T) {
	old := startOrg(t, orgsim.Options{})
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	if r := run(t, "", sb.env("GDC_API_TOKEN", old.AdminToken()), "login", old.URL(), "--method", "token", "--token-id", "on-old"); r.code != 0 {
		t.Fatalf("first login: exit %d\n%s", r.code, r.stderr)
	}
	old.Close()
	r := run(t, "", sb.env("GDC_API_TOKEN", org.AdminToken()), "login", org.URL(), "--method", "token", "--token-id", "on-new")
	if r.code != 0 {
		t.Fatalf("re-login into another organization with the old one down: exit %d\n%s", r.code, r.stderr)
	}
	mustContain(t, "stderr", r.stderr, `Saved as profile "default"`,
		`warning: the login is saved, but it replaces the login of admin on `+old.URL()+` (API token "on-old"), which could not be deleted on the server (`,
		"gdlogin login "+old.URL()+" --profile default-old, then gdlogin tokens delete --profile default-old on-old")
	if st := run(t, "", sb.vars, "status"); st.code != 0 || !strings.Contains(st.stdout, "on-new") {
		t.Fatalf("status: exit %d\n%s", st.code, st.stdout)
	}
}

// TestConcurrentLoginsLeaveOneProfileAndOneLiveToken: twelve logins into
// one profile at once. Whichever order they save in, the profile holds
// one of their tokens, and that is the only one of them alive on the
// server: a login that lost the race deleted its own, a later one
// replaced and deleted an earlier winner's.
func TestConcurrentLoginsLeaveOneProfileAndOneLiveToken(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	seed, err := org.IssueToken("john.doe", "seed")
	if err != nil {
		t.Fatal(err)
	}
	const n = 12
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results[i] = run(t, "", sb.env("GDC_API_TOKEN", seed), "login", org.URL(), "--method", "token", "--token-id", fmt.Sprintf("race-%02d", i))
		})
	}
	wg.Wait()
	saved := 0
	for i, r := range results {
		switch r.code {
		case 0:
			saved++
		case ExitError:
			mustContain(t, fmt.Sprintf("stderr of login %d", i), r.stderr, `another gdlogin saved profile "default" meanwhile`,
				fmt.Sprintf(`its new API token "race-%02d" was deleted again on the server`, i))
			if r.stdout != "" {
				t.Errorf("login %d lost the race but printed %q", i, r.stdout)
			}
		default:
			t.Errorf("login %d: exit %d\n%s", i, r.code, r.stderr)
		}
	}
	t.Logf("%d of %d logins saved the profile; the others lost the race", saved, n)
	if saved == 0 {
		t.Fatal("no login saved the profile")
	}
	st := run(t, "", sb.vars, "status", "--output", "json")
	var rows []struct {
		TokenID string `json:"tokenId"`
		Valid   bool   `json:"valid"`
	}
	if err := json.Unmarshal([]byte(st.stdout), &rows); err != nil || len(rows) != 1 || !rows[0].Valid {
		t.Fatalf("status: exit %d, %v: %s", st.code, err, st.stdout)
	}
	got := org.TokenIDs("john.doe")
	slices.Sort(got)
	if want := []string{rows[0].TokenID, "seed"}; !slices.Equal(got, want) {
		t.Fatalf("the server holds %v, want the saved %q and the seed", got, rows[0].TokenID)
	}
}
