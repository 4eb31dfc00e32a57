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
//	ward-vault v1
//	id 3b1f...                   random vault ID, the keyring entry's name
//	recipient age1...            the X25519 recipient the accounts are encrypted to
//	key YWdlLWVuY3J5...          base64 of an age file, encrypted with the recovery
//	                             passphrase (scrypt, work factor 2^18), whose
//	                             plaintext is the X25519 identity
//	sum 9c0e...                  SHA-256 of the lines above: tells damage from a
//	                             wrong passphrase
//	                             (empty line)
//	<age file>                   the accounts, a JSON document {"version":1,...},
//	                             encrypted to the recipient
//
// The payload cannot carry a scrypt stanza beside the X25519 one (age forbids mixing
// a passphrase with other recipients), so the identity is wrapped separately with the
// passphrase, inside the same file. age authenticates both parts: a truncated or
// altered file fails to open with ErrCorrupt, never with garbage.
//
// # Key handling
//
// The X25519 identity is kept in the OS keyring under the service
// "io.github.wardauth.ward" and the vault ID, so that the vault opens without typing
// (Open). Without a keyring, or when it lacks the key, Open returns ErrLocked and the
// caller asks for the recovery passphrase (OpenWithPassphrase), which works on any
// machine. Saving does not need the passphrase: it encrypts to the recipient and keeps
// the wrapped key as it is, so a save costs no scrypt. ChangePassphrase replaces the
// identity too, so that a leaked old passphrase opens no file written after it.
//
// # Threat model
//
// The file may be copied, synced and lost: without the passphrase or the keyring's
// key it reveals only the number of bytes, the vault ID and the recipient. The
// keyring is trusted as far as the OS session is: anyone who can read the user's
// keyring can open the vault, which is the point of "remember on this computer".
// Ward keeps secrets out of logs, errors, panics and plain files; it cannot keep
// them from someone who controls the user's session while the vault is unlocked.
//
// # Saving
//
// Update takes an advisory lock on PATH.lock, reloads the file, applies the change,
// and writes a temp file in the same folder (mode 0600), fsyncs it, renames it over
// the vault and fsyncs the folder. A crash at any instant leaves the old or the new
// file; two processes changing the vault at once both keep their change. A file that
// does not open is reported and never overwritten.
package vault
