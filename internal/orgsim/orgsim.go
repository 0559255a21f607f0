// Package orgsim owns the in-process emulator of a GoodData organization
// that gdlogin's tests and `gdlogin demo` run against.
//
// The emulator is faithful rather than friendly: it answers the API surface
// gdlogin relies on (profile, users, API tokens, JSON web keys) with the
// shapes, status codes and headers of a real GoodData.CN / GoodData Cloud
// server, authenticates API tokens, registered-JWK JWTs and browser
// sessions in the same order, redirects unauthenticated browsers to a login
// page, and serves that login page and an organization home page under a
// strict Content-Security-Policy. A legacy mode serves the pre-2.0 `/api/…`
// paths instead of `/api/v1/…`.
//
// Start one with [Start]; every exchange is recorded in a request log
// ([Server.Requests]) with credentials redacted.
package orgsim

import (
	"crypto/tls"
	"time"
)

// Permission names as the profile endpoint reports them.
const (
	// PermissionManage lets a user administer the organization, including
	// other users' API tokens and the JSON web keys.
	PermissionManage = "MANAGE"
	// PermissionSelfCreateToken lets a user create, list and delete their
	// own API tokens.
	PermissionSelfCreateToken = "SELF_CREATE_TOKEN"
)

// SessionCookieName is the name of the browser session cookie, as
// GoodData.CN calls it.
const SessionCookieName = "SPRING_SEC_SECURITY_CONTEXT"

// BootstrapTokenID is the id of the API token that [Server.AdminToken]
// returns.
const BootstrapTokenID = "bootstrap"

// User is a member of the emulated organization.
type User struct {
	// ID is the GoodData user id (also the `sub` a JWT must carry).
	ID string
	// Name is the display name shown in the profile and on the home page.
	Name string
	// Password is what the login page accepts; empty means the user
	// cannot sign in through the login page.
	Password string
	// Permissions are organization permissions such as
	// [PermissionManage] and [PermissionSelfCreateToken].
	Permissions []string
}

// DemoUsers returns the users of the demo organization: john.doe (password
// "demo", may create his own tokens), jane.roe (password "demo", may not
// create tokens) and admin (password "admin", MANAGE, holder of the
// bootstrap token).
func DemoUsers() []User {
	return []User{
		{ID: "john.doe", Name: "John Doe", Password: "demo", Permissions: []string{PermissionSelfCreateToken}},
		{ID: "jane.roe", Name: "Jane Roe", Password: "demo", Permissions: []string{}},
		{ID: "admin", Name: "Admin", Password: "admin", Permissions: []string{PermissionManage}},
	}
}

// Options configure an emulated organization. The zero value is the demo
// organization on a random loopback port.
type Options struct {
	// Users of the organization; nil means DemoUsers().
	Users []User
	// Legacy emulates a server before GoodData.CN 2.0: the API lives
	// under /api/… and /api/v1/… answers 404.
	Legacy bool
	// Latency delays the answer to every /api request (slow-server tests).
	Latency time.Duration
	// OrganizationID defaults to "default".
	OrganizationID string
	// OrganizationName defaults to "Example Analytics".
	OrganizationName string
	// PrefillUser, when set, prefills the login form with this user's id
	// and password (for the demo).
	PrefillUser string
	// Addr is the listen address; it must be on 127.0.0.1. Default
	// "127.0.0.1:0".
	Addr string
	// Scripts are extra same-origin scripts that the home page loads.
	Scripts []Script
	// TLS, when set, makes the organization serve https with this
	// configuration, whose certificate must be valid for Host (or for
	// 127.0.0.1 when Host is empty). Its cookies are then Secure, as a real
	// organization's are.
	TLS *tls.Config
	// Host is the host name of the organization's URL, for example
	// "analytics.example.com"; empty means the listen address. It changes
	// only the URL: the listener stays on 127.0.0.1, and the test makes
	// the name resolve there (a dialer, a browser's host rules).
	Host string
	// CSP is the Content-Security-Policy of the HTML pages; the zero value
	// is CSPStrict.
	CSP CSP
}

// CSP names the Content-Security-Policy the emulator's HTML pages carry.
// Browsers differ on whether a bookmark (a javascript: URL) runs under a
// policy: WebKit checks it against script-src, Chromium and Firefox do not.
type CSP string

const (
	// CSPStrict is at least as strict as a real GoodData organization's
	// policy: scripts only from the origin itself, no 'unsafe-inline', no
	// 'unsafe-eval', no connections or form posts to other origins.
	CSPStrict CSP = ""
	// CSPUnsafeInline is CSPStrict whose script-src also allows
	// 'unsafe-inline' (which javascript: URLs fall under).
	CSPUnsafeInline CSP = "unsafe-inline"
	// CSPNone sends no Content-Security-Policy at all.
	CSPNone CSP = "none"
)

// Script is a same-origin script served at Path with Content-Type
// text/javascript and loaded by the organization home page.
type Script struct {
	// Path is the absolute URL path, for example "/assets/handoff.js".
	Path string
	// Body is the script source.
	Body []byte
}
