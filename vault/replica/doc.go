// Package replica keeps one vault on several machines in step through a folder
// that something else moves between them: Syncthing, Nextcloud, Dropbox, a USB
// stick. Ward builds no cloud; it only reads and writes files in the folder, and
// expects what sync engines do to files. No Fyne, no HTTP: the window and the
// command line use it alike.
//
// # What is in the folder
//
// DIR/ward-sync/ holds one change log per machine, MACHINE-GEN.log, written only by
// that machine. A log starts with a clear header, like the vault file's:
//
//	ward-sync v1
//	vault <vault ID>
//	recipient <the vault's age X25519 recipient>
//	key <the vault's key wrapped with the recovery passphrase (age scrypt)>
//	machine <the writer's random ID>
//	gen <generation>
//	mac <HMAC-SHA256 of the lines above, under HKDF(key, "ward-sync v1 header MAC")>
//	sum <SHA-256 of the lines above: damage is told from forgery>
//
// then frames: a 4-byte length, a random 24-byte nonce, and XChaCha20-Poly1305
// under HKDF(key, "ward-sync v1 frames"), with the header's sum and the frame's
// number as additional data (a frame cannot move to another file or place). The
// frame key comes from the same X25519 identity the keyring and the passphrase
// unlock; the recipient is public, so age encryption to it would authenticate
// nothing: a frame that opens was written by a holder of the key. One AEAD per
// frame also costs microseconds where an X25519 per entry costs tens. A frame's
// plaintext is a version byte, its kind (the changes of one save, or a snapshot),
// the writer's name (its host name: in the clear nowhere) and a state (below) in a
// compact binary encoding.
//
// The wrapped key is in every header, so a new machine joins with the folder and
// the passphrase alone (Join, `ward init --from-sync DIR`): no file in the folder
// is written by two machines, so sync engines have nothing to make conflict copies
// of in normal use.
//
// # The state and the merge
//
// What the machines replicate is a state (state.go), a join-semilattice: every
// account ID has a last-writer-wins register per field (type, issuer, name, key,
// algorithm, digits, period, note, icon, favourite, position, created, updated),
// one per tag (on or off), and its HOTP counter, which merges to the larger value
// and so never goes backwards; deleted IDs have tombstones; pairs of IDs known to
// be one account are recorded. A register's value wins by its stamp, a hybrid
// logical clock reading (hlc.go: wall-clock milliseconds, a counter, the machine's
// ID; the machine breaks ties, then the value, so even two writers with one ID
// merge alike). Merging is a join: commutative, associative and idempotent, so
// files read in any order, twice, or half now and half later give the same state,
// and every machine that has read the same entries shows byte for byte the same
// accounts. Log entries and snapshots are both states.
//
// The accounts are a pure function of the state (view.go): IDs joined by the
// recorded pairs are one account; an account with a tombstone on any of its IDs is
// gone, and no later change brings it back (deletion wins over a concurrent edit);
// accounts with the same key (type, secret, algorithm, digits, period), added on
// two machines, are one account (the smallest ID), and the pair is recorded so
// they stay one when the key changes later; an account whose registers are not
// whole yet (a change read before the account's addition) waits; the order is by
// position, ties by ID, renumbered.
//
// The vault file stays the truth on each machine; the replica's state lives in it
// (vault.Doc.Sync), saved with the accounts in one atomic write. Every save (and
// Sync) does, under the vault's file lock (vault.Replicator, before and after the
// change): the vault's accounts are compared with the view of the state saved with
// them, and every difference becomes an entry stamped now and based on the stamp of
// the register it replaces (so any writer, even one that never called this
// package, is caught up); the folder's new frames are merged; the view becomes the
// vault's accounts; the entries waiting are written to the folder. Entries wait in
// the state while the folder is not there (a USB stick not plugged in: Status says
// so in one sentence, Ward never makes the folder again on its own) and are written
// when it is back.
//
// A value that loses to a change whose writer had not seen it (its base is older
// than the loser's stamp), for a field a person sets (not the order, the times or
// the favourite mark), is kept in the account's history with both machines' names;
// the window shows each once (MarkShown).
//
// # Clocks
//
// The clock never goes backwards: set back, it counts on from its last reading.
// Reading another machine's entries moves the clock to their newest stamp, so a
// change made after seeing another is newer than it, whatever the wall clocks say:
// a machine whose clock runs hours ahead wins only over changes made without
// having seen its change, never over those made after. The state itself never
// depends on the reader's clock, which keeps the merge a function of the entries.
// When sync is turned on with accounts in the vault, they go in with the oldest
// stamps there are, so that whatever the folder holds, changed since, wins.
//
// # What sync engines do
//
//   - Half-written files (a copy in progress, an append seen midway): a frame is read
//     only once whole (its length, then its AEAD); the rest is read when it comes.
//     Nothing is said about it: it is normal.
//   - Conflict copies (Syncthing's NAME.sync-conflict-DATE-TIME-ID.log, Nextcloud's
//     "NAME (conflicted copy DATE).log", Dropbox's "NAME (X's conflicted copy
//     DATE).log", any other): every regular file in ward-sync/ is read, whatever its
//     name, and merged; names are only hints. They arise when two machines write
//     one log (a vault file copied to a second computer keeps its machine ID):
//     stamps and ties are the same there, so nothing is lost and nothing differs.
//   - Files arriving out of order, or again (a replayed old version): the join
//     does not care.
//   - A file not written with the vault's key, damaged or forged: refused, from its
//     header or from its first bad frame on, with one sentence in Status; frames
//     before a bad one still count; the vault does not change.
//   - Another vault's logs: left alone (Enable refuses such a folder); logs of a
//     newer key of this vault (the passphrase changed on another machine): Status
//     says so, and Rekey with the new passphrase joins them.
//
// # Noticing changes
//
// A command merges when it opens the vault. The window merges at start, before
// every save, and when Watch (watch.go) tells it the folder changed: fsnotify's
// events on ward-sync, the user's folder and its parent (this machine's own log,
// temporary and hidden files left out, a burst told once), and the listing
// compared every few seconds for file systems that send no events and for a
// folder that is not there. Watch only tells; the caller merges with Sync where it
// makes its other calls to the vault.
//
// # Growth
//
// A machine's log grows by a frame per save. Past max(1 MiB, twice its last
// snapshot) the machine starts a new generation: a new file, written whole under a
// temporary name, whose first frame is a snapshot of its whole state; then it
// removes its older files, and the conflict copies of its own files that it had
// read to the end (their entries are in the snapshot). Ward never removes another
// machine's files. Readers remember how far they read each file (by name, header
// checksum and length) and read only what is new; a file replaced under the same
// name is read again from the start.
package replica
