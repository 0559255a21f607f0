package cli

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
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

// TestCIInstallsWhatTheTestsDrive reads the apt-get line of .ci/run, which
// runs on CI's clean machine every time, and the one of
// scripts/install-test-tools, which the README's test command runs when a
// program is missing: both install the same packages, the three browser
// engines among them, and every package install-test-tools checks for.
func TestCIInstallsWhatTheTestsDrive(t *testing.T) {
	ci := aptPackages(t, "../../.ci/run")
	local := aptPackages(t, "../../scripts/install-test-tools")
	if !slices.Equal(ci, local) {
		t.Errorf(".ci/run installs %v, scripts/install-test-tools %v", ci, local)
	}
	for _, p := range []string{"chromium", "firefox-esr", "webkit2gtk-driver", "xvfb", "tinyproxy-bin", "gnome-keyring", "libsecret-tools", "dbus", "libnss3-tools"} {
		if !slices.Contains(ci, p) {
			t.Errorf(".ci/run does not install %s", p)
		}
	}
	script, err := os.ReadFile("../../scripts/install-test-tools")
	if err != nil {
		t.Fatal(err)
	}
	checked := regexp.MustCompile(`\|\| echo ([a-z0-9.+-]+)`).FindAllStringSubmatch(string(script), -1)
	if len(checked) < 10 {
		t.Fatalf("found %d package checks in scripts/install-test-tools", len(checked))
	}
	for _, m := range checked {
		if !slices.Contains(ci, m[1]) {
			t.Errorf("scripts/install-test-tools looks for %s, which the apt-get lines do not install", m[1])
		}
	}
}

// aptPackages returns, sorted, the packages of the one
// "apt-get install -y" line of the script at path.
func aptPackages(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var found [][]string
	for _, line := range strings.Split(string(b), "\n") {
		_, rest, ok := strings.Cut(line, "apt-get install -y ")
		if !ok || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		var pkgs []string
		for _, f := range strings.Fields(rest) {
			if strings.ContainsAny(f, `>;"$`) {
				break
			}
			pkgs = append(pkgs, f)
		}
		slices.Sort(pkgs)
		found = append(found, pkgs)
	}
	if len(found) != 1 || len(found[0]) == 0 {
		t.Fatalf("%s: want one apt-get install -y line with packages, found %v", path, found)
	}
	return found[0]
}
