package templates

import "github.com/gdlogin/gdlogin/static"

// callbackScript is the callback page's code: the shared status helpers
// and the callback itself, inlined so that the envelope leaves the browser
// without waiting for more round trips.
var callbackScript = mustRead("ui.js") + "\n" + mustRead("callback.js")

func mustRead(name string) string {
	b, err := static.Pages.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}
