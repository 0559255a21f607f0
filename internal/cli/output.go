package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gdlogin/gdlogin/internal/gooddata"
)

// credential is what a login produced, or what a profile holds.
type credential struct {
	Host      string
	Profile   gooddata.Profile // the token's owner, as the server reported it
	TokenID   string
	Token     gooddata.Secret
	Method    string
	CreatedAt time.Time
	// OIDC is set by the oidc method (login_oidc.go): the identity
	// provider, saved in the profile, and with --keep-jwt the ID token's
	// expiry and the refresh token, saved with the secret. Token is then
	// the ID token and TokenID is empty.
	OIDC *oidcCredential
}

// Output modes of --output.
const (
	outToken = "token"
	outJSON  = "json"
	outEnv   = "env"
	outNone  = "none"
)

var outputModes = []string{outToken, outJSON, outEnv, outNone}

// writeOutput writes exactly what --output asks for on stdout.
func writeOutput(w io.Writer, mode string, c credential) error {
	var err error
	switch mode {
	case outToken:
		_, err = fmt.Fprintln(w, c.Token.Reveal())
	case outJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(struct {
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
		_, err = io.WriteString(w, envExports("bash", c.Host, c.Token.Reveal()))
	case outNone:
	}
	return err
}

// Shells that `env` and `--output env` can write for.
var shells = []string{"bash", "zsh", "fish", "powershell"}

// envExports returns the shell lines that set GOODDATA_HOST, GOODDATA_TOKEN
// and GOODDATA_API_TOKEN (the name GoodData's VS Code extension and
// gooddata.yaml files use), safely quoted for the shell.
func envExports(shell, host, token string) string {
	vars := [][2]string{{"GOODDATA_HOST", host}, {"GOODDATA_TOKEN", token}, {"GOODDATA_API_TOKEN", token}}
	var b strings.Builder
	for _, kv := range vars {
		switch shell {
		case "fish":
			fmt.Fprintf(&b, "set -gx %s %s;\n", kv[0], fishQuote(kv[1]))
		case "powershell":
			fmt.Fprintf(&b, "$env:%s = %s\n", kv[0], powershellQuote(kv[1]))
		default: // bash, zsh and other POSIX shells
			fmt.Fprintf(&b, "export %s=%s\n", kv[0], posixQuote(kv[1]))
		}
	}
	return b.String()
}

// posixQuote single-quotes s; each quote inside closes the string, adds an escaped quote and reopens it.
func posixQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// fishQuote single-quotes s; fish treats \ and ' specially inside quotes.
func fishQuote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
}

// powershellQuote uses a verbatim string, where only ' needs doubling
// (including the typographic quotes PowerShell also accepts).
func powershellQuote(s string) string {
	r := strings.NewReplacer("'", "''", "\u2018", "\u2018\u2018", "\u2019", "\u2019\u2019", "\u201a", "\u201a\u201a", "\u201b", "\u201b\u201b")
	return "'" + r.Replace(s) + "'"
}

// summary is the one line for humans after a login; never the token.
func summary(c credential, verb string) string {
	org := c.Profile.OrganizationName
	if org == "" {
		org = c.Profile.OrganizationID
	}
	if c.OIDC != nil && c.OIDC.KeepJWT {
		return fmt.Sprintf("%s %s (%s) as %s: the identity provider's ID token is the credential (valid until %s).", verb, org, c.Host, c.Profile.DisplayName(),
			c.OIDC.IDTokenExpiry.Local().Format("2006-01-02 15:04:05"))
	}
	return fmt.Sprintf("%s %s (%s) as %s: API token %q created and verified.", verb, org, c.Host, c.Profile.DisplayName(), c.TokenID)
}
