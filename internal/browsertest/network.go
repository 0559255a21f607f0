package browsertest

// An https organization with a host name and a private certificate
// authority, as a corporate network has it, for each engine: the host name
// resolves to 127.0.0.1 and the CA is trusted where that engine's user
// puts a corporate CA, never through a switch that turns certificate checks
// off.
//
//   - Chromium: --host-resolver-rules maps the names; the CA is in the NSS
//     database of the browser's home ($HOME/.pki/nssdb), where Chromium on
//     Linux keeps the authorities its user added (certutil, or Settings →
//     Privacy and security → Security → Manage certificates).
//   - Firefox: network.dns.localDomains maps the names; the CA is in the
//     profile's own NSS database (cert9.db), where Settings → Certificates →
//     Import puts it.
//   - WebKit (WebKitGTK, GnuTLS) trusts the system's store only and
//     resolves through the system: WebKitWebDriver and the browser run in a
//     mount namespace of their own (unshare) where /etc/hosts maps the names
//     and /etc/ssl/certs/ca-certificates.crt holds the system's authorities
//     plus the CA, as after an administrator's update-ca-certificates.

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// systemBundle is the system's CA bundle on Debian, which GnuTLS (and so
// WebKitGTK) trusts.
const systemBundle = "/etc/ssl/certs/ca-certificates.crt"

// certutilPath finds NSS's certutil (package libnss3-tools).
func certutilPath() (string, error) {
	p, err := exec.LookPath("certutil")
	if err != nil {
		return "", fmt.Errorf("no certutil found, which puts the test CA into the browsers' NSS databases; install it: apt-get install -y libnss3-tools")
	}
	return p, nil
}

// nssTrust creates an NSS database in dir and adds caFile to it as a
// trusted authority for web sites, as certutil's users do.
func nssTrust(t testing.TB, dir, caFile string) {
	t.Helper()
	certutil, err := certutilPath()
	if err != nil {
		requireTool(t, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	db := "sql:" + dir
	for _, args := range [][]string{
		{"-N", "-d", db, "--empty-password"},
		{"-A", "-d", db, "-n", "Example Corp Test Root CA", "-t", "C,,", "-i", caFile},
	} {
		if out, err := exec.Command(certutil, args...).CombinedOutput(); err != nil {
			t.Fatalf("certutil %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// requireTool ends the test for a missing tool: a skip locally, a failure
// under CI.
func requireTool(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%v; CI must install it (.ci/run does, through scripts/install-test-tools)", err)
	}
	t.Skipf("%v; the test is skipped", err)
}

// chromiumNetwork returns the flags and environment that make Chromium
// resolve o.Hosts to 127.0.0.1 and trust o.CAFile, with its home in root.
func chromiumNetwork(t testing.TB, o EngineOptions, root string) (flags map[string]any, env []string) {
	t.Helper()
	flags = map[string]any{}
	if len(o.Hosts) > 0 {
		var rules []string
		for _, h := range o.Hosts {
			rules = append(rules, "MAP "+h+" 127.0.0.1")
		}
		flags["host-resolver-rules"] = strings.Join(rules, ", ")
	}
	if o.CAFile != "" {
		home := filepath.Join(root, "home")
		nssTrust(t, filepath.Join(home, ".pki", "nssdb"), o.CAFile)
		env = engineEnv(root)
	}
	return flags, env
}

// firefoxNetwork adds to prefs what makes Firefox resolve o.Hosts to this
// computer, and trusts o.CAFile in the profile.
func firefoxNetwork(t testing.TB, o EngineOptions, profile string, prefs map[string]any) {
	t.Helper()
	if len(o.Hosts) > 0 {
		prefs["network.dns.localDomains"] = strings.Join(o.Hosts, ",")
	}
	if o.CAFile != "" {
		nssTrust(t, profile, o.CAFile)
	}
}

// webkitNamespace returns the command prefix that runs a program with a
// private /etc/hosts mapping o.Hosts to 127.0.0.1 and a system CA bundle
// that also holds o.CAFile; nil when o asks for neither.
func webkitNamespace(t testing.TB, o EngineOptions, dir string) []string {
	t.Helper()
	if len(o.Hosts) == 0 && o.CAFile == "" {
		return nil
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		requireTool(t, fmt.Errorf("no unshare found (package util-linux), which gives WebKit its own /etc/hosts and CA bundle"))
	}
	var script []string
	var files []string
	if len(o.Hosts) > 0 {
		var b strings.Builder
		b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost\n")
		for _, h := range o.Hosts {
			if strings.ContainsAny(h, " \t\n#") || net.ParseIP(h) != nil {
				t.Fatalf("browsertest: bad host name %q", h)
			}
			fmt.Fprintf(&b, "127.0.0.1\t%s\n", h)
		}
		hosts := filepath.Join(dir, "hosts")
		if err := os.WriteFile(hosts, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, hosts)
		script = append(script, fmt.Sprintf(`mount --bind "$%d" /etc/hosts`, len(files)))
	}
	if o.CAFile != "" {
		system, err := os.ReadFile(systemBundle)
		if err != nil {
			requireTool(t, fmt.Errorf("no system CA bundle %s (package ca-certificates): %v", systemBundle, err))
		}
		extra, err := os.ReadFile(o.CAFile)
		if err != nil {
			t.Fatal(err)
		}
		bundle := filepath.Join(dir, "ca-certificates.crt")
		if err := os.WriteFile(bundle, append(append(system, '\n'), extra...), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, bundle)
		script = append(script, fmt.Sprintf(`mount --bind "$%d" %s`, len(files), systemBundle))
	}
	args := []string{unshare, "--mount", "--propagation", "private"}
	if os.Geteuid() != 0 {
		args = append(args, "--user", "--map-root-user")
	}
	mounts := strings.Join(script, " && ")
	// Probe once: a kernel or container may forbid new namespaces.
	probe := exec.Command(args[0], append(args[1:], append([]string{"sh", "-c", mounts, "sh"}, files...)...)...)
	if out, err := probe.CombinedOutput(); err != nil {
		requireTool(t, fmt.Errorf("cannot give WebKit its own /etc/hosts and CA bundle in a mount namespace (%v: %s)", err, strings.TrimSpace(string(out))))
	}
	return append(args, append([]string{"sh", "-c", mounts + fmt.Sprintf(` && shift %d && exec "$@"`, len(files)), "sh"}, files...)...)
}
