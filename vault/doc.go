// Package vault holds Ward's accounts: their codes, otpauth links, and the encrypted
// file that keeps them.
//
// # Accounts and codes
//
// An Account is a TOTP (RFC 6238), HOTP (RFC 4226) or Steam Guard account. Code takes
// the time as a parameter, never reading the clock itself, so that tests and clock
// checks pass any instant. Secrets are of type Secret, which prints, logs and
// marshals as REDACTED; only Base32 and the raw bytes reveal them.
//
// # File format
//
// One file holds everything a user must copy to another machine:
//
//	ward-vault v2
//	id 3b1f...                   random vault ID, the keyring entry's name
//	recipient age1...            the X25519 recipient the accounts are encrypted to
//	key YWdlLWVuY3J5...          base64 of an age file, encrypted with the recovery
//	                             passphrase (scrypt, work factor 2^18), whose
//	                             plaintext is the X25519 identity and a second line,
//	                             the marker "ward-vault v2"
//	mac 5d41...                  HMAC-SHA256, under a key derived from the identity
//	                             (HKDF-SHA256, info "ward-vault v2 file MAC"), of the
//	                             length of the lines above, those lines and the
//	                             payload: only the key's holder can write it
//	sum 9c0e...                  SHA-256 of the lines above: tells damage from a
//	                             wrong passphrase
//	                             (empty line)
//	<age file>                   the accounts, a JSON document {"version":1,...},
//	                             encrypted to the recipient; with sync on it also
//	                             holds "sync", the replicator's state (Doc.Sync)
//
// The payload cannot carry a scrypt stanza beside the X25519 one (age forbids mixing
// a passphrase with other recipients), so the identity is wrapped separately with the
// passphrase, inside the same file.
//
// Damage and forgery are told apart. The sum covers the header, mac line included,
// and age authenticates the wrapped key and the payload, before the MAC is checked:
// a truncated or altered file fails with ErrCorrupt, never with garbage. But age's
// own MACs are keyed by a file key the writer picks, and anyone can encrypt to the
// recipient in the clear header; the mac line is what proves that the file was
// written with the vault's key. A file that decrypts but whose MAC does not match
// fails with ErrNotAuthentic, and its accounts are not even read.
//
// Version 1, written by Ward before the MAC, is the same file without the mac line
// and with the identity alone as the wrapped key's plaintext. Ward still opens it,
// through the keyring and with the passphrase, and rewrites it as v2 as soon as it
// has opened it (if the folder is writable; in any case on its next save); opened
// with the passphrase, the key is also wrapped again with the marker (one more
// scrypt, once). Old copies (backups) still import with the passphrase.
//
// # Key handling
//
// The X25519 identity is kept in the OS keyring under the service
// "io.github.wardauth.ward" and the vault ID, so that the vault opens without typing
// (Open): the value is the identity ("AGE-SECRET-KEY-1...") and, once the vault is
// v2, a second line with the marker. Values stored by older Wards, the identity
// alone, still open the vault and get the marker when it is v2. Without a keyring, or
// when it lacks the key, Open returns ErrLocked and the caller asks for the recovery
// passphrase (OpenWithPassphrase), which works on any machine. Saving does not need
// the passphrase: it encrypts to the recipient, computes the MAC with the identity in
// memory and keeps the wrapped key as it is, so a save costs no scrypt.
// ChangePassphrase replaces the identity too, so that a leaked old passphrase opens
// no file written after it.
//
// # Threat model
//
// Reading. The file may be copied, synced and lost. Its reader learns the vault ID,
// the recipient (a public key), the scrypt work factor and the size of the accounts'
// document (so roughly how many there are); the accounts themselves only with the
// passphrase, at one scrypt of 2^18 per guess, or with the keyring's key.
//
// Writing. Whoever can write the file (a synced or shared folder, another account or
// program with access to it) can destroy it: Ward reports ErrCorrupt and never writes
// over it, and the automatic backups restore it. They can put back an older genuine
// copy: it opens, with the accounts of its time (a removed account back, an HOTP
// counter lower); nothing in the file tells an old genuine copy from the current one.
// They cannot put accounts of their choice into it: a file built from the public
// header and a payload encrypted to the recipient has no valid MAC and fails with
// ErrNotAuthentic, through the keyring, with the passphrase and as a copy
// (ReadVaultFile, import); Update never writes over it.
//
// Downgrade. The forger can also write the old format, which has no MAC to check. So
// the key itself says that the vault is v2: every key Ward wraps now carries the
// marker inside the passphrase's encryption, where a forger cannot add or remove it,
// and the keyring value of a v2 vault carries it too. A v1 file is refused with
// ErrNotAuthentic when its wrapped key has the marker, when the keyring value it is
// opened through has it, or when the Ward that has it open saw the file as v2.
//
// What stays open: until Ward has opened a v1 vault once, nothing tells it from a
// forged v1 file, and afterwards a v1 forgery still passes where neither marker is
// seen: through a keyring value stored before the upgrade (a machine that has not
// opened the vault since), or with the passphrase when the forger reuses the header
// of a v1 copy made before the upgrade (an old backup) on a machine whose keyring
// holds no marked value for the vault. Changing the passphrase closes the second
// case: an old header then opens only with the old passphrase.
//
// Files from outside. Exports, vault copies and other apps' files choose their own
// key-derivation work: Ward reads age scrypt up to 2^19 and bounds each importer's
// work (vault/interop); beyond, ErrTooCostly, before any derivation runs.
//
// The session. The keyring is trusted as far as the OS session is: anyone who can
// read the user's keyring can open the vault, which is the point of "remember on
// this computer". Ward keeps secrets out of logs, errors, panics and plain files; it
// cannot keep them from someone who controls the user's session while the vault is
// unlocked.
//
// # Other machines
//
// A vault kept in sync through a folder (package vault/replica) is one vault on
// several machines: each machine's file has the same vault ID and key
// (CreateWithKey makes it from a Key that UnwrapKey took with the passphrase), and
// Key.Derive gives the replicator keys only the key's holders can compute. The
// replicator is attached with SetReplicator; Update calls it under the file lock
// before and after every change, and Refresh saves what it merged. Its state lives
// in the same file as the accounts (Doc.Sync), so that both are saved together.
// OpenCopy reads a copy of the file (an automatic backup) with the key in memory,
// for the restore drill.
//
// # Saving
//
// Update takes an advisory lock on PATH.lock, reloads the file, applies the change,
// and writes a temp file in the same folder (mode 0600), fsyncs it, renames it over
// the vault and fsyncs the folder. A crash at any instant leaves the old or the new
// file; two processes changing the vault at once both keep their change. A file that
// does not open, damaged or not written with the vault's key, is reported and never
// overwritten.
package vault
