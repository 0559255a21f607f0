package cli

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gdlogin/gdlogin/internal/orgsim"
	"github.com/gdlogin/gdlogin/internal/store"
)

// TestTokensPruneDeletesOnlyGdloginsOrphansOfThisMachine: prune takes the
// tokens gdlogin named on this machine that no profile holds, asks first,
// lists with --dry-run, and leaves every other token alone.
func TestTokensPruneDeletesOnlyGdloginsOrphansOfThisMachine(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	sb.save(org, "default", "john.doe", "gdlogin-build-box-20261129T182200Z", 0)
	sb.save(org, "ci", "john.doe", "gdlogin-build-box-20261102T090000Z", 0)
	const orphan, orphan2, otherMachine = "gdlogin-build-box-20261101T090000Z", "gdlogin-build-box-20261101T090000Z-a1b2", "gdlogin-desktop-20261101T090000Z"
	for _, id := range []string{orphan, orphan2, otherMachine, "ci-2025", "gdlogin-notes"} {
		if _, err := org.IssueToken("john.doe", id); err != nil {
			t.Fatal(err)
		}
	}
	left := func(want ...string) {
		t.Helper()
		want = append(want, "gdlogin-build-box-20261129T182200Z", "gdlogin-build-box-20261102T090000Z", "ci-2025", "gdlogin-notes")
		got := org.TokenIDs("john.doe")
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("john.doe's tokens: %v, want %v", got, want)
		}
	}

	r := run(t, "", sb.vars, "tokens", "prune")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "--dry-run") {
		t.Fatalf("prune without a terminal or --yes: exit %d\n%s", r.code, r.stderr)
	}
	left(orphan, orphan2, otherMachine)

	r = run(t, "", sb.vars, "tokens", "prune", "--dry-run")
	if r.code != 0 || r.stdout != orphan+"\n"+orphan2+"\n" && r.stdout != orphan2+"\n"+orphan+"\n" {
		t.Fatalf("--dry-run: exit %d, stdout %q\n%s", r.code, r.stdout, r.stderr)
	}
	mustContain(t, "stderr", r.stderr, "Would delete 2 API token(s) of john.doe", "Left alone: 1 API token(s) gdlogin made on other machines ("+otherMachine+")")
	left(orphan, orphan2, otherMachine)

	// On a terminal it asks; "n" deletes nothing.
	r = runPrivate(t, "n\n", sb.vars, true, "tokens", "prune")
	if r.code != ExitError || !strings.Contains(r.stderr, "nothing was deleted") {
		t.Fatalf("declined: exit %d\n%s", r.code, r.stderr)
	}
	left(orphan, orphan2, otherMachine)

	r = run(t, "", sb.vars, "tokens", "prune", "--yes")
	if r.code != 0 || !strings.Contains(r.stdout, orphan+"\n") || !strings.Contains(r.stdout, orphan2+"\n") {
		t.Fatalf("--yes: exit %d, stdout %q\n%s", r.code, r.stdout, r.stderr)
	}
	mustContain(t, "stderr", r.stderr, `Deleted API token "`+orphan+`" of john.doe.`)
	left(otherMachine)

	r = run(t, "", sb.vars, "tokens", "prune", "--yes", "--any-machine")
	if r.code != 0 || r.stdout != otherMachine+"\n" {
		t.Fatalf("--any-machine: exit %d, stdout %q\n%s", r.code, r.stdout, r.stderr)
	}
	left()

	r = run(t, "", sb.vars, "tokens", "prune", "--yes", "--any-machine")
	if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "Nothing to prune") {
		t.Fatalf("nothing left: exit %d, stdout %q\n%s", r.code, r.stdout, r.stderr)
	}
	for _, name := range []string{"default", "ci"} {
		if st := run(t, "", sb.vars, "status", "--profile", name); st.code != 0 {
			t.Fatalf("profile %s after prune: exit %d\n%s", name, st.code, st.stderr)
		}
	}
}

// TestLogoutAndPruneRemoveLateKeyringItems: an item the keyring stored
// after a write that timed out (recorded in config.yaml) is removed by
// logout and by tokens prune, and they say so.
func TestLogoutAndPruneRemoveLateKeyringItems(t *testing.T) {
	for _, cmd := range [][]string{{"logout", "--profile", "other"}, {"tokens", "prune", "--yes"}} {
		t.Run(cmd[0], func(t *testing.T) {
			org := startOrg(t, orgsim.Options{})
			kr := newMemKeyring()
			sb := newSandbox(t, kr, 0)
			sb.save(org, "default", "john.doe", "gdlogin-build-box-20261129T182200Z", 0)
			sb.save(org, "other", "john.doe", "other-token", 0)
			if err := kr.Set(store.KeyringService, "default.0badf00d", `{"token":"late"}`); err != nil {
				t.Fatal(err)
			}
			cfg := readFile(t, sb.configPath()) + "stale_keyring_items:\n  - default.0badf00d\n"
			if err := os.WriteFile(sb.configPath(), []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			before := kr.Len()
			r := run(t, "", sb.vars, cmd...)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			mustContain(t, "stderr", r.stderr, "Removed 1 secret(s) that the OS keyring stored after gdlogin had stopped waiting for it.")
			for _, v := range kr.Values() {
				if strings.Contains(v, "late") {
					t.Fatalf("the late item is still in the keyring (%d items before, %d after)", before, kr.Len())
				}
			}
			if strings.Contains(readFile(t, sb.configPath()), "stale_keyring_items") {
				t.Error("config.yaml still records the item")
			}
			if st := run(t, "", sb.vars, "token"); st.code != 0 || st.stdout == "" {
				t.Fatalf("profile default after the sweep: exit %d\n%s", st.code, st.stderr)
			}
		})
	}
}
