package templates

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/a-h/templ"

	"github.com/gdlogin/gdlogin/static"
)

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

// inlineScript writes one of gdlogin's own embedded scripts inline, with
// the request's CSP nonce. The code is never data from a request; a
// closing script tag inside it would end the element early, so it is
// refused.
func inlineScript(js string) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		if strings.Contains(strings.ToLower(js), "</script") {
			return errors.New("templates: an inline script contains </script")
		}
		_, err := io.WriteString(w, `<script nonce="`+templ.EscapeString(templ.GetNonce(ctx))+`">`+js+"</script>")
		return err
	})
}
