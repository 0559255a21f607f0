package profile_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/gooddata"
	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
	"github.com/gdlogin/gdlogin/internal/usecase/profile"
	"github.com/gdlogin/gdlogin/internal/usecase/usecasetest"
)

func TestSaveSaysWhatItReplaced(t *testing.T) {
	ctx := context.Background()
	d := profile.Deps{Store: usecasetest.Store(t)}
	john := gooddata.Profile{UserID: "john.doe", OrganizationID: "default", OrganizationName: "Example Analytics"}
	first := credential.Credential{Host: "https://analytics.example.com", Profile: john, TokenID: "one", Token: "secret-one", Method: credential.MethodToken, CreatedAt: usecasetest.Now()}
	saved, err := d.Save(ctx, "default", first, seen(t, d, "default"))
	if err != nil || saved.Replaced != nil || saved.Profile.TokenID != "one" {
		t.Fatalf("first save: %+v %v", saved, err)
	}
	// The same token again replaces nothing worth saying.
	if saved, err = d.Save(ctx, "default", first, seen(t, d, "default")); err != nil || saved.Replaced != nil {
		t.Fatalf("same token: %+v %v", saved, err)
	}
	second := first
	second.TokenID, second.Token = "two", "secret-two"
	saved, err = d.Save(ctx, "default", second, seen(t, d, "default"))
	if err != nil || saved.Replaced == nil || saved.Replaced.TokenID != "one" || saved.Profile.TokenID != "two" {
		t.Fatalf("second save: %+v %v", saved, err)
	}
	cred, p, err := d.Load(ctx, "default")
	if err != nil || cred.Token != "secret-two" || cred.Profile.OrganizationName != "Example Analytics" || p.Method != store.MethodToken {
		t.Fatalf("load: %+v %+v %v", cred, p, err)
	}
}

func TestStoreFailures(t *testing.T) {
	ctx := context.Background()
	d := profile.Deps{Store: usecasetest.Store(t)}
	_, _, err := d.Load(ctx, "prod")
	if failure.KindOf(err) != failure.Auth || !errors.Is(err, store.ErrProfileNotFound) ||
		err.Error() != `not logged in: there is no profile "prod"` || failure.HintOf(err) != "log in first: gdlogin login ORG_URL --profile prod (gdlogin status lists the saved profiles)" {
		t.Errorf("missing profile: %v / %q", err, failure.HintOf(err))
	}
	if err := profile.StoreFailure(store.ErrConflict, "default", ""); failure.KindOf(err) != failure.Other || !strings.Contains(failure.HintOf(err), "gdlogin status") {
		t.Errorf("conflict: %v", err)
	}
	if err := profile.StoreFailure(store.ErrSecretNotFound, "ci", "https://analytics.example.com"); !strings.HasSuffix(failure.HintOf(err), "gdlogin login https://analytics.example.com --profile ci") {
		t.Errorf("secret gone: %q", failure.HintOf(err))
	}
	if err := profile.StoreFailure(context.Canceled, "default", ""); err != context.Canceled {
		t.Errorf("cancel: %v", err)
	}
}

// seen is profile name's revision now, as a login reads it when it starts.
func seen(t *testing.T, d profile.Deps, name string) store.Revision {
	t.Helper()
	rev, err := d.Store.Revision(name)
	if err != nil {
		t.Fatal(err)
	}
	return rev
}
