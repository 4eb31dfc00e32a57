// Package workflow is what Ward does with accounts, written once for both front
// ends: the window (package app) and the command line (internal/cli). Each function
// takes what the front end gathered (texts, accounts, a vault, a path) and returns a
// report of what happened. None prints, asks or draws: the front ends only gather
// input and phrase the reports in their own words, so a rule changed here changes
// for both.
//
//   - Finder and Classify (found.go): what found texts hold (QR codes, links given
//     or pasted): accounts of account links, accounts of transfer batches gathered
//     across sources (with the batches still missing), and, named by source and
//     number, links that do not read and codes of another kind (scanner.Describe).
//     Which kind a text is, vault.KindOf alone decides.
//   - Plan and Merge (merge.go): how found accounts stand against the vault (new,
//     present, renamed, conflicting), and adding them in one locked change under a
//     policy: keep Ward's (ward import), add whatever makes other codes (ward add,
//     ward scan, the window's key form), or update Ward's (the window, once the
//     user chose).
//   - Export (export.go): every account to a file in one of the formats, then the
//     file read back from the disk, opened with the passphrase, and compared
//     account by account before the export counts as done.
//   - NextHOTP (hotp.go): the code for an HOTP account's stored counter, with the
//     counter advanced in the same locked change.
//   - VerifyBackups and Verify (verify.go): the restore drill: every backup copy in
//     a folder opened with the vault's key, every Ward export with its passphrase,
//     each compared with the vault account by account, one verdict and line each.
//
// Layering: workflow uses vault, vault/interop, vault/sheet and scanner (for
// Describe); app and internal/cli use it. It knows nothing of Fyne, terminals or
// HTTP, and never reads the clock: times are parameters.
package workflow
