package workflow

import (
	"errors"
	"strings"

	"github.com/wardauth/ward/scanner"
	"github.com/wardauth/ward/vault"
)

// Problem is a found text that holds no account.
type Problem struct {
	Source string // where it was found, as the front end named it
	N      int    // which text it is, from 1, in the order found
	Err    error  // why: the parser's sentence, which wraps vault.ErrNotLink for a text that is no link
	Other  string // for a text that is no link: what it is, e.g. "a web address (example.com)"
}

// Found is what texts hold.
type Found struct {
	// Accounts of the account links and the accounts given, in the order found,
	// then those of the transfer batches, export by export.
	Accounts []vault.Account
	// Links are the same accounts as links: account links as found (white space
	// trimmed), the others as vault.Account.URI makes them.
	Links []string
	// Problems are the texts that hold no account, in the order found.
	Problems []Problem
	// Skipped are the accounts of transfer batches that Ward cannot use, each with
	// the reason; Missing, per incomplete export, its batches not found ("QR code 2
	// of 3").
	Skipped, Missing []string
}

// Finder gathers what texts hold as they are found, source after source: the
// batches of a transfer are joined across sources, in any order.
type Finder struct {
	found Found
	tr    vault.Transfer
	n     int
}

// Add reads the texts found in source (a file, "the screen", "link 2"), and returns
// the problems among them (Found lists them too), for a front end that reports
// source by source.
func (f *Finder) Add(source string, texts ...string) []Problem {
	before := len(f.found.Problems)
	for _, t := range texts {
		f.n++
		l, err := vault.ParseLink(t)
		switch {
		case errors.Is(err, vault.ErrNotLink):
			f.found.Problems = append(f.found.Problems, Problem{Source: source, N: f.n, Err: err, Other: scanner.Describe(t)})
		case err != nil:
			f.found.Problems = append(f.found.Problems, Problem{Source: source, N: f.n, Err: err})
		case l.Kind == vault.TransferLink:
			f.tr.Add(l.Batch)
		default:
			f.found.Accounts = append(f.found.Accounts, l.Account)
			f.found.Links = append(f.found.Links, strings.TrimSpace(t))
		}
	}
	return f.found.Problems[before:len(f.found.Problems):len(f.found.Problems)]
}

// AddAccounts records accounts found some other way (another app's export) in their
// place in the order.
func (f *Finder) AddAccounts(accounts ...vault.Account) {
	for _, a := range accounts {
		f.found.Accounts = append(f.found.Accounts, a)
		f.found.Links = append(f.found.Links, a.URI())
	}
}

// Found returns what the texts and accounts added so far hold.
func (f *Finder) Found() Found {
	out := f.found
	out.Accounts = append([]vault.Account(nil), out.Accounts...)
	out.Links = append([]string(nil), out.Links...)
	for _, a := range f.tr.Accounts() {
		out.Accounts = append(out.Accounts, a)
		out.Links = append(out.Links, a.URI())
	}
	out.Skipped, out.Missing = f.tr.Skipped(), f.tr.Missing()
	return out
}

// Classify is what texts found together in source hold.
func Classify(source string, texts ...string) Found {
	var f Finder
	f.Add(source, texts...)
	return f.Found()
}
