package rotate_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/usecase/profile"
	"github.com/gdlogin/gdlogin/internal/usecase/rotate"
	"github.com/gdlogin/gdlogin/internal/usecase/usecasetest"
)

func TestRotateReplacesThenDeletesTheOldToken(t *testing.T) {
	ctx := context.Background()
	org := usecasetest.Org(t)
	st := usecasetest.Store(t)
	usecasetest.SaveProfile(t, st, org, "ci", "john.doe", "ci-2025")
	var events []rotate.Event
	d := rotate.Deps{Profiles: profile.Deps{Store: st}, Client: usecasetest.Client(t), Now: usecasetest.Now,
		NewTokenID: func() string { return "ci-2026" }, Events: func(ev rotate.Event) { events = append(events, ev) }}
	res, err := d.Run(ctx, rotate.Input{Profile: "ci", Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Rotated() || res.Saved.TokenID != "ci-2026" || res.OldTokenID != "ci-2025" || res.Credential.Profile.OrganizationName != "Example Analytics" {
		t.Fatalf("result %+v", res)
	}
	if org.HasToken("john.doe", "ci-2025") || !org.HasToken("john.doe", "ci-2026") || len(events) != 0 {
		t.Errorf("tokens %v, events %+v", org.TokenIDs("john.doe"), events)
	}
	sec, _ := st.Secret(ctx, "ci")
	if sec.Token != res.Credential.Token.Reveal() {
		t.Error("the profile does not hold the new token")
	}

	// An organization that cannot be reached changes nothing.
	d.NewTokenID = func() string { return "ci-2027" }
	if err := org.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = d.Run(ctx, rotate.Input{Profile: "ci", Timeout: time.Minute})
	if failure.KindOf(err) != failure.Network || !strings.HasPrefix(err.Error(), "the saved token does not work: ") {
		t.Errorf("unreachable organization: %v", err)
	}
	if p, _ := st.Get("ci"); p.TokenID != "ci-2026" {
		t.Errorf("a failed rotation changed the profile: %+v", p)
	}
}
