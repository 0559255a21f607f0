package cli

import (
	"slices"
	"testing"

	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/orgsim"
	"github.com/gdlogin/gdlogin/internal/store"
)

// profileExists reports whether the sandbox still holds profile name.
func profileExists(t *testing.T, sb *sandbox, name string) bool {
	t.Helper()
	st, err := store.Open(store.Options{ConfigDir: sb.dir, Keyring: absentKeyring{}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.Get(name)
	return err == nil
}

func TestLogoutDeletesOnServerThenLocally(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	kr := newMemKeyring()
	sb := newSandbox(t, kr, 0)
	bearer := sb.save(org, "default", "john.doe", "johns-laptop", 0)
	sb.save(org, "other", "john.doe", "johns-other", 0)

	r := run(t, "", sb.vars, "logout")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr, `Deleted API token "johns-laptop" of john.doe on `+org.URL(), `Removed profile "default" from this machine.`)
	assertNoSecret(t, "stderr", r.stderr, bearer)
	if org.HasToken("john.doe", "johns-laptop") {
		t.Fatal("the token still exists on the server")
	}
	if profileExists(t, sb, "default") || !profileExists(t, sb, "other") {
		t.Fatal("wrong profiles removed")
	}
	if kr.Len() != 1 {
		t.Fatalf("keyring holds %d secrets, want the other profile's only", kr.Len())
	}
	if r := run(t, "", sb.vars, "token"); r.code != ExitAuth {
		t.Fatalf("token after logout: exit %d", r.code)
	}
	if !org.HasToken("john.doe", "johns-other") {
		t.Fatal("the other profile's token was deleted")
	}
}

func TestLogoutWithServerDown(t *testing.T) {
	sb := newSandbox(t, newMemKeyring(), 0)
	down := closedURL(t)
	secret := "am9obi5kb2U6am9obnMtbGFwdG9wOnNlY3JldA=="
	sb.saveToken(down, "default", gooddata.Profile{UserID: "john.doe"}, "johns-laptop", secret, 0)

	r := run(t, "", sb.vars, "logout")
	if r.code != ExitNetwork || r.stdout != "" {
		t.Fatalf("exit %d, want 4", r.code)
	}
	mustContain(t, "stderr", r.stderr,
		`error: could not reach the organization to delete API token "johns-laptop"`, "refused the connection",
		"nothing was deleted", "gdlogin logout --force", "gdlogin tokens delete johns-laptop")
	if !profileExists(t, sb, "default") {
		t.Fatal("the profile was deleted without --force")
	}

	r = run(t, "", sb.vars, "logout", "--force")
	if r.code != 0 {
		t.Fatalf("--force: exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr,
		"warning: ", "refused the connection",
		`warning: API token "johns-laptop" still works on `+down, "gdlogin tokens delete johns-laptop",
		`Removed profile "default" from this machine.`)
	assertNoSecret(t, "stderr", r.stderr, secret)
	if profileExists(t, sb, "default") {
		t.Fatal("--force kept the profile")
	}
}

func TestLogoutWhenTheServerNoLongerAcceptsTheToken(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	sb.save(org, "default", "john.doe", "johns-laptop", 0)
	deleteOnEmulator(t, org, "john.doe", "johns-laptop")

	r := run(t, "", sb.vars, "logout")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr, `no longer accepts API token "johns-laptop"`, `Removed profile "default"`)
	if profileExists(t, sb, "default") {
		t.Fatal("profile kept")
	}
}

func TestLogoutRefusedByServer(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	// jane.roe may not manage her own tokens; an admin made this one.
	sb.save(org, "default", "jane.roe", "given-by-admin", 0)

	r := run(t, "", sb.vars, "logout")
	if r.code != ExitAuth {
		t.Fatalf("exit %d, want 3", r.code)
	}
	mustContain(t, "stderr", r.stderr, `error: the organization refused to delete API token "given-by-admin"`, "SELF_CREATE_TOKEN", "--force")
	if !profileExists(t, sb, "default") || !org.HasToken("jane.roe", "given-by-admin") {
		t.Fatal("something was deleted")
	}
	r = run(t, "", sb.vars, "logout", "--force")
	if r.code != 0 || profileExists(t, sb, "default") {
		t.Fatalf("--force: exit %d", r.code)
	}
	mustContain(t, "stderr", r.stderr, "still works on "+org.URL())
	if !slices.Contains(org.TokenIDs("jane.roe"), "given-by-admin") {
		t.Fatal("the server lost the token")
	}
}
