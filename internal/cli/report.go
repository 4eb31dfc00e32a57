package cli

import (
	"fmt"

	"github.com/wardauth/ward/internal/workflow"
	"github.com/wardauth/ward/vault"
)

// warnTransfer warns about the accounts of Google Authenticator transfer batches
// that Ward cannot use, and about the batches not given.
func (c *cli) warnTransfer(f workflow.Found) {
	for _, s := range f.Skipped {
		fmt.Fprintf(c.Stderr, "ward: skipped %s\n", s)
	}
	for _, m := range f.Missing {
		fmt.Fprintf(c.Stderr, "ward: the Google Authenticator export is incomplete: %s is missing; add it too\n", m)
	}
}

// warnProblems warns about found codes that hold no account; one is "the QR code"
// (scan) or "a QR code" (import) of its source.
func (c *cli) warnProblems(problems []workflow.Problem, code string) {
	for _, p := range problems {
		if p.Other != "" {
			fmt.Fprintf(c.Stderr, "ward: %s: %s is %s, not an account\n", p.Source, code, p.Other)
		} else {
			fmt.Fprintf(c.Stderr, "ward: %s: %v\n", p.Source, p.Err)
		}
	}
}

// store adds accounts the user gave (ward add, ward scan) to the vault in one
// change, and reports, per account, added or skipped as already present. One with
// the secret of an account in Ward but other parameters makes other codes: added.
func (c *cli) store(accounts []vault.Account) error {
	v, err := c.unlock()
	if err != nil {
		return err
	}
	m, err := workflow.Merge(v, accounts, c.Now(), workflow.AddDistinct)
	if err != nil {
		return err
	}
	for _, o := range m {
		if o.Action == workflow.Added {
			fmt.Fprintf(c.Stdout, "added %s [%s]\n", o.Result.Label(), o.Result.ID)
		} else {
			fmt.Fprintf(c.Stdout, "skipped %s: already present [%s]\n", o.Result.Label(), o.Result.ID)
		}
	}
	return nil
}
