package vault

import (
	"errors"
	"fmt"
	"strings"
)

// TransferScheme is the scheme of Google Authenticator's transfer links
// (TransferScheme + "://offline?data=..."); otpauth is the scheme of account links.
const TransferScheme = "otpauth-migration"

// LinkKind is which of the two kinds of link Ward reads a text is.
type LinkKind int

const (
	NoLink       LinkKind = iota // neither: a web address, plain text, ...
	AccountLink                  // otpauth://TYPE/LABEL?secret=...: one account (ParseURI)
	TransferLink                 // otpauth-migration://offline?data=...: a batch (ParseMigration)
)

// ErrNotLink: a text is neither an account link nor a transfer link. The errors that
// wrap it also wrap ErrInvalid.
var ErrNotLink = errors.New("not an otpauth link")

// KindOf says which kind of link text is, by its scheme alone (any case, white space
// around ignored). This is the one place that decides what a scanned, pasted or
// imported text is; the parsers then say whether it is a good one.
func KindOf(text string) LinkKind {
	scheme, _, ok := strings.Cut(strings.TrimSpace(text), ":")
	switch {
	case !ok:
		return NoLink
	case strings.EqualFold(scheme, "otpauth"):
		return AccountLink
	case strings.EqualFold(scheme, TransferScheme):
		return TransferLink
	}
	return NoLink
}

// Link is what a link holds: an account, or a batch of a transfer.
type Link struct {
	Kind    LinkKind
	Account Account // AccountLink
	Batch   Batch   // TransferLink
}

// ParseLink reads an account link with ParseURI or a transfer link with
// ParseMigration, as KindOf says. Any other text is refused with ParseURI's sentence
// ("bad otpauth link: does not start with otpauth://"), which wraps ErrNotLink.
func ParseLink(text string) (Link, error) {
	switch KindOf(text) {
	case AccountLink:
		a, err := ParseURI(text)
		return Link{Kind: AccountLink, Account: a}, err
	case TransferLink:
		b, err := ParseMigration(text)
		return Link{Kind: TransferLink, Batch: b}, err
	}
	return Link{}, errBadLink(errNotOTPAuth)
}

// errBadLink is the sentence of every error of ParseURI.
func errBadLink(err error) error { return fmt.Errorf("bad otpauth link: %w", err) }

// errNotOTPAuth is ParseURI's refusal of another scheme.
var errNotOTPAuth error = notLinkError("does not start with otpauth://")

// notLinkError is a sentence that wraps ErrNotLink and ErrInvalid.
type notLinkError string

func (e notLinkError) Error() string        { return string(e) }
func (e notLinkError) Is(target error) bool { return target == ErrNotLink || target == ErrInvalid }
