package handoff_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/gdlogin/gdlogin/internal/handoff"
)

// TestPayloadNeverShowsItsToken: every way a payload could be printed or
// logged by accident shows "[redacted]" and not the token.
func TestPayloadNeverShowsItsToken(t *testing.T) {
	p := testPayload()
	type result struct {
		Payload handoff.Payload
		At      string
	}
	var outputs = map[string]string{}
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3v", "%-40s"} {
		outputs["Sprintf "+format] = fmt.Sprintf(format, p)
		outputs["Sprintf pointer "+format] = fmt.Sprintf(format, &p)
		outputs["Sprintf nested "+format] = fmt.Sprintf(format, result{Payload: p, At: "now"})
		outputs["Sprintf slice "+format] = fmt.Sprintf(format, []handoff.Payload{p})
		outputs["Sprintf map "+format] = fmt.Sprintf(format, map[string]handoff.Payload{"k": p})
	}
	outputs["Sprint"] = fmt.Sprint(p)
	outputs["Sprintln"] = fmt.Sprintln("got", p)
	outputs["String"] = p.String()
	outputs["GoString"] = p.GoString()
	outputs["error"] = fmt.Errorf("login with %v failed", p).Error()

	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("handoff", "payload", p, "ptr", &p)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("handoff", "payload", p, slog.Any("any", p))
	outputs["slog text"] = text.String()
	outputs["slog JSON"] = js.String()

	marshalled, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	outputs["json.Marshal"] = string(marshalled)
	nested, _ := json.Marshal(result{Payload: p})
	outputs["json.Marshal nested"] = string(nested)

	for how, out := range outputs {
		if strings.Contains(out, p.Token) || strings.Contains(out, "am9obi5kb2U6") || strings.Contains(out, fmt.Sprintf("%x", p.Token)[:16]) {
			t.Errorf("%s shows the token: %s", how, out)
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("%s does not say [redacted]: %s", how, out)
		}
	}
	if !strings.Contains(outputs["Sprintf %+v"], "john.doe") || !strings.Contains(outputs["slog JSON"], `"userId":"john.doe"`) {
		t.Errorf("the non-secret fields should still show: %s / %s", outputs["Sprintf %+v"], outputs["slog JSON"])
	}
	if !strings.Contains(outputs["Sprintf %#v"], `handoff.Payload{Token:"[redacted]"`) {
		t.Errorf("%%#v: %s", outputs["Sprintf %#v"])
	}
	// The field itself is still there for the code that must output it.
	if p.Token != testToken {
		t.Fatal("redaction changed the value")
	}
}
