// Package store owns gdlogin's credentials on disk: the named profiles in
// <config dir>/gdlogin/config.yaml, their secrets (in the OS keyring, or in
// 0600 files under <config dir>/gdlogin/secrets/ when no keyring is usable),
// the lock that serialises writers across processes, and the optional copy
// of a profile in the GoodData Python SDK's ~/.gooddata/profiles.yaml.
//
// On-disk layout (config dir defaults to os.UserConfigDir()):
//
//	<config dir>/gdlogin/              0700
//	    config.yaml                    0600  profiles, never a secret
//	    config.lock                    0600  flock(2) lock for writers
//	    secrets/                       0700  only when the file store is used
//	        <profile>.<id>.json        0600  one Secret as JSON
//	        installation-key.json      0600  the installation key (SPEC 3.11)
//
// In the keyring, each secret is one JSON blob under service "gdlogin" and
// account "<profile>.<id>". The <id> is fresh for every save, so a new
// secret never overwrites the one a working profile still points at: Save
// writes the new secret, then commits config.yaml, then removes the old
// secret. A crash or a failure in between leaves the old profile usable.
//
// The installation key (installation.go), which signs gdlogin's pairings,
// is kept the same way under account "installation-key", made on first use;
// config.yaml records only where it lives (installation_key: keyring|file).
//
// Every keyring call is bounded by a timeout: on a headless Linux machine
// the D-Bus Secret Service may never answer. A call that times out counts as
// "keyring unavailable". In auto mode the secret then goes to the file store,
// gdlogin says so once on the warning writer, and config.yaml remembers the
// choice (secret_store: file) so later runs neither wait for the keyring
// again nor repeat the warning. Mode keyring never falls back silently.
//
// Readers (Get, List, Secret) take no lock: config.yaml and secret files are
// replaced atomically (temp file, fsync, rename, fsync of the directory), so
// a reader sees either the old or the new state.
//
// WriteSDKProfile (sdkprofiles.go) copies a profile into the Python SDK's
// profiles.yaml, editing the file in place. A missing file is created in the
// SDK's current "profiles:" form, whose token is the reference
// $GOODDATA_TOKEN: the token then stays in the keyring and reaches the SDK
// through `eval "$(gdlogin env)"`, and the SDK does not warn about the
// deprecated legacy form. The legacy form (literal token, file forced to
// 0600) is written only when the file already uses it, or when asked for.
//
// A secret file readable by group or others is refused, as ssh refuses a
// private key with loose permissions: the token may have leaked, and the
// message says how to fix the mode and suggests rotating the token. On Unix
// the store directory, config.yaml, secrets/ and each secret file must be
// owned by the current user (*ForeignOwnerError otherwise), and a secret
// file is opened with O_NOFOLLOW: a symbolic link in its place is refused
// (*SymlinkSecretError), never followed.
package store
