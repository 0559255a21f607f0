package run

import (
	"errors"
	"reflect"
	"testing"

	"github.com/gdlogin/gdlogin/internal/failure"
)

func TestEnvironReplacesInheritedVariables(t *testing.T) {
	base := []string{"PATH=/usr/bin", "GOODDATA_TOKEN=other-org", "gooddata_host=lower", "EMPTY=", "NOEQUALS"}
	vars := Variables{{"GOODDATA_HOST", "https://analytics.example.com"}, {"GOODDATA_TOKEN", "t"}}
	got := Environ(base, vars, false)
	want := []string{"PATH=/usr/bin", "gooddata_host=lower", "EMPTY=", "NOEQUALS", "GOODDATA_HOST=https://analytics.example.com", "GOODDATA_TOKEN=t"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("case-sensitive:\n%q\nwant\n%q", got, want)
	}
	// Windows: names ignore case, so gooddata_host goes too.
	got = Environ(base, vars, true)
	want = []string{"PATH=/usr/bin", "EMPTY=", "NOEQUALS", "GOODDATA_HOST=https://analytics.example.com", "GOODDATA_TOKEN=t"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("case-insensitive:\n%q\nwant\n%q", got, want)
	}
}

func TestExecNotRunnable(t *testing.T) {
	_, err := Exec(Command{Name: "gdlogin-test-no-such-program"})
	var fe *failure.Error
	if !errors.As(err, &fe) || fe.Kind != failure.CommandNotFound || fe.Message != "command not found: gdlogin-test-no-such-program" {
		t.Fatalf("missing program: %#v", err)
	}
	_, err = Exec(Command{Name: t.TempDir()})
	if !errors.As(err, &fe) || fe.Kind != failure.CommandNotExecutable {
		t.Fatalf("a directory: %#v", err)
	}
}
