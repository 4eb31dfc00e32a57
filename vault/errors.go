package vault

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the package returns for these conditions wraps one of
// them, so callers test with errors.Is and show the message, which says what to do.
var (
	// ErrWrongPassphrase: the recovery passphrase does not open this vault.
	ErrWrongPassphrase = errors.New("wrong passphrase")
	// ErrLocked: the vault needs the recovery passphrase, because no keyring is
	// available or the keyring does not hold this vault's key.
	ErrLocked = errors.New("vault is locked")
	// ErrCorrupt: the file is damaged (truncated, tampered) or is not a Ward vault.
	// Ward never overwrites such a file.
	ErrCorrupt = errors.New("vault file is damaged or not a Ward vault")
	// ErrNotAuthentic: the file opens with the vault's key but was not written with
	// it (no valid MAC, or the old format for a vault known to have the new one):
	// someone who could write the file may have replaced the accounts, which the
	// recipient in the clear header lets anyone encrypt. Ward never overwrites such
	// a file.
	ErrNotAuthentic = errors.New("this vault was not written with its key: the file may have been replaced; restore it from a backup")
	// ErrNotFound: no account matches.
	ErrNotFound = errors.New("no account matches")
	// ErrNoVault: there is no vault file at the path.
	ErrNoVault = errors.New("no vault")
	// ErrExists: a vault already exists where one would be created.
	ErrExists = errors.New("vault already exists")
	// ErrInvalid: an account or link has a bad or missing field.
	ErrInvalid = errors.New("invalid account")
	// ErrTooNew: the file was written by a newer Ward with a format this one cannot read.
	ErrTooNew = errors.New("vault written by a newer Ward")
	// ErrTooCostly: a file from outside asks for more key-derivation work than Ward
	// spends on one passphrase try (age scrypt above 2^19). Nothing was derived.
	ErrTooCostly = errors.New("the file asks for more key-derivation work than Ward allows")
)

// invalidError is a sentence about a bad field that wraps ErrInvalid without
// repeating its text, so callers can prefix their own context.
type invalidError string

func (e invalidError) Error() string        { return string(e) }
func (e invalidError) Is(target error) bool { return target == ErrInvalid }

func invalidf(format string, args ...any) error {
	return invalidError(fmt.Sprintf(format, args...))
}

// workFactorError is an age scrypt stanza over the bound: one sentence that says what
// the file asks and what Ward opens, and that wraps ErrTooCostly.
type workFactorError struct{ logN int }

func (e workFactorError) Error() string {
	return fmt.Sprintf("the file asks for scrypt work factor 2^%d; Ward opens at most 2^%d (twice age's default)",
		e.logN, maxScryptWorkFactor)
}
func (e workFactorError) Is(target error) bool { return target == ErrTooCostly }
