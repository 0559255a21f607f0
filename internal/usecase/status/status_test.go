package status_test

import (
	"context"
	"testing"
	"time"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/usecase/profile"
	"github.com/gdlogin/gdlogin/internal/usecase/status"
	"github.com/gdlogin/gdlogin/internal/usecase/usecasetest"
)

func TestStatusChecksEveryProfile(t *testing.T) {
	ctx := context.Background()
	org := usecasetest.Org(t)
	st := usecasetest.Store(t)
	d := status.Deps{Profiles: profile.Deps{Store: st}, Client: usecasetest.Client(t)}
	if _, err := d.Run(ctx, status.Input{Current: "default", Timeout: time.Minute}); failure.KindOf(err) != failure.Auth {
		t.Fatalf("no profiles: %v", err)
	}
	usecasetest.SaveProfile(t, st, org, "default", "john.doe", "laptop")
	usecasetest.SaveProfile(t, st, org, "deleted", "john.doe", "old")
	usecasetest.SaveProfile(t, st, org, "other", "jane.roe", "jane")
	p, _ := st.Get("other")
	p.UserID = "john.doe" // the saved user is not the token's owner
	sec, _ := st.Secret(ctx, "other")
	if _, err := st.Save(ctx, p, sec); err != nil {
		t.Fatal(err)
	}
	creator, _ := usecasetest.Client(t)(org.URL(), org.AdminToken())
	if err := creator.DeleteToken(ctx, "john.doe", "old"); err != nil {
		t.Fatal(err)
	}
	checks, err := d.Run(ctx, status.Input{Current: "default", Timeout: time.Minute})
	if err != nil || len(checks) != 3 {
		t.Fatalf("%+v %v", checks, err)
	}
	by := map[string]status.Check{}
	for _, c := range checks {
		by[c.Profile.Name] = c
	}
	if c := by["default"]; !c.Valid || !c.Current || c.Owner.Name != "John Doe" {
		t.Errorf("default %+v", c)
	}
	if c := by["deleted"]; c.Valid || c.Problem != status.InvalidToken || c.Kind != failure.Auth || c.Hint != "log in again: gdlogin login "+org.URL()+" --profile deleted" {
		t.Errorf("deleted %+v", c)
	}
	if c := by["other"]; c.Valid || c.Problem != status.UserMismatch || c.Reason != "the token belongs to Jane Roe (jane.roe), not to john.doe" {
		t.Errorf("other %+v", c)
	}
	only, err := d.Run(ctx, status.Input{Current: "default", Only: true, Timeout: time.Minute})
	if err != nil || len(only) != 1 || only[0].Profile.Name != "default" {
		t.Errorf("only: %+v %v", only, err)
	}
}
