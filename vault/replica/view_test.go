package replica

import (
	"testing"

	"github.com/wardauth/ward/vault"
)

// One account known by two IDs (the same key added on two machines, recorded as a
// pair) is gone when either ID is deleted, whichever sorts first: a machine that
// knew it by the other ID only deleted the same account. (Hiding it only for a
// tombstone on the smallest ID made the outcome hang on the order of random IDs,
// and brought an account deleted on one machine back once another machine's
// smaller ID was paired with it.)
func TestTombstoneOnAnyID(t *testing.T) {
	a, err := vault.ParseURI(linkSPDX)
	if err != nil {
		t.Fatal(err)
	}
	a.Normalize()
	for _, deleted := range []string{"w", "x"} {
		s := newState()
		n := uint32(0)
		for _, id := range []string{"w", "x"} {
			r := s.rec(id)
			for f := range nFields {
				n++
				r.f[f] = reg{val: value(&a, f), at: Stamp{Wall: 10, Count: n, Machine: id}}
			}
		}
		if v := materialize(s, nil); len(v.accounts) != 1 || v.accounts[0].ID != "w" {
			t.Fatalf("the same key under two IDs: %+v", v.accounts)
		}
		s.alias[pair("w", "x")] = true
		s.dead[deleted] = Stamp{Wall: 20, Machine: deleted}
		if v := materialize(s, nil); len(v.accounts) != 0 {
			t.Fatalf("%s deleted: the account is still there as %s", deleted, v.accounts[0].ID)
		}
	}
}
