package workflow

import (
	"fmt"
	"time"

	"github.com/wardauth/ward/vault"
)

// HOTPCode is a code of an HOTP account.
type HOTPCode struct {
	Code    string        // the code for Counter
	Counter uint64        // the counter the code is for: the one stored before
	Account vault.Account // the account afterwards, its counter one higher
}

// NextHOTP makes the code for the stored counter of the HOTP account id and advances
// the counter in the same locked change (vault.Update), so that no code is made
// twice, whichever Ward asks. now is the time of the change.
func NextHOTP(v *vault.Vault, id string, now time.Time) (HOTPCode, error) {
	var h HOTPCode
	err := v.Update(func(d *vault.Doc) error {
		a, err := d.Get(id)
		if err != nil {
			return err
		}
		if a.Type != vault.HOTP {
			return fmt.Errorf("%s is a %s account, not an HOTP one: it has no counter", a.Label(), a.Type)
		}
		code, err := a.Code(now)
		if err != nil {
			return err
		}
		h.Code, h.Counter = code, a.Counter
		a.Counter++
		a.Updated = now.UTC()
		h.Account = a.Clone()
		return nil
	})
	return h, err
}
