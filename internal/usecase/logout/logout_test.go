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
