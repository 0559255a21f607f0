package logout_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/usecase/logout"
	"github.com/gdlogin/gdlogin/internal/usecase/profile"
	"github.com/gdlogin/gdlogin/internal/usecase/usecasetest"
)

func TestLogoutDeletesOnTheServerFirst(t *testing.T) {
	ctx := context.Background()
	org := usecasetest.Org(t)
	st := usecasetest.Store(t)
	usecasetest.SaveProfile(t, st, org, "default", "john.doe", "laptop")
	usecasetest.SaveProfile(t, st, org, "gone", "john.doe", "old")
	d := logout.Deps{Profiles: profile.Deps{Store: st}, Client: usecasetest.Client(t)}

	res, err := d.Run(ctx, logout.Input{Profile: "default", Timeout: time.Minute})
	if err != nil || res.Outcome != logout.Deleted || org.HasToken("john.doe", "laptop") {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := st.Get("default"); !errors.Is(err, store.ErrProfileNotFound) {
		t.Errorf("the profile is still there: %v", err)
	}

	// Unreachable: nothing is deleted without Force, the local copy with it.
	org.Close()
	_, err = d.Run(ctx, logout.Input{Profile: "gone", Timeout: time.Minute})
	if failure.KindOf(err) != failure.Network {
		t.Fatalf("unreachable without force: %v", err)
	}
	if _, err := st.Get("gone"); err != nil {
		t.Fatalf("the profile went without --force: %v", err)
	}
	res, err = d.Run(ctx, logout.Input{Profile: "gone", Force: true, Timeout: time.Minute})
	if err != nil || res.Outcome != logout.KeptOnServer || res.ServerErr == nil {
		t.Fatalf("forced: %+v %v", res, err)
	}
	if _, err := st.Get("gone"); !errors.Is(err, store.ErrProfileNotFound) {
		t.Errorf("forced logout kept the profile: %v", err)
	}
}

// TestLogoutKeepsATokenAnotherProfileHolds: two profiles with the same
// token; logging out of the first keeps the token alive for the second,
// logging out of the second deletes it.
func TestLogoutKeepsATokenAnotherProfileHolds(t *testing.T) {
	ctx := context.Background()
	org := usecasetest.Org(t)
	st := usecasetest.Store(t)
	p := usecasetest.SaveProfile(t, st, org, "default", "john.doe", "shared")
	sec, err := st.Secret(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	p.Name = "ci"
	if _, err := st.Save(ctx, p, sec); err != nil {
		t.Fatal(err)
	}
	d := logout.Deps{Profiles: profile.Deps{Store: st}, Client: usecasetest.Client(t)}

	res, err := d.Run(ctx, logout.Input{Profile: "default", Timeout: time.Minute})
	if err != nil || res.Outcome != logout.StillHeld || len(res.HeldBy) != 1 || res.HeldBy[0] != "ci" || !org.HasToken("john.doe", "shared") {
		t.Fatalf("first logout: %+v %v; server holds %v", res, err, org.TokenIDs("john.doe"))
	}
	if _, err := st.Get("default"); !errors.Is(err, store.ErrProfileNotFound) {
		t.Errorf("the profile is still there: %v", err)
	}
	res, err = d.Run(ctx, logout.Input{Profile: "ci", Timeout: time.Minute})
	if err != nil || res.Outcome != logout.Deleted || org.HasToken("john.doe", "shared") {
		t.Fatalf("last logout: %+v %v; server holds %v", res, err, org.TokenIDs("john.doe"))
	}
}
