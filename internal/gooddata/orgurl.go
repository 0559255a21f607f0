package gooddata

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// OrgURL is a validated organization address.
type OrgURL struct {
	// Origin is scheme://host[:port], lower-case, without a default port,
	// path, query or fragment: https://analytics.example.com
	Origin string
	// Warnings are things the user should know (plain http, a dropped path).
	Warnings []string
	// Loopback is true for 127.0.0.0/8, ::1 and localhost.
	Loopback bool
	// PlainHTTP is true for http://. On a loopback host it comes with a
	// warning; on any other host the caller must refuse it or have the
	// user accept it explicitly, because tokens would cross the network
	// in clear.
	PlainHTTP bool
}

// ParseOrgURL validates and normalises what the user typed as the
// organization URL. A scheme is required; https is expected; plain http is
// reported in PlainHTTP (with a warning for a loopback host, a local
// GoodData.CN) for the caller to allow or refuse. A path, query or fragment
// is dropped with a warning.
func ParseOrgURL(raw string) (OrgURL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return OrgURL{}, errors.New("the organization URL is empty; pass it like https://analytics.example.com")
	}
	if !strings.Contains(raw, "://") {
		return OrgURL{}, fmt.Errorf("organization URL %q has no scheme; did you mean https://%s ?", raw, strings.TrimLeft(raw, "/"))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return OrgURL{}, fmt.Errorf("organization URL %q is not a valid URL", raw)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return OrgURL{}, fmt.Errorf("organization URL %q must start with https://", raw)
	}
	if u.User != nil {
		return OrgURL{}, errors.New("the organization URL must not carry a user name or password; gdlogin never takes secrets on the command line")
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return OrgURL{}, fmt.Errorf("organization URL %q has no host", raw)
	}
	port := u.Port()
	if port != "" {
		if n, ok := parsePort(port); !ok {
			return OrgURL{}, fmt.Errorf("organization URL %q has an invalid port", raw)
		} else if (scheme == "https" && n == 443) || (scheme == "http" && n == 80) {
			port = ""
		}
	}
	out := OrgURL{Loopback: isLoopbackHost(host), PlainHTTP: scheme == "http"}
	hostport := host
	if strings.Contains(host, ":") {
		hostport = "[" + host + "]"
	}
	if port != "" {
		hostport += ":" + port
	}
	if scheme == "http" && out.Loopback {
		out.Warnings = append(out.Warnings, "plain http is used for the local organization "+hostport+"; tokens travel unencrypted on this machine")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		out.Warnings = append(out.Warnings, "ignoring the path of the organization URL; using "+scheme+"://"+hostport)
	}
	out.Origin = scheme + "://" + hostport
	return out, nil
}

func parsePort(s string) (int, bool) {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
		if n > 65535 {
			return 0, false
		}
	}
	return n, n > 0
}

func isLoopbackHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
