package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

const (
	configFileName = "config.yaml"
	lockFileName   = "config.lock"
	secretsDirName = "secrets"
	configVersion  = 1
)

const configHeader = `# gdlogin profiles. No secret is stored in this file: tokens live in the
# OS keyring or, when secret_store is "file", in secrets/ (mode 0600).
# Written by gdlogin; edit with care.
`

// configFile is config.yaml.
type configFile struct {
	Version int `yaml:"version"`
	// SecretStore is "file" once auto mode found no usable keyring; later
	// runs then go straight to the file store without warning again.
	SecretStore Location `yaml:"secret_store,omitempty"`
	// InstallationKey says where the installation key (SPEC 3.11) lives:
	// "keyring" or "file" (secrets/installation-key.json). Never the key.
	InstallationKey Location                `yaml:"installation_key,omitempty"`
	Profiles        map[string]profileEntry `yaml:"profiles"`
	// StaleKeyring are keyring accounts whose write timed out: the
	// keyring may still have stored the secret after gdlogin gave up on
	// it. SweepKeyring removes them once the keyring answers again.
	StaleKeyring []string `yaml:"stale_keyring_items,omitempty"`
}

type profileEntry struct {
	Host             string        `yaml:"host"`
	UserID           string        `yaml:"user_id,omitempty"`
	OrganizationID   string        `yaml:"organization_id,omitempty"`
	OrganizationName string        `yaml:"organization_name,omitempty"`
	TokenID          string        `yaml:"token_id,omitempty"`
	CreatedAt        time.Time     `yaml:"created_at"`
	Method           Method        `yaml:"method"`
	CACert           string        `yaml:"ca_cert,omitempty"`
	SecretStore      Location      `yaml:"secret_store"`
	SecretKey        string        `yaml:"secret_key"`
	OIDC             *OIDCSettings `yaml:"oidc,omitempty"`
	BookmarkWorked   time.Time     `yaml:"bookmark_worked,omitempty"`
	// SDKProfiles are the entries gdlogin wrote into SDK profiles.yaml
	// files for this profile: what logout removes, and how gdlogin knows
	// an entry as its own.
	SDKProfiles []SDKEntry `yaml:"sdk_profiles,omitempty"`
}

func (e profileEntry) profile(name string) Profile {
	return Profile{
		Name:             name,
		Host:             e.Host,
		UserID:           e.UserID,
		OrganizationID:   e.OrganizationID,
		OrganizationName: e.OrganizationName,
		TokenID:          e.TokenID,
		CreatedAt:        e.CreatedAt,
		Method:           e.Method,
		CACert:           e.CACert,
		SecretStore:      e.SecretStore,
		OIDC:             cloneOIDC(e.OIDC),
		BookmarkWorked:   e.BookmarkWorked,
		SDKProfiles:      append([]SDKEntry(nil), e.SDKProfiles...),
		secretKey:        e.SecretKey,
	}
}

func entryOf(p Profile) profileEntry {
	return profileEntry{
		Host:             p.Host,
		UserID:           p.UserID,
		OrganizationID:   p.OrganizationID,
		OrganizationName: p.OrganizationName,
		TokenID:          p.TokenID,
		CreatedAt:        p.CreatedAt,
		Method:           p.Method,
		CACert:           p.CACert,
		SecretStore:      p.SecretStore,
		SecretKey:        p.secretKey,
		OIDC:             cloneOIDC(p.OIDC),
		BookmarkWorked:   p.BookmarkWorked,
		SDKProfiles:      append([]SDKEntry(nil), p.SDKProfiles...),
	}
}

func cloneOIDC(o *OIDCSettings) *OIDCSettings {
	if o == nil {
		return nil
	}
	c := *o
	c.Scopes = append([]string(nil), o.Scopes...)
	return &c
}

// secretKeyRE keeps a secret_key usable as a file name (no separators).
var secretKeyRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$`)

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

// yamlParserProblems are the problems yaml.v3's parser (not its scanner)
// reports. For these it prints the 0-based line of the failing collection,
// and no line at all for the first line, so the number needs one added.
var yamlParserProblems = []string{
	"did not find expected <document start>",
	"did not find expected <stream-start>",
	"did not find expected key",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found undefined tag handle",
	"found incompatible YAML document",
	"found duplicate %",
}

// yamlErrorLine finds the 1-based line number in a yaml.v3 error message;
// 0 when there is none.
func yamlErrorLine(err error) int {
	msg := err.Error()
	parser := false
	for _, p := range yamlParserProblems {
		if strings.Contains(msg, p) {
			parser = true
			break
		}
	}
	m := yamlLineRE.FindStringSubmatch(msg)
	if m == nil {
		if parser {
			return 1
		}
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	if parser {
		n++
	}
	return n
}

// parseYAMLDocument parses exactly one YAML document into a node tree.
// Syntax errors come back as *CorruptFileError with the line number.
// An empty (or comment-only) input gives a nil root.
func parseYAMLDocument(path string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, &CorruptFileError{Path: path, Line: yamlErrorLine(err), Err: err}
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, &CorruptFileError{Path: path, Line: yamlErrorLine(err), Err: err}
		}
		return nil, &CorruptFileError{Path: path, Line: next.Line, Err: errors.New("more than one YAML document")}
	}
	return &doc, nil
}

func (s *Store) configPath() string { return s.dir + string(os.PathSeparator) + configFileName }

// loadConfig reads config.yaml; a missing file is an empty configuration.
func (s *Store) loadConfig() (*configFile, error) {
	path := s.configPath()
	if err := checkOwnedIfExists(s.dir); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &configFile{Version: configVersion, Profiles: map[string]profileEntry{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if err := checkOwnedIfExists(path); err != nil {
		return nil, err
	}
	doc, err := parseYAMLDocument(path, data)
	if err != nil {
		return nil, err
	}
	cfg := &configFile{}
	if doc != nil && len(doc.Content) > 0 {
		if err := doc.Decode(cfg); err != nil {
			return nil, &CorruptFileError{Path: path, Line: yamlErrorLine(err), Err: err}
		}
	}
	if cfg.Version == 0 {
		cfg.Version = configVersion
	}
	if cfg.Version > configVersion {
		return nil, fmt.Errorf("%s was written by a newer gdlogin (format version %d, this one knows %d): upgrade gdlogin", path, cfg.Version, configVersion)
	}
	if cfg.Profiles == nil {
		cfg.Profiles = map[string]profileEntry{}
	}
	if k := cfg.InstallationKey; k != "" && k != LocationKeyring && k != LocationFile {
		return nil, &CorruptFileError{Path: path, Err: fmt.Errorf("installation_key is %q, want keyring or file", k)}
	}
	for _, k := range cfg.StaleKeyring {
		if !secretKeyRE.MatchString(k) {
			return nil, &CorruptFileError{Path: path, Err: fmt.Errorf("stale_keyring_items holds %q, which is no keyring account of gdlogin", k)}
		}
	}
	for name, e := range cfg.Profiles {
		if err := ValidateName(name); err != nil {
			return nil, &CorruptFileError{Path: path, Err: err}
		}
		if !secretKeyRE.MatchString(e.SecretKey) || (e.SecretStore != LocationKeyring && e.SecretStore != LocationFile) {
			return nil, &CorruptFileError{Path: path, Err: fmt.Errorf("profile %q has no valid secret_store and secret_key", name)}
		}
		if err := validateCACertPath(name, e.CACert); err != nil {
			return nil, &CorruptFileError{Path: path, Err: err}
		}
		for _, se := range e.SDKProfiles {
			if err := se.validate(); err != nil {
				return nil, &CorruptFileError{Path: path, Err: fmt.Errorf("profile %q: %w", name, err)}
			}
		}
	}
	return cfg, nil
}

// writeConfig replaces config.yaml atomically with mode 0600.
func (s *Store) writeConfig(cfg *configFile) error {
	var buf bytes.Buffer
	buf.WriteString(configHeader)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(cfg); err != nil {
		return fmt.Errorf("encode %s: %w", s.configPath(), err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode %s: %w", s.configPath(), err)
	}
	return s.writeFile(s.configPath(), buf.Bytes(), 0o600)
}
