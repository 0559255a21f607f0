// Package templates holds the pages of gdlogin's loopback server as templ
// components: the start page, the callback page, the finished page and the
// error page. Pages take plain data and never build HTML by hand; the CSP
// nonce reaches every <script> through the request context
// (templ.WithNonce), and the only script-bearing URL, the bookmarklet, is
// marked safe in exactly one place.
package templates
