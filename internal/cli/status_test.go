package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/orgsim"
)

// deleteOnEmulator deletes a token as the organization's admin would.
func deleteOnEmulator(t *testing.T, org *orgsim.Server, user, tokenID string) {
	t.Helper()
	c, err := gooddata.New(org.URL(), org.AdminToken(), gooddata.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteToken(context.Background(), user, tokenID); err != nil {
		t.Fatal(err)
	}
}

// statusLine returns the table line of profile name.
func statusLine(t *testing.T, table, name string) string {
	t.Helper()
	for _, l := range strings.Split(table, "\n") {
		if f := strings.Fields(l); len(f) > 0 && strings.TrimSuffix(f[0], "*") == name {
			return l
		}
	}
	t.Fatalf("no line for %s in\n%s", name, table)
	return ""
}

func TestStatusTableAndJSON(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	var secrets []string
	secrets = append(secrets, sb.save(org, "default", "john.doe", "johns-laptop", 72*time.Hour))
	secrets = append(secrets, sb.save(org, "admin", "admin", "admins-laptop", 90*time.Minute))
	secrets = append(secrets, sb.save(org, "revoked", "john.doe", "johns-old", 400*24*time.Hour))
	deleteOnEmulator(t, org, "john.doe", "johns-old")
	down := closedURL(t)
	sb.saveToken(down, "gone", gooddata.Profile{UserID: "jane.roe", OrganizationID: "trial", OrganizationName: "Old Trial"}, "janes", "am9obi5kb2U6bm9wZTpzZWNyZXQ=", 20*24*time.Hour)

	r := run(t, "", sb.vars, "status")
	if r.code != ExitAuth {
		t.Fatalf("exit %d, want 3 (a refused token beats an unreachable server)", r.code)
	}
	mustContain(t, "table", r.stdout, "PROFILE", "HOST", "USER", "ORGANIZATION", "TOKEN ID", "AGE", "STATUS")
	mustContain(t, "default line", statusLine(t, r.stdout, "default"), "default*", org.URL(), "John Doe (john.doe)", "Example Analytics", "johns-laptop", "3 days", "valid")
	mustContain(t, "admin line", statusLine(t, r.stdout, "admin"), "Admin", "(admin)", "admins-laptop", "1 hour", "valid")
	mustContain(t, "revoked line", statusLine(t, r.stdout, "revoked"), "john.doe", "johns-old", "13 months", "INVALID (invalid token)")
	mustContain(t, "gone line", statusLine(t, r.stdout, "gone"), down, "jane.roe", "Old Trial", "janes", "20 days", "INVALID (unreachable)")
	if strings.Contains(statusLine(t, r.stdout, "admin"), "*") {
		t.Error("admin marked as current")
	}
	mustContain(t, "stderr", r.stderr,
		"error: 2 of 4 profiles are not valid:",
		"revoked (invalid token): the organization refused the token",
		"gone (unreachable): ", "refused the connection",
		"log in again: gdlogin login "+org.URL()+" --profile revoked",
		"is the server running?")
	for _, s := range secrets {
		assertNoSecret(t, "stdout", r.stdout, s)
		assertNoSecret(t, "stderr", r.stderr, s)
	}

	r = run(t, "", sb.env("GDLOGIN_PROFILE", "admin"), "whoami", "--output", "json")
	if r.code != ExitAuth {
		t.Fatalf("json: exit %d", r.code)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("stdout is not a JSON array: %v", err)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows", len(rows))
	}
	byName := map[string]map[string]any{}
	for _, row := range rows {
		byName[row["profile"].(string)] = row
		if _, ok := row["token"]; ok {
			t.Error("JSON has a token field")
		}
	}
	want := map[string]map[string]any{
		"admin":   {"current": true, "valid": true, "userId": "admin", "userName": "Admin", "tokenId": "admins-laptop", "age": "1 hour", "host": org.URL(), "organizationName": "Example Analytics", "secretStore": "keyring", "method": "token"},
		"default": {"current": false, "valid": true, "userName": "John Doe", "createdAt": "2026-11-26T18:22:00Z"},
		"revoked": {"valid": false, "problem": "invalid_token"},
		"gone":    {"valid": false, "problem": "unreachable", "host": down},
	}
	for name, fields := range want {
		for k, v := range fields {
			if byName[name][k] != v {
				t.Errorf("%s.%s = %v, want %v", name, k, byName[name][k], v)
			}
		}
	}
	for _, s := range secrets {
		assertNoSecret(t, "json", r.stdout, s)
	}
}

func TestStatusOneProfileAndExitCodes(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	sb.save(org, "default", "john.doe", "johns-laptop", 0)
	sb.saveToken(closedURL(t), "gone", gooddata.Profile{UserID: "john.doe"}, "x", "am9obi5kb2U6eDpzZWNyZXQ=", 0)

	r := run(t, "", sb.vars, "status", "--profile", "default")
	if r.code != 0 || strings.Contains(r.stdout, "gone") || !strings.Contains(r.stdout, "just now") {
		t.Fatalf("one valid profile: exit %d\n%s", r.code, r.stdout)
	}
	if r.stderr != "" {
		t.Errorf("stderr %q", r.stderr)
	}

	r = run(t, "", sb.vars, "status", "--profile", "gone")
	if r.code != ExitNetwork {
		t.Fatalf("unreachable only: exit %d, want 4", r.code)
	}
	mustContain(t, "stderr", r.stderr, "error: profile gone is not valid (unreachable)", "hint: is the organization URL right")

	r = run(t, "", sb.vars, "status", "--profile", "nope")
	if r.code != ExitAuth {
		t.Fatalf("missing profile: exit %d", r.code)
	}

	slow := startOrg(t, orgsim.Options{Latency: 3 * time.Second})
	sb2 := newSandbox(t, newMemKeyring(), 0)
	sb2.save(slow, "default", "john.doe", "slow", 0)
	r = run(t, "", sb2.vars, "status", "--timeout", "200ms")
	if r.code != ExitTimeout || !strings.Contains(r.stdout, "INVALID (timeout)") {
		t.Fatalf("slow server: exit %d\n%s", r.code, r.stdout)
	}
	mustContain(t, "stderr", r.stderr, "--timeout")

	for _, args := range [][]string{{"status", "--output", "yaml"}, {"status", "--timeout", "0s"}, {"status", "extra"}} {
		if r := run(t, "", sb.vars, args...); r.code != ExitUsage {
			t.Errorf("%v: exit %d", args, r.code)
		}
	}
}

func TestStatusUserMismatch(t *testing.T) {
	org := startOrg(t, orgsim.Options{})
	sb := newSandbox(t, newMemKeyring(), 0)
	bearer, _ := org.IssueToken("john.doe", "johns")
	sb.saveToken(org.URL(), "default", gooddata.Profile{UserID: "jane.roe"}, "johns", bearer, 0)
	r := run(t, "", sb.vars, "status")
	if r.code != ExitAuth || !strings.Contains(r.stdout, "INVALID (user mismatch)") {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	mustContain(t, "stderr", r.stderr, "the token belongs to John Doe (john.doe), not to jane.roe")
}

func TestHumanAge(t *testing.T) {
	cases := map[time.Duration]string{
		-time.Minute:         "just now",
		30 * time.Second:     "just now",
		time.Minute:          "1 minute",
		59 * time.Minute:     "59 minutes",
		time.Hour:            "1 hour",
		47 * time.Hour:       "47 hours",
		48 * time.Hour:       "2 days",
		59 * 24 * time.Hour:  "59 days",
		90 * 24 * time.Hour:  "3 months",
		800 * 24 * time.Hour: "2 years",
	}
	for d, want := range cases {
		if got := humanAge(d); got != want {
			t.Errorf("humanAge(%s) = %q, want %q", d, got, want)
		}
	}
}
