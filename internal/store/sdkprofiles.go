package store

// GoodData Python SDK interop: gooddata-sdk (and gooddata-pandas,
// gooddata-dbt and other tools built on it) read ~/.gooddata/profiles.yaml.
// The SDK accepts two shapes:
//
// Legacy (deprecated by the SDK, still read): a top-level mapping of
// profile names, each with a literal token.
//
//	default:
//	  host: https://analytics.example.com
//	  token: <API token>
//	  custom_headers: {...}      # optional
//	  extra_user_agent: xyz      # optional
//	  ssl_ca_cert: /path/ca.pem  # optional: PEM file of a private CA
//
// Current: all three top-level keys profiles, default_profile and access
// must be present, or the SDK does not recognise the form. A token is the
// name of an environment variable prefixed with '$': the SDK strips the
// first character and looks the rest up in the environment (after loading
// a .env file, which does not override the environment); a variable that
// is not set is an error.
//
//	profiles:
//	  dev:
//	    host: https://analytics.example.com
//	    token: $GDLOGIN_TOKEN_DEV
//	default_profile: dev
//	access: {}
//
// Each entry gdlogin writes refers to its own profile's variable
// (SDKTokenEnv), never to the shared GOODDATA_TOKEN: with two profiles on
// two organizations, a shell that exported one of them must not make the
// SDK send that token to the other's host. gdlogin knows its own entries
// by the record it keeps in config.yaml (Profile.SDKProfiles: file, entry
// name, host, variable); an entry written by an earlier gdlogin, before
// that record existed, is known by its name and host being those of a
// saved profile and its token being $GOODDATA_TOKEN, exactly as that
// gdlogin wrote it. Writing any entry into a file moves every such entry
// of gdlogin's in that file to its own variable; entries gdlogin did not
// write are never changed.
//
// Both forms read a profile's keys alike (gooddata_sdk.config.Profile), so
// ssl_ca_cert, the path of a PEM file of extra certificate authorities, is
// written in both when the profile has one. A profile without one leaves an
// ssl_ca_cert already in the file alone: the user may have set it by hand.
//
// Asking the SDK for profile "default" in the current form selects
// default_profile, not a profile called "default".
//
// gdlogin edits the file's YAML node tree and then, whenever it can, applies
// the same edit as a byte splice of the original text, so comments, blank
// lines, quoting and the order of everything else survive byte for byte. The
// splice is used only if the spliced text parses to exactly the edited tree;
// otherwise the edited tree is re-encoded, which keeps comments but not
// blank lines (SDKResult.Reformatted says so).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// SDKForm is the shape of a profiles.yaml file.
type SDKForm string

// profiles.yaml shapes.
const (
	// SDKFormProfiles is the current form: profiles/default_profile/access,
	// tokens as $ENV references. gdlogin creates missing files in this form.
	SDKFormProfiles SDKForm = "profiles"
	// SDKFormLegacy is the deprecated form with literal tokens.
	SDKFormLegacy SDKForm = "legacy"
)

// DefaultSDKTokenEnv is the shared variable that earlier versions of
// gdlogin wrote for every profiles-form entry ($GOODDATA_TOKEN). gdlogin
// env still exports it, but entries gdlogin writes now refer to their
// profile's own variable (SDKTokenEnv) and are migrated away from it.
const DefaultSDKTokenEnv = "GOODDATA_TOKEN"

// DefaultSDKProfilesPath is ~/.gooddata/profiles.yaml.
func DefaultSDKProfilesPath() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the home directory for ~/.gooddata/profiles.yaml: %w", err)
	}
	return filepath.Join(home, ".gooddata", "profiles.yaml"), nil
}

// SDKProfile is one profile to write into profiles.yaml.
type SDKProfile struct {
	Name  string
	Host  string
	Token string // the literal API token; written only in the legacy form
	// CACert is the absolute path of a PEM CA file, written as ssl_ca_cert;
	// empty writes none.
	CACert string
}

// sdkKeys are the keys written for p, with token as given.
func (p SDKProfile) sdkKeys(token string) [][2]string {
	kv := [][2]string{{"host", p.Host}, {"token", token}}
	if p.CACert != "" {
		kv = append(kv, [2]string{"ssl_ca_cert", p.CACert})
	}
	return kv
}

// SDKOptions tunes WriteSDKProfile.
type SDKOptions struct {
	// Path of profiles.yaml; empty means DefaultSDKProfilesPath().
	Path string
	// CreateForm is the form of a file that does not exist yet (or is empty);
	// empty means SDKFormProfiles. An existing file keeps its form.
	CreateForm SDKForm
	// Owner is the gdlogin profile the entry is written for. When set,
	// WriteSDKProfile records the entry in that profile (config.yaml), so
	// that logout removes it, and migrates gdlogin's other entries in the
	// file to their own variables. The profile must exist.
	Owner string
	// TokenEnv is the variable named by a profiles-form token; empty means
	// SDKTokenEnv(Owner), or SDKTokenEnv(the entry's name) without Owner.
	TokenEnv string
	// MakeDefault points default_profile at this profile (profiles form). It
	// is also set when the file has no default_profile yet.
	MakeDefault bool

	// migrate names the other entries of the file that are gdlogin's and
	// the variable each moves to when it still reads $GOODDATA_TOKEN.
	migrate map[string]migration
}

// migration is one entry of gdlogin's that may still read $GOODDATA_TOKEN.
type migration struct {
	owner, host, tokenEnv string
}

// SDKEntry records one entry that gdlogin wrote into an SDK profiles.yaml.
type SDKEntry struct {
	// Path is the file's absolute path.
	Path string `yaml:"path"`
	// Name is the entry's name in the file.
	Name string `yaml:"name"`
	// Host is the host written; an entry whose host was changed by hand is
	// no longer gdlogin's.
	Host string `yaml:"host"`
	// TokenEnv is the variable of a profiles-form entry's token; empty for
	// a legacy-form entry, which holds the token itself.
	TokenEnv string `yaml:"token_env,omitempty"`
}

func (e SDKEntry) validate() error {
	switch {
	case !filepath.IsAbs(e.Path) || strings.ContainsAny(e.Path, "\x00\r\n"):
		return fmt.Errorf("SDK profile record: path %q is not an absolute path", e.Path)
	case e.Name == "" || strings.ContainsAny(e.Name, "\x00\r\n"):
		return fmt.Errorf("SDK profile record: entry name %q is not valid", e.Name)
	case e.TokenEnv != "" && !envNameRE.MatchString(e.TokenEnv):
		return fmt.Errorf("SDK profile record: %q is not an environment variable name", e.TokenEnv)
	}
	return nil
}

// SDKMigration is an entry of gdlogin's moved from $GOODDATA_TOKEN to its
// profile's own variable.
type SDKMigration struct {
	Entry    string // the entry's name in the file
	Profile  string // the gdlogin profile it belongs to
	TokenEnv string // the variable it reads now
}

// SDKResult says what WriteSDKProfile did.
type SDKResult struct {
	Path    string
	Form    SDKForm
	Created bool // the file did not exist (or was empty)
	// TokenFromEnv is true in the profiles form: the file holds
	// "$"+TokenEnv, not the token, so the user must export the token, e.g.
	// with eval "$(gdlogin env)", before using the SDK.
	TokenFromEnv bool
	TokenEnv     string
	// DefaultProfile is default_profile after the write (profiles form).
	DefaultProfile string
	// Reformatted is true when the file could not be edited in place and was
	// re-encoded: comments and order survive, blank lines and spacing may not.
	Reformatted bool
	// Migrated are the entries of gdlogin's, other than the one written,
	// moved from $GOODDATA_TOKEN to their own variables.
	Migrated []SDKMigration
	// Shared are the other entries that still read $GOODDATA_TOKEN (ones
	// gdlogin did not write): whatever profile the shell exported last is
	// what the SDK sends there.
	Shared []string
	// Recorded is true when the entry was recorded in the Owner profile.
	Recorded bool
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// WriteSDKProfile adds or updates one profile in the GoodData Python SDK's
// profiles.yaml, keeping the rest of the file. In the legacy form the token
// is written literally and the file is made mode 0600; in the profiles form
// the token is "$"+TokenEnv and the file keeps its mode. A missing file is
// created (mode 0600, directory 0700) in opts.CreateForm. A file that does
// not parse is reported with its path and line and left untouched. The write
// is atomic and serialised with the store's other writes.
func (s *Store) WriteSDKProfile(ctx context.Context, p SDKProfile, opts SDKOptions) (SDKResult, error) {
	if err := ValidateName(p.Name); err != nil {
		return SDKResult{}, err
	}
	if u, err := url.Parse(p.Host); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return SDKResult{}, fmt.Errorf("SDK profile %q: host %q is not an http(s) URL", p.Name, p.Host)
	}
	if err := validateCACertPath(p.Name, p.CACert); err != nil {
		return SDKResult{}, fmt.Errorf("SDK %w", err)
	}
	if opts.Owner != "" {
		if err := ValidateName(opts.Owner); err != nil {
			return SDKResult{}, err
		}
	}
	if opts.TokenEnv == "" {
		owner := opts.Owner
		if owner == "" {
			owner = p.Name
		}
		opts.TokenEnv = SDKTokenEnv(owner)
	}
	if !envNameRE.MatchString(opts.TokenEnv) {
		return SDKResult{}, fmt.Errorf("SDK profile %q: %q is not an environment variable name", p.Name, opts.TokenEnv)
	}
	switch opts.CreateForm {
	case "":
		opts.CreateForm = SDKFormProfiles
	case SDKFormProfiles, SDKFormLegacy:
	default:
		return SDKResult{}, fmt.Errorf("unknown profiles.yaml form %q: use %q or %q", opts.CreateForm, SDKFormProfiles, SDKFormLegacy)
	}
	path := opts.Path
	if path == "" {
		var err error
		if path, err = DefaultSDKProfilesPath(); err != nil {
			return SDKResult{}, err
		}
	}

	abs, err := filepath.Abs(path)
	if err != nil {
		return SDKResult{}, fmt.Errorf("SDK profiles file %s: %w", path, err)
	}
	path = abs

	unlock, err := s.lock(ctx)
	if err != nil {
		return SDKResult{}, err
	}
	defer unlock()

	var cfg *configFile
	if opts.Owner != "" {
		if cfg, err = s.loadConfig(); err != nil {
			return SDKResult{}, err
		}
		if _, ok := cfg.Profiles[opts.Owner]; !ok {
			return SDKResult{}, notFound(opts.Owner)
		}
		opts.migrate = ownEntries(cfg, path, p.Name)
	}

	perm := fs.FileMode(0o600)
	src, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		src = nil
		if _, err := os.Stat(filepath.Dir(path)); errors.Is(err, fs.ErrNotExist) {
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return SDKResult{}, fmt.Errorf("create %s: %w", filepath.Dir(path), err)
			}
		}
	case err != nil:
		return SDKResult{}, fmt.Errorf("read %s: %w", path, err)
	default:
		if fi, err := os.Stat(path); err == nil {
			perm = fi.Mode().Perm()
		}
	}

	out, res, err := editSDKProfiles(path, src, p, opts)
	if err != nil {
		return SDKResult{}, err
	}
	res.Path = path
	if res.Form == SDKFormLegacy || res.Created {
		perm = 0o600
	}
	if err := s.writeFile(path, out, perm); err != nil {
		return SDKResult{}, err
	}
	if cfg == nil {
		return res, nil
	}
	entry := SDKEntry{Path: path, Name: p.Name, Host: p.Host}
	if res.Form == SDKFormProfiles {
		entry.TokenEnv = opts.TokenEnv
	}
	recordSDKEntry(cfg, opts.Owner, entry)
	for _, m := range res.Migrated {
		recordSDKEntry(cfg, m.Profile, SDKEntry{Path: path, Name: m.Entry, Host: opts.migrate[m.Entry].host, TokenEnv: m.TokenEnv})
	}
	if err := s.writeConfig(cfg); err != nil {
		return res, fmt.Errorf("%s is written, but recording it in %s failed (gdlogin logout will not remove it): %w", path, s.configPath(), err)
	}
	res.Recorded = true
	return res, nil
}

// ownEntries are the entries of the file at path, other than skip, that
// are gdlogin's: recorded in a profile, or named and hosted as a saved
// profile (what an earlier gdlogin wrote without recording it).
func ownEntries(cfg *configFile, path, skip string) map[string]migration {
	own := map[string]migration{}
	for name, e := range cfg.Profiles {
		if _, ok := own[name]; !ok && name != skip {
			own[name] = migration{owner: name, host: e.Host, tokenEnv: SDKTokenEnv(name)}
		}
	}
	// Records win over names: an entry recorded for a profile is that
	// profile's, whatever it is called.
	for name, e := range cfg.Profiles {
		for _, r := range e.SDKProfiles {
			if r.Path == path && r.Name != skip && r.TokenEnv != "" {
				own[r.Name] = migration{owner: name, host: r.Host, tokenEnv: SDKTokenEnv(name)}
			}
		}
	}
	return own
}

// recordSDKEntry makes entry owner's, and nobody else's.
func recordSDKEntry(cfg *configFile, owner string, entry SDKEntry) {
	for name, e := range cfg.Profiles {
		kept := e.SDKProfiles[:0:0]
		for _, r := range e.SDKProfiles {
			if r.Path != entry.Path || r.Name != entry.Name {
				kept = append(kept, r)
			}
		}
		if name == owner {
			kept = append(kept, entry)
		}
		e.SDKProfiles = kept
		cfg.Profiles[name] = e
	}
}

// editSDKProfiles returns src with the profile written into it.
func editSDKProfiles(path string, src []byte, p SDKProfile, opts SDKOptions) ([]byte, SDKResult, error) {
	doc, err := parseYAMLDocument(path, src)
	if err != nil {
		return nil, SDKResult{}, err
	}
	var root *yaml.Node
	if doc != nil && len(doc.Content) > 0 {
		root = doc.Content[0]
		if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
			root = nil
		}
	}
	if root == nil {
		return createSDKProfiles(src, p, opts)
	}
	var check any
	if err := doc.Decode(&check); err != nil {
		return nil, SDKResult{}, &CorruptFileError{Path: path, Line: yamlErrorLine(err), Err: err}
	}
	if root.Kind != yaml.MappingNode {
		return nil, SDKResult{}, &CorruptFileError{Path: path, Line: root.Line, Err: errors.New("the top level is not a mapping of profiles")}
	}

	ed := newSDKEditor(path, src, doc)
	res := SDKResult{TokenEnv: opts.TokenEnv}
	if _, pv := mapGet(root, "profiles"); pv != nil && isProfilesSection(pv) {
		res.Form, res.TokenFromEnv = SDKFormProfiles, true
		res.DefaultProfile, err = ed.writeProfilesForm(root, pv, p, opts)
		res.Migrated, res.Shared = ed.migrated, ed.shared
	} else {
		res.Form = SDKFormLegacy
		if p.Token == "" {
			return nil, SDKResult{}, fmt.Errorf("%s is in the legacy form, which holds the token itself, but no token was given", path)
		}
		err = ed.upsertProfile(root, p.Name, p.sdkKeys(p.Token))
	}
	if err != nil {
		return nil, SDKResult{}, err
	}
	out, reformatted, err := ed.render()
	if err != nil {
		return nil, SDKResult{}, err
	}
	res.Reformatted = reformatted
	return out, res, nil
}

// isProfilesSection tells the current form's "profiles:" from a legacy
// profile that happens to be called "profiles" (which has a host).
func isProfilesSection(v *yaml.Node) bool {
	if v.Kind == yaml.ScalarNode {
		return v.ShortTag() == "!!null"
	}
	if v.Kind != yaml.MappingNode {
		return false
	}
	_, host := mapGet(v, "host")
	return host == nil || host.Kind != yaml.ScalarNode
}

func (ed *sdkEditor) writeProfilesForm(root, profiles *yaml.Node, p SDKProfile, opts SDKOptions) (string, error) {
	if profiles.Kind == yaml.ScalarNode { // "profiles:" with nothing under it
		*profiles = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: profiles.Line, Column: profiles.Column}
		ed.inPlace = false
	}
	if err := ed.upsertProfile(profiles, p.Name, p.sdkKeys("$"+opts.TokenEnv)); err != nil {
		return "", err
	}
	shared := "$" + DefaultSDKTokenEnv
	for i := 0; i+1 < len(profiles.Content); i += 2 {
		k, v := profiles.Content[i], profiles.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value == p.Name || v.Kind != yaml.MappingNode {
			continue
		}
		_, tok := mapGet(v, "token")
		if tok == nil || tok.Kind != yaml.ScalarNode || tok.Value != shared {
			continue
		}
		m, ok := opts.migrate[k.Value]
		_, host := mapGet(v, "host")
		if !ok || k.ShortTag() != "!!str" || host == nil || host.Kind != yaml.ScalarNode || !sameHost(host.Value, m.host) {
			ed.shared = append(ed.shared, k.Value)
			continue
		}
		ed.setScalar(v, "token", "$"+m.tokenEnv)
		ed.migrated = append(ed.migrated, SDKMigration{Entry: k.Value, Profile: m.owner, TokenEnv: m.tokenEnv})
	}

	def := p.Name
	switch _, dv := mapGet(root, "default_profile"); {
	case dv == nil:
		ed.addScalar(root, "default_profile", def)
	case dv.Kind != yaml.ScalarNode:
		return "", &CorruptFileError{Path: ed.path, Line: dv.Line, Err: errors.New("default_profile is not a profile name")}
	case opts.MakeDefault || dv.Value == "" || dv.ShortTag() == "!!null":
		ed.setScalar(root, "default_profile", def)
	default:
		def = dv.Value
	}

	// The SDK requires access to be a mapping; {} when there is nothing.
	switch _, av := mapGet(root, "access"); {
	case av == nil:
		root.Content = append(root.Content, strNode("access"), emptyFlowMap())
		ed.insertLines(root, []string{"access: {}"})
	case av.Kind == yaml.ScalarNode && av.ShortTag() == "!!null":
		*av = *emptyFlowMap()
		ed.inPlace = false
	}
	return def, nil
}

// createSDKProfiles builds a new file (src is empty or only comments).
func createSDKProfiles(src []byte, p SDKProfile, opts SDKOptions) ([]byte, SDKResult, error) {
	res := SDKResult{Form: opts.CreateForm, Created: true, TokenEnv: opts.TokenEnv}
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}
	profile := func(token string) *yaml.Node {
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, kv := range p.sdkKeys(token) {
			m.Content = append(m.Content, strNode(kv[0]), strNode(kv[1]))
		}
		return m
	}
	switch opts.CreateForm {
	case SDKFormLegacy:
		if p.Token == "" {
			return nil, SDKResult{}, errors.New("the legacy profiles.yaml form holds the token itself, but no token was given")
		}
		root.HeadComment = "GoodData profiles for gooddata-sdk and tools built on it.\nThis file holds API tokens: keep it private (mode 0600)."
		root.Content = append(root.Content, strNode(p.Name), profile(p.Token))
	default:
		res.TokenFromEnv, res.DefaultProfile = true, p.Name
		root.HeadComment = "GoodData profiles for gooddata-sdk and tools built on it.\nEach token is read from its profile's own variable, which\ngdlogin run --profile NAME -- CMD or eval \"$(gdlogin env --profile NAME)\" sets."
		profiles := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{strNode(p.Name), profile("$" + opts.TokenEnv)}}
		root.Content = append(root.Content,
			strNode("profiles"), profiles,
			strNode("default_profile"), strNode(p.Name),
			strNode("access"), emptyFlowMap())
	}
	fresh, err := encodeYAML(doc, 2)
	if err != nil {
		return nil, SDKResult{}, err
	}
	// Keep a comment-only file's comments above the new content.
	if len(bytes.TrimSpace(src)) > 0 {
		kept := append([]byte(nil), src...)
		if !bytes.HasSuffix(kept, []byte("\n")) {
			kept = append(kept, '\n')
		}
		if out := append(kept, fresh...); sameYAML(doc, out) {
			return out, res, nil
		}
		res.Reformatted = true
	}
	return fresh, res, nil
}

// sdkEditor edits a node tree and, in parallel, records the same edits as
// splices of the source text while that is possible.
type sdkEditor struct {
	path    string
	src     []byte
	doc     *yaml.Node
	lineOff []int // byte offset where each line starts; lineOff[0] = 0
	newline string
	indent  int
	splices []splice
	inPlace bool

	migrated []SDKMigration
	shared   []string
}

type splice struct {
	off, end int
	text     string
}

func newSDKEditor(path string, src []byte, doc *yaml.Node) *sdkEditor {
	ed := &sdkEditor{path: path, src: src, doc: doc, lineOff: []int{0}, newline: "\n", inPlace: true}
	for i, c := range src {
		if c == '\n' {
			ed.lineOff = append(ed.lineOff, i+1)
		}
	}
	if bytes.Contains(src, []byte("\r\n")) {
		ed.newline = "\r\n"
	}
	ed.indent = detectIndent(doc)
	return ed
}

// upsertProfile makes parent[name] a mapping holding the given keys.
func (ed *sdkEditor) upsertProfile(parent *yaml.Node, name string, kv [][2]string) error {
	_, v := mapGet(parent, name)
	if v == nil {
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		lines := []string{ed.scalar(name) + ":"}
		for _, e := range kv {
			m.Content = append(m.Content, strNode(e[0]), strNode(e[1]))
			lines = append(lines, strings.Repeat(" ", ed.indent)+ed.scalar(e[0])+": "+ed.scalar(e[1]))
		}
		parent.Content = append(parent.Content, strNode(name), m)
		ed.insertLines(parent, lines)
		return nil
	}
	if v.Kind == yaml.AliasNode && v.Alias != nil && v.Alias.Kind == yaml.MappingNode {
		// Editing through an alias would change every user of the anchor.
		*v = *cloneNode(v.Alias)
		v.Anchor = ""
		ed.inPlace = false
	}
	switch {
	case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null":
		*v = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		ed.inPlace = false
	case v.Kind != yaml.MappingNode:
		return &CorruptFileError{Path: ed.path, Line: v.Line, Err: fmt.Errorf("profile %q is not a mapping with host and token", name)}
	}
	for _, e := range kv {
		ed.setScalar(v, e[0], e[1])
	}
	return nil
}

// setScalar sets m[key] = value (a string), in place when it exists.
func (ed *sdkEditor) setScalar(m *yaml.Node, key, value string) {
	_, v := mapGet(m, key)
	if v == nil {
		ed.addScalar(m, key, value)
		return
	}
	if v.Kind == yaml.ScalarNode && v.Value == value && v.ShortTag() == "!!str" {
		return
	}
	if v.Kind != yaml.ScalarNode || v.Value == "" {
		ed.inPlace = false
	} else if ed.inPlace {
		ed.replaceScalar(v, value)
	}
	*v = yaml.Node{
		Kind: yaml.ScalarNode, Tag: "!!str", Value: value,
		Style:       v.Style & (yaml.SingleQuotedStyle | yaml.DoubleQuotedStyle),
		HeadComment: v.HeadComment, LineComment: v.LineComment, FootComment: v.FootComment,
		Line: v.Line, Column: v.Column,
	}
}

// addScalar appends key: value to mapping m.
func (ed *sdkEditor) addScalar(m *yaml.Node, key, value string) {
	m.Content = append(m.Content, strNode(key), strNode(value))
	ed.insertLines(m, []string{ed.scalar(key) + ": " + ed.scalar(value)})
}

// replaceScalar records a splice that swaps the text of scalar v.
func (ed *sdkEditor) replaceScalar(v *yaml.Node, value string) {
	start, ok := ed.offset(v.Line, v.Column)
	if !ok {
		ed.inPlace = false
		return
	}
	end := -1
	rest := ed.src[start:]
	switch {
	case v.Style == 0:
		if !strings.ContainsAny(v.Value, "\r\n") && bytes.HasPrefix(rest, []byte(v.Value)) {
			end = start + len(v.Value)
		}
	case v.Style == yaml.DoubleQuotedStyle && len(rest) > 0 && rest[0] == '"':
		for i := 1; i < len(rest) && rest[i] != '\n'; i++ {
			if rest[i] == '\\' {
				i++
			} else if rest[i] == '"' {
				end = start + i + 1
				break
			}
		}
	case v.Style == yaml.SingleQuotedStyle && len(rest) > 0 && rest[0] == '\'':
		for i := 1; i < len(rest) && rest[i] != '\n'; i++ {
			if rest[i] == '\'' {
				if i+1 < len(rest) && rest[i+1] == '\'' {
					i++
					continue
				}
				end = start + i + 1
				break
			}
		}
	}
	text, ok := renderScalar(value, v.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle))
	if end < 0 || !ok {
		ed.inPlace = false
		return
	}
	ed.splices = append(ed.splices, splice{off: start, end: end, text: text})
}

// insertLines records inserting whole lines at the end of block mapping m,
// indented like m's keys.
func (ed *sdkEditor) insertLines(m *yaml.Node, lines []string) {
	if !ed.inPlace {
		return
	}
	// m already holds the new entry: indent like its first key.
	if m.Kind != yaml.MappingNode || m.Style&yaml.FlowStyle != 0 || len(m.Content) < 4 {
		ed.inPlace = false
		return
	}
	for _, l := range lines {
		if l == "" || strings.Contains(l, "\n") {
			ed.inPlace = false
			return
		}
	}
	first := m.Content[0]
	pad := strings.Repeat(" ", first.Column-1)
	last := maxLine(m.Content[:len(m.Content)-2]...)
	off := len(ed.src)
	if last < len(ed.lineOff) {
		off = ed.lineOff[last]
	}
	var b strings.Builder
	if off == len(ed.src) && len(ed.src) > 0 && ed.src[len(ed.src)-1] != '\n' {
		b.WriteString(ed.newline)
	}
	for _, l := range lines {
		b.WriteString(pad + l + ed.newline)
	}
	ed.splices = append(ed.splices, splice{off: off, end: off, text: b.String()})
}

// offset converts a 1-based line and rune column to a byte offset.
func (ed *sdkEditor) offset(line, col int) (int, bool) {
	if line < 1 || line > len(ed.lineOff) || col < 1 {
		return 0, false
	}
	off := ed.lineOff[line-1]
	for i := 1; i < col; i++ {
		if off >= len(ed.src) || ed.src[off] == '\n' {
			return 0, false
		}
		_, n := utf8.DecodeRune(ed.src[off:])
		off += n
	}
	return off, true
}

// scalar renders a key or value for an inserted line.
func (ed *sdkEditor) scalar(s string) string {
	t, ok := renderScalar(s, 0)
	if !ok {
		ed.inPlace = false
	}
	return t
}

// render returns the spliced source if it means exactly the edited tree,
// or else the re-encoded tree.
func (ed *sdkEditor) render() ([]byte, bool, error) {
	if ed.inPlace {
		sort.SliceStable(ed.splices, func(i, j int) bool { return ed.splices[i].off < ed.splices[j].off })
		var out []byte
		pos := 0
		ok := true
		for _, sp := range ed.splices {
			if sp.off < pos {
				ok = false
				break
			}
			out = append(out, ed.src[pos:sp.off]...)
			out = append(out, sp.text...)
			pos = sp.end
		}
		if ok {
			out = append(out, ed.src[pos:]...)
			if sameYAML(ed.doc, out) {
				return out, false, nil
			}
		}
	}
	out, err := encodeYAML(ed.doc, ed.indent)
	if err != nil {
		return nil, false, err
	}
	if !sameYAML(ed.doc, out) {
		return nil, false, fmt.Errorf("internal error: re-encoding %s changed its meaning; the file was not changed", ed.path)
	}
	return out, true, nil
}

func encodeYAML(doc *yaml.Node, indent int) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(indent)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode YAML: %w", err)
	}
	return buf.Bytes(), nil
}

// sameYAML reports whether data parses to the same value as doc.
func sameYAML(doc *yaml.Node, data []byte) bool {
	var want, got any
	if err := doc.Decode(&want); err != nil {
		return false
	}
	if err := yaml.Unmarshal(data, &got); err != nil {
		return false
	}
	return reflect.DeepEqual(want, got)
}

// renderScalar renders a string scalar on one line, quoted only if needed
// (or in the given quote style).
func renderScalar(s string, style yaml.Style) (string, bool) {
	b, err := yaml.Marshal(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: style})
	if err != nil {
		return "", false
	}
	t := strings.TrimSuffix(string(b), "\n")
	return t, !strings.Contains(t, "\n")
}

// sameHost compares two organization URLs, ignoring a trailing slash.
func sameHost(a, b string) bool {
	return strings.TrimRight(a, "/") == strings.TrimRight(b, "/")
}

func mapGet(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		// Only string keys: a key written 0 or true is not the profile "0"
		// or "true" for the SDK (Python's yaml reads an int or a bool).
		if c := m.Content[i]; c.Kind == yaml.ScalarNode && c.ShortTag() == "!!str" && c.Value == key {
			return c, m.Content[i+1]
		}
	}
	return nil, nil
}

// maxLine is the last line any of the nodes (or their children) start on.
func maxLine(nodes ...*yaml.Node) int {
	n := 0
	for _, x := range nodes {
		if x == nil {
			continue
		}
		if x.Line > n {
			n = x.Line
		}
		if c := maxLine(x.Content...); c > n {
			n = c
		}
	}
	return n
}

// detectIndent finds the file's indentation step; 2 when it has none.
func detectIndent(n *yaml.Node) int {
	if n == nil {
		return 2
	}
	var find func(n *yaml.Node) int
	find = func(n *yaml.Node) int {
		if n.Kind == yaml.MappingNode && n.Style&yaml.FlowStyle == 0 {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if v.Kind == yaml.MappingNode && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 {
					if d := v.Content[0].Column - k.Column; d > 0 && d <= 8 {
						return d
					}
				}
			}
		}
		for _, c := range n.Content {
			if d := find(c); d > 0 {
				return d
			}
		}
		return 0
	}
	if d := find(n); d > 0 {
		return d
	}
	return 2
}

func strNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func emptyFlowMap() *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle}
}

func cloneNode(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Content = nil
	for _, x := range n.Content {
		c.Content = append(c.Content, cloneNode(x))
	}
	return &c
}
