package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// SDKRemovalOutcome says what RemoveSDKEntries did with one entry.
type SDKRemovalOutcome int

const (
	// SDKEntryRemoved: the entry was gdlogin's as recorded and is gone.
	SDKEntryRemoved SDKRemovalOutcome = iota
	// SDKEntryGone: the file or the entry no longer exists.
	SDKEntryGone
	// SDKEntryChanged: the entry's host or token is no longer what gdlogin
	// wrote (or the file changed form), so it was left alone.
	SDKEntryChanged
	// SDKEntryFailed: the file could not be read, parsed or written (Err).
	SDKEntryFailed
)

// SDKRemoval is what happened to one recorded entry.
type SDKRemoval struct {
	Entry   SDKEntry
	Outcome SDKRemovalOutcome
	Err     error
	// DefaultProfile is set when the file's default_profile still names the
	// removed entry: the SDK's create_from_profile() without a profile then
	// fails until it is changed.
	DefaultProfile string
	// Reformatted: the file was re-encoded rather than edited in place.
	Reformatted bool
}

// RemoveSDKEntries removes the recorded entries (a profile's SDKProfiles,
// taken before the profile was deleted) from their profiles.yaml files,
// each only while it is still what gdlogin wrote: the same host and, in
// the profiles form, the token reference to the recorded variable. Every
// other entry, the comments and the rest of the file stay as they are
// (the same splice-or-re-encode rule as WriteSDKProfile). A failure on one
// entry does not stop the others.
func (s *Store) RemoveSDKEntries(ctx context.Context, entries []SDKEntry) ([]SDKRemoval, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	out := make([]SDKRemoval, 0, len(entries))
	for _, e := range entries {
		out = append(out, s.removeSDKEntry(e))
	}
	return out, nil
}

func (s *Store) removeSDKEntry(e SDKEntry) SDKRemoval {
	r := SDKRemoval{Entry: e}
	fail := func(err error) SDKRemoval {
		r.Outcome, r.Err = SDKEntryFailed, err
		return r
	}
	src, err := os.ReadFile(e.Path)
	if errors.Is(err, fs.ErrNotExist) {
		r.Outcome = SDKEntryGone
		return r
	}
	if err != nil {
		return fail(fmt.Errorf("read %s: %w", e.Path, err))
	}
	fi, err := os.Stat(e.Path)
	if err != nil {
		return fail(err)
	}
	out, res, err := removeFromSDKFile(e, src)
	if err != nil {
		return fail(err)
	}
	if res.Outcome != SDKEntryRemoved {
		return res
	}
	if err := s.writeFile(e.Path, out, fi.Mode().Perm()); err != nil {
		return fail(err)
	}
	return res
}

// removeFromSDKFile returns src without entry e, if e is still gdlogin's.
func removeFromSDKFile(e SDKEntry, src []byte) ([]byte, SDKRemoval, error) {
	r := SDKRemoval{Entry: e}
	doc, err := parseYAMLDocument(e.Path, src)
	if err != nil {
		return nil, r, err
	}
	if doc == nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		r.Outcome = SDKEntryGone
		return nil, r, nil
	}
	root := doc.Content[0]
	parent := root
	_, pv := mapGet(root, "profiles")
	profilesForm := pv != nil && isProfilesSection(pv)
	switch {
	case profilesForm != (e.TokenEnv != ""):
		// The file changed form since gdlogin wrote it: not ours to edit.
		r.Outcome = SDKEntryChanged
		return nil, r, nil
	case profilesForm:
		parent = pv
	}
	_, v := mapGet(parent, e.Name)
	if v == nil {
		r.Outcome = SDKEntryGone
		return nil, r, nil
	}
	if !isOwnEntry(v, e) {
		r.Outcome = SDKEntryChanged
		return nil, r, nil
	}
	ed := newSDKEditor(e.Path, src, doc)
	ed.removeKey(parent, e.Name)
	if profilesForm {
		if len(pv.Content) == 0 {
			ed.emptyMapping(root, "profiles", pv)
		}
		if _, dv := mapGet(root, "default_profile"); dv != nil && dv.Kind == yaml.ScalarNode && dv.Value == e.Name {
			r.DefaultProfile = e.Name
		}
	}
	out, reformatted, err := ed.render()
	if err != nil {
		return nil, r, err
	}
	r.Outcome, r.Reformatted = SDKEntryRemoved, reformatted
	return out, r, nil
}

// isOwnEntry: v still holds the host and token that gdlogin wrote.
func isOwnEntry(v *yaml.Node, e SDKEntry) bool {
	if v.Kind != yaml.MappingNode {
		return false
	}
	_, host := mapGet(v, "host")
	if host == nil || host.Kind != yaml.ScalarNode || !sameHost(host.Value, e.Host) {
		return false
	}
	if e.TokenEnv == "" {
		return true
	}
	_, tok := mapGet(v, "token")
	return tok != nil && tok.Kind == yaml.ScalarNode && tok.Value == "$"+e.TokenEnv
}

// removeKey deletes key and its value from block mapping m, as whole
// lines of the source: from the key's line to the last line of its value.
// Comment lines before the key and after the value stay.
func (ed *sdkEditor) removeKey(m *yaml.Node, key string) {
	idx := -1
	for i := 0; i+1 < len(m.Content); i += 2 {
		if c := m.Content[i]; c.Kind == yaml.ScalarNode && c.ShortTag() == "!!str" && c.Value == key {
			idx = i
			break
		}
	}
	if idx < 0 {
		return
	}
	k, v := m.Content[idx], m.Content[idx+1]
	m.Content = append(m.Content[:idx:idx], m.Content[idx+2:]...)
	if !ed.inPlace {
		return
	}
	first, last := k.Line, maxLine(k, v)
	if m.Style&yaml.FlowStyle != 0 || first < 1 || last > len(ed.lineOff) {
		ed.inPlace = false
		return
	}
	start := ed.lineOff[first-1]
	// The key must start its line: nothing but indentation before it.
	if keyOff, ok := ed.offset(k.Line, k.Column); !ok || strings.TrimLeft(string(ed.src[start:keyOff]), " ") != "" {
		ed.inPlace = false
		return
	}
	end := len(ed.src)
	if last < len(ed.lineOff) {
		end = ed.lineOff[last]
	}
	ed.splices = append(ed.splices, splice{off: start, end: end})
}

// emptyMapping turns root[key] (mapping v, now empty) into "{}": a block
// mapping with no entries left would read as null, which the SDK refuses.
func (ed *sdkEditor) emptyMapping(root *yaml.Node, key string, v *yaml.Node) {
	*v = *emptyFlowMap()
	if !ed.inPlace {
		return
	}
	k, _ := mapGet(root, key)
	off, ok := ed.offset(k.Line, k.Column)
	if !ok || !bytes.HasPrefix(ed.src[off:], []byte(key+":")) {
		ed.inPlace = false
		return
	}
	at := off + len(key) + 1
	ed.splices = append(ed.splices, splice{off: at, end: at, text: " {}"})
}
