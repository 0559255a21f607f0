package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gdlogin/gdlogin/internal/shellquote"
	"github.com/gdlogin/gdlogin/internal/store"
	"github.com/gdlogin/gdlogin/internal/termtext"
	"github.com/gdlogin/gdlogin/internal/usecase/credential"
)

// Output modes of --output.
const (
	outToken = "token"
	outJSON  = "json"
	outEnv   = "env"
	outNone  = "none"
)

var outputModes = []string{outToken, outJSON, outEnv, outNone}

// writeOutput writes exactly what --output asks for on stdout. profile,
// when the credential is saved in one, adds that profile's own variable
// to the env output.
func writeOutput(w io.Writer, mode string, c credential.Credential, profile string) error {
	var err error
	switch mode {
	case outToken:
		_, err = fmt.Fprintln(w, c.Token.Reveal())
	case outJSON:
		err = writeJSON(w, struct {
			Host             string    `json:"host"`
			UserID           string    `json:"userId"`
			UserName         string    `json:"userName,omitempty"`
			OrganizationID   string    `json:"organizationId"`
			OrganizationName string    `json:"organizationName"`
			TokenID          string    `json:"tokenId"`
			Token            string    `json:"token"`
			Method           string    `json:"method"`
			CreatedAt        time.Time `json:"createdAt"`
		}{c.Host, c.Profile.UserID, c.Profile.Name, c.Profile.OrganizationID, c.Profile.OrganizationName,
			c.TokenID, c.Token.Reveal(), c.Method, c.CreatedAt.UTC()})
	case outEnv:
		_, err = io.WriteString(w, envExports("bash", credentialVars(c.Host, c.Token.Reveal(), profile)))
	case outNone:
	}
	return err
}

// Shells that `env` and `--output env` can write for.
var shells = []string{"bash", "zsh", "fish", "powershell"}

// credentialVars are the variables that gdlogin env, gdlogin run and
// --output env set: GOODDATA_HOST, and the token as GOODDATA_TOKEN,
// GOODDATA_API_TOKEN (the name GoodData's VS Code extension and
// gooddata.yaml files use) and GDC_API_TOKEN (GoodData.CN's tools), plus,
// for a saved profile, the profile's own variable that its SDK
// profiles.yaml entry reads (store.SDKTokenEnv).
func credentialVars(host, token, profile string) [][2]string {
	vars := [][2]string{{"GOODDATA_HOST", host}, {"GOODDATA_TOKEN", token}, {"GOODDATA_API_TOKEN", token}, {"GDC_API_TOKEN", token}}
	if profile != "" {
		vars = append(vars, [2]string{store.SDKTokenEnv(profile), token})
	}
	return vars
}

// envExports returns the shell lines that set vars, safely quoted for the
// shell.
func envExports(shell string, vars [][2]string) string {
	var b strings.Builder
	for _, kv := range vars {
		switch shell {
		case "fish":
			fmt.Fprintf(&b, "set -gx %s %s;\n", kv[0], shellquote.Fish(kv[1]))
		case "powershell":
			fmt.Fprintf(&b, "$env:%s = %s\n", kv[0], shellquote.PowerShell(kv[1]))
		default: // bash, zsh and other POSIX shells
			fmt.Fprintf(&b, "export %s=%s\n", kv[0], shellquote.POSIX(kv[1]))
		}
	}
	return b.String()
}

// writeJSON writes v as indented JSON and a newline. The values stay what
// the organization sent; termtext.JSON writes the characters a terminal
// would obey (C1 controls, bidi overrides) as JSON escapes.
func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(termtext.JSON(b), '\n'))
	return err
}

// summary is the one line for humans after a login; never the token.
func summary(c credential.Credential, verb string) string {
	org := c.Profile.OrgLabel()
	if c.OIDC != nil && c.OIDC.KeepJWT {
		return termtext.Sprintf("%s %s (%s) as %s: the identity provider's ID token is the credential (valid until %s).", verb, org, c.Host, c.Profile.DisplayName(),
			c.OIDC.IDTokenExpiry.Local().Format("2006-01-02 15:04:05"))
	}
	return termtext.Sprintf("%s %s (%s) as %s: API token %q created and verified.", verb, org, c.Host, c.Profile.DisplayName(), c.TokenID)
}
