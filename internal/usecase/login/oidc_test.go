package login

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/gdlogin/gdlogin/internal/failure"
	"github.com/gdlogin/gdlogin/internal/oidcflow"
	"github.com/gdlogin/gdlogin/internal/shellquote"
)

func TestExplainRejectedJWTNamesTheCauses(t *testing.T) {
	tok := &oidcflow.Tokens{Subject: "00u1a2b3c4", KeyID: "", Algorithm: "HS256", Type: "at+jwt"}
	err := explainRejectedJWT("https://analytics.example.com", tok, nil, nil, nil)
	if failure.KindOf(err) != failure.Auth {
		t.Fatalf("kind %d", failure.KindOf(err))
	}
	for _, want := range []string{"has no kid", `sub "00u1a2b3c4"`, `typ is "at+jwt"`, "signed with HS256"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %s", want, err)
		}
	}
	if h := failure.HintOf(err); !strings.Contains(h, `"kid":"<kid>","n":"…","e":"AQAB"`) || !strings.Contains(h, "gdlogin login https://analytics.example.com") {
		t.Errorf("hint %s", h)
	}
	// A kid from the provider cannot break out of the printed command.
	hostile := `k1'; touch /tmp/gdlogin-pwned; echo '`
	if _, err := exec.LookPath("sh"); err == nil {
		out, err := exec.Command("sh", "-c", "printf %s "+shellquote.POSIX(hostile)).Output()
		if err != nil || string(out) != hostile {
			t.Fatalf("shellquote.POSIX round trip: %q %v", out, err)
		}
	}
	if jwkID(hostile) != "identity-provider" || jwkID("k1.sig") != "k1.sig" || jwkID(".k1") != "identity-provider" {
		t.Errorf("jwkID accepts an id GoodData refuses, or refuses a good one")
	}
}
