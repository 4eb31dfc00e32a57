package workflow

import (
	"fmt"
	"strings"
	"time"

	"github.com/wardauth/ward/vault"
)

// Standing is how a found account stands against the vault.
type Standing int

const (
	// New: no account in Ward has its secret.
	New Standing = iota
	// Present: in Ward as found: the same codes (vault.Account.SameKey), issuer and name.
	Present
	// Renamed: the same codes as an account in Ward, under another issuer or name.
	Renamed
	// Conflicting: the secret of an account in Ward with other parameters (type,
	// algorithm, digits, period), so other codes.
	Conflicting
)

// Candidate is a found account against the vault.
type Candidate struct {
	Account  vault.Account // as found, normalised
	Standing Standing
	Existing vault.Account // the account in Ward it meets; zero when New
}

// Plan places each found account against accounts (the vault's, as the front end
// shows them), for a front end that asks the user before Merge.
func Plan(accounts, found []vault.Account) []Candidate {
	out := make([]Candidate, len(found))
	for i, a := range found {
		out[i] = place(accounts, a)
	}
	return out
}

// place is the one rule of "already in Ward": the account with the same codes, issuer
// and name, else one with the same codes, else one with the same secret.
func place(accounts []vault.Account, a vault.Account) Candidate {
	a.Normalize()
	c := Candidate{Account: a}
	for i := range accounts {
		e := &accounts[i]
		switch {
		case !e.Secret.Equal(a.Secret):
		case e.SameKey(&a) && e.Issuer == a.Issuer && e.Name == a.Name:
			return Candidate{Account: a, Standing: Present, Existing: e.Clone()}
		case e.SameKey(&a) && c.Standing != Renamed:
			c.Standing, c.Existing = Renamed, e.Clone()
		case !e.SameKey(&a) && c.Standing == New:
			c.Standing, c.Existing = Conflicting, e.Clone()
		}
	}
	return c
}

// Differences names what differs between a found account and the account in Ward
// with its secret, as the found one has it: "8 digits, not 6".
func (c Candidate) Differences() string {
	have, got := c.Existing, c.Account
	var d []string
	if have.Type != got.Type {
		d = append(d, fmt.Sprintf("type %s, not %s", got.Type, have.Type))
	}
	if have.Algorithm != got.Algorithm {
		d = append(d, fmt.Sprintf("algorithm %s, not %s", got.Algorithm, have.Algorithm))
	}
	if have.Digits != got.Digits {
		d = append(d, fmt.Sprintf("%d digits, not %d", got.Digits, have.Digits))
	}
	if have.Period != got.Period {
		d = append(d, fmt.Sprintf("period %d s, not %d s", got.Period, have.Period))
	}
	return strings.Join(d, ", ")
}

// Policy says what Merge does with a found account that meets one in Ward; a new
// one is always added.
type Policy int

const (
	// KeepWard leaves out every account that meets one in Ward: Ward's is kept and
	// a conflict reported (ward import: a backup or another app's export).
	KeepWard Policy = iota
	// AddDistinct adds a conflicting account beside Ward's, since it makes other
	// codes, and leaves out the present and the renamed (ward add, ward scan, the
	// window's key form: the user gave this account).
	AddDistinct
	// UpdateWard gives the account in Ward that a renamed or conflicting one meets
	// the key and details found, keeping its ID, tags, note and place (the window,
	// once the user chose to update).
	UpdateWard
)

// Action is what Merge did with a found account.
type Action int

const (
	Kept    Action = iota // left out: the account in Ward stays as it was
	Added                 // added as an account of its own
	Updated               // the account in Ward took the key and details found
)

func (p Policy) action(s Standing) Action {
	switch {
	case s == New, s == Conflicting && p == AddDistinct:
		return Added
	case (s == Renamed || s == Conflicting) && p == UpdateWard:
		return Updated
	}
	return Kept
}

// Outcome is what Merge did with one found account.
type Outcome struct {
	Candidate               // its standing inside the change
	Action    Action        // what was done
	Result    vault.Account // Ward's account afterwards: the one added or updated, or the one kept
}

// Merged is Merge's report: one outcome per found account, in order.
type Merged []Outcome

// With returns the outcomes of one action, in order.
func (m Merged) With(a Action) []Outcome {
	var out []Outcome
	for _, o := range m {
		if o.Action == a {
			out = append(out, o)
		}
	}
	return out
}

// Merge adds found accounts to the vault in one locked change (vault.Update), each
// placed against the vault as it stands inside the change, the accounts added before
// it included, so that an account found twice is added once. now is the time of the
// change (Created and Updated).
func Merge(v *vault.Vault, found []vault.Account, now time.Time, p Policy) (Merged, error) {
	var out Merged
	err := v.Update(func(d *vault.Doc) error {
		out = out[:0]
		for _, a := range found {
			c := place(d.Accounts, a)
			o := Outcome{Candidate: c, Result: c.Existing}
			switch p.action(c.Standing) {
			case Added:
				got, added, err := d.Add(c.Account, now)
				if err != nil {
					return fmt.Errorf("%s: %w", c.Account.Label(), err)
				}
				if added { // always: place found no account with its codes
					o.Action = Added
				}
				o.Result = got
			case Updated:
				e, err := d.Get(c.Existing.ID)
				if err != nil {
					return err
				}
				n := c.Account
				e.Type, e.Issuer, e.Name, e.Algorithm = n.Type, n.Issuer, n.Name, n.Algorithm
				e.Digits, e.Period, e.Counter, e.Secret = n.Digits, n.Period, n.Counter, n.Secret
				e.Updated = now.UTC()
				o.Action, o.Result = Updated, e.Clone()
			}
			out = append(out, o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
