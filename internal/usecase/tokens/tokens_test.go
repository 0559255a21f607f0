package tokens_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/usecase/profile"
	"github.com/gdlogin/gdlogin/internal/usecase/tokens"
	"github.com/gdlogin/gdlogin/internal/usecase/usecasetest"
)

func TestListAndDeleteKnowWhatThisMachineHolds(t *testing.T) {
	ctx := context.Background()
	org := usecasetest.Org(t)
	st := usecasetest.Store(t)
	usecasetest.SaveProfile(t, st, org, "default", "john.doe", "laptop")
	usecasetest.SaveProfile(t, st, org, "ci", "john.doe", "ci")
	usecasetest.Issue(t, org, "john.doe", "stray")
	s, err := tokens.Deps{Profiles: profile.Deps{Store: st}, Client: usecasetest.Client(t)}.Open(ctx, "default", "")
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.List(ctx, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]tokens.Token{}
	for _, tok := range list {
		got[tok.ID] = tok
	}
	if len(got) != 3 || !got["laptop"].InUse || got["ci"].InUse || !slices.Equal(got["ci"].Profiles, []string{"ci"}) || len(got["stray"].Profiles) != 0 {
		t.Fatalf("list %+v", list)
	}

	// The current profile's own token is refused before anything is deleted.
	_, err = s.CheckDelete([]string{"stray", "laptop"})
	if failure.KindOf(err) != failure.Usage || !strings.Contains(failure.HintOf(err), "gdlogin logout") || !org.HasToken("john.doe", "stray") {
		t.Fatalf("in use: %v", err)
	}
	if _, err := s.CheckDelete([]string{".hidden"}); failure.KindOf(err) != failure.Usage {
		t.Errorf("invalid id: %v", err)
	}
	ids, err := s.CheckDelete([]string{"ci", "stray", "ci", "missing"})
	if err != nil || !slices.Equal(ids, []string{"ci", "stray", "missing"}) {
		t.Fatalf("ids %v %v", ids, err)
	}
	var reported []string
	done, err := s.Delete(ctx, ids, time.Minute, func(d tokens.Deletion) { reported = append(reported, d.ID) })
	if err != nil || len(done) != 3 || !slices.Equal(reported, ids) {
		t.Fatalf("%+v %v", done, err)
	}
	if done[0].Err != nil || !slices.Equal(done[0].HeldBy, []string{"ci"}) || done[1].Err != nil || failure.KindOf(done[2].Err) != failure.Usage {
		t.Errorf("deletions %+v", done)
	}
	if org.HasToken("john.doe", "ci") || org.HasToken("john.doe", "stray") || !org.HasToken("john.doe", "laptop") {
		t.Errorf("tokens left %v", org.TokenIDs("john.doe"))
	}
}

func TestPrunableTakesOnlyGdloginsUnheldTokensOfThisMachine(t *testing.T) {
	list := []tokens.Token{
		{ID: "gdlogin-laptop-20261101T090000Z"},                                             // ours, orphaned
		{ID: "gdlogin-laptop-20261102T090000Z-x7k2"},                                        // ours, suffixed, orphaned
		{ID: "gdlogin-laptop-20261103T090000Z", InUse: true, Profiles: []string{"default"}}, // the current profile's
		{ID: "gdlogin-laptop-20261104T090000Z", Profiles: []string{"ci"}},                   // another profile's
		{ID: "gdlogin-desktop-20261105T090000Z"},                                            // another machine's
		{ID: "ci-2025"},                                                                     // not named by gdlogin
		{ID: "gdlogin-laptop"},                                                              // not gdlogin's pattern
	}
	p := tokens.Prunable(list, "laptop", false)
	if !slices.Equal(p.Delete, []string{"gdlogin-laptop-20261101T090000Z", "gdlogin-laptop-20261102T090000Z-x7k2"}) ||
		!slices.Equal(p.OtherMachines, []string{"gdlogin-desktop-20261105T090000Z"}) {
		t.Fatalf("this machine: %+v", p)
	}
	p = tokens.Prunable(list, "laptop", true)
	if !slices.Equal(p.Delete, []string{"gdlogin-laptop-20261101T090000Z", "gdlogin-laptop-20261102T090000Z-x7k2", "gdlogin-desktop-20261105T090000Z"}) || len(p.OtherMachines) != 0 {
		t.Fatalf("any machine: %+v", p)
	}
}
