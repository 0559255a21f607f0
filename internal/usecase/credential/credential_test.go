package credential_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
	"github.com/gdlogin/gdlogin/internal/usecase/usecasetest"
)

func TestMintForYourselfAndForOthers(t *testing.T) {
	ctx := context.Background()
	org := usecasetest.Org(t)
	newClient := usecasetest.Client(t)
	var events []credential.Event
	d := credential.Deps{Now: usecasetest.Now, Events: func(ev credential.Event) { events = append(events, ev) }}

	// john.doe mints his own; the id is taken, so the organization picks another.
	usecasetest.Issue(t, org, "john.doe", "laptop")
	john, _ := newClient(org.URL(), usecasetest.Issue(t, org, "john.doe", "old"))
	me, err := john.Profile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := d.Mint(ctx, credential.MintRequest{Org: org.URL(), Client: john, Me: me, Source: "stdin", TokenID: "laptop", Method: credential.MethodToken})
	if err != nil {
		t.Fatal(err)
	}
	if cred.Profile.UserID != "john.doe" || cred.TokenID == "laptop" || !org.HasToken("john.doe", cred.TokenID) || cred.Method != "token" || !cred.CreatedAt.Equal(usecasetest.Now()) {
		t.Fatalf("credential %+v", cred)
	}
	if len(events) != 1 || events[0].Kind != credential.TokenIDTaken || events[0].Wanted != "laptop" || events[0].Created != cred.TokenID {
		t.Errorf("events %+v", events)
	}

	// john.doe may not mint for jane.roe; jane.roe may not mint at all.
	_, err = d.Mint(ctx, credential.MintRequest{Org: org.URL(), Client: john, Me: me, Source: "stdin", User: "jane.roe", TokenID: "x"})
	if failure.KindOf(err) != failure.Auth || !strings.Contains(err.Error(), "who cannot create tokens for jane.roe") {
		t.Errorf("for another user without MANAGE: %v", err)
	}
	jane, _ := newClient(org.URL(), usecasetest.Issue(t, org, "jane.roe", "j"))
	jme, _ := jane.Profile(ctx)
	_, err = d.Mint(ctx, credential.MintRequest{Org: org.URL(), Client: jane, Me: jme, Source: "stdin", TokenID: "x"})
	if failure.KindOf(err) != failure.Auth || !strings.Contains(failure.HintOf(err), "--user jane.roe") {
		t.Errorf("without SELF_CREATE_TOKEN: %v (hint %q)", err, failure.HintOf(err))
	}

	// The admin mints for jane.roe; a user that does not exist is a usage error.
	admin, _ := newClient(org.URL(), org.AdminToken())
	ame, _ := admin.Profile(ctx)
	cred, err = d.Mint(ctx, credential.MintRequest{Org: org.URL(), Client: admin, Me: ame, Source: "GDC_API_TOKEN", User: "jane.roe", TokenID: "for-jane"})
	if err != nil || cred.Profile.UserID != "jane.roe" || cred.TokenID != "for-jane" {
		t.Fatalf("admin for jane.roe: %+v %v", cred, err)
	}
	_, err = d.Mint(ctx, credential.MintRequest{Org: org.URL(), Client: admin, Me: ame, Source: "GDC_API_TOKEN", User: "nobody", TokenID: "y"})
	if failure.KindOf(err) != failure.Usage || !strings.Contains(failure.HintOf(err), `is "nobody" the id of a user`) {
		t.Errorf("for a missing user: %v", err)
	}
}

// TestVerifyNewDeletesAnUnverifiedToken: a created token whose bearer does
// not work is deleted again on the server.
func TestVerifyNewDeletesAnUnverifiedToken(t *testing.T) {
	ctx := context.Background()
	org := usecasetest.Org(t)
	creator, _ := usecasetest.Client(t)(org.URL(), usecasetest.Issue(t, org, "john.doe", "creator"))
	usecasetest.Issue(t, org, "john.doe", "unverified")
	d := credential.Deps{Now: usecasetest.Now}
	_, err := d.VerifyNew(ctx, creator, &gooddata.CreatedToken{ID: "unverified", UserID: "john.doe", Bearer: "not-a-working-token"})
	if err == nil || !strings.HasPrefix(err.Error(), "verify the new token: ") {
		t.Fatalf("err %v", err)
	}
	if org.HasToken("john.doe", "unverified") || !slices.Contains(org.TokenIDs("john.doe"), "creator") {
		t.Errorf("tokens left: %v", org.TokenIDs("john.doe"))
	}
}

// TestDeleteTokenTidiesUpAfterTheCommandsDeadline: the deletion runs with
// a time of its own, so a command that was cancelled or ran out of time
// still deletes; a token the server no longer has counts as gone.
func TestDeleteTokenTidiesUpAfterTheCommandsDeadline(t *testing.T) {
	org := usecasetest.Org(t)
	john, _ := usecasetest.Client(t)(org.URL(), usecasetest.Issue(t, org, "john.doe", "main"))
	usecasetest.Issue(t, org, "john.doe", "spare")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	gone, err := credential.DeleteToken(ctx, john, "john.doe", "spare")
	if err != nil || gone || org.HasToken("john.doe", "spare") {
		t.Fatalf("a deletion with a cancelled context: gone %v, %v; still on the server: %v", gone, err, org.HasToken("john.doe", "spare"))
	}
	gone, err = credential.DeleteToken(context.Background(), john, "john.doe", "spare")
	if err != nil || !gone {
		t.Errorf("deleting it again: gone %v, %v", gone, err)
	}
	if _, err = credential.DeleteToken(context.Background(), john, "jane.roe", "other"); err == nil {
		t.Error("deleting another user's token without the right to was not refused")
	}
}
