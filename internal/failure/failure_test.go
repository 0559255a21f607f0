package failure

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/gdlogin/gdlogin/internal/gooddata"
)

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Kind
	}{
		{errors.New("x"), Other},
		{Usagef("bad %s", "flag"), Usage},
		{fmt.Errorf("wrapped: %w", New(Auth, "no", "")), Auth},
		{context.Canceled, Cancelled},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), Timeout},
		{&gooddata.NetworkError{Kind: gooddata.NetTimeout}, Timeout},
		{&gooddata.NetworkError{Kind: gooddata.NetRefused}, Network},
		{&gooddata.APIError{Kind: gooddata.KindInvalidToken}, Auth},
		{&gooddata.APIError{Kind: gooddata.KindForbidden}, Auth},
		{&gooddata.APIError{Kind: gooddata.KindServer}, Network},
		{&gooddata.APIError{Kind: gooddata.KindConflict}, Other},
	} {
		if got := KindOf(tc.err); got != tc.want {
			t.Errorf("KindOf(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestHintOfTakesTheFirstNonEmptyHint(t *testing.T) {
	api := &gooddata.APIError{Kind: gooddata.KindConflict}
	if got := HintOf(&Error{Kind: Other, Err: api}); got != api.Hint() || got == "" {
		t.Errorf("an empty Advice hides the cause's hint: %q", got)
	}
	if got := HintOf(fmt.Errorf("x: %w", Wrap(Usage, api, "mine"))); got != "mine" {
		t.Errorf("HintOf = %q, want the outer hint", got)
	}
	if got := HintOf(errors.New("plain")); got != "" {
		t.Errorf("HintOf(plain) = %q", got)
	}
	e := New(Auth, "refused", "log in again")
	if e.Error() != "refused" || e.Hint() != "log in again" {
		t.Errorf("%q %q", e.Error(), e.Hint())
	}
}
