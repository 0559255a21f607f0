package static

import "embed"

// Pages holds the style sheet and scripts of gdlogin's own loopback pages
// (start, callback, finished, error). ui.js is shared; start.js and
// callback.js each drive one page.
//
//go:embed app.css ui.js start.js callback.js
var Pages embed.FS
