package cli

import (
	"os"
	"os/exec"
	"testing"
)

// requireTool finds a program a test drives (bash, curl). Locally a missing
// one skips the test; under CI (CI=true) it fails it, because .ci/run
// installs them and a skipped end-to-end check proves nothing.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed; CI must install it (scripts/install-test-tools does)", name)
	}
	t.Skipf("%s is not installed; this end-to-end check needs it", name)
	return ""
}
