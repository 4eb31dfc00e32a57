package replica

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardauth/ward/vault"
)

// view is the accounts a state holds, as the vault file shows them: a pure
// function of the state, so that every machine with the same state writes the
// same accounts.
type view struct {
	accounts []vault.Account   // in the list's order, positions 0, 1, 2...
	byID     map[string]*group // by the account's ID
}

// group is one account of the view: the IDs that are one account (pairs, or the
// same key added on two machines), their joined registers, and the IDs found to be
// the same account by their key and not yet recorded as a pair.
type group struct {
	id       string   // the smallest ID, the account's
	members  []string // every ID, sorted
	rec      *record  // the members' records joined
	implicit []string // members of other components joined here by their key
}

// materialize builds the view of s: IDs joined by the recorded pairs; a group with
// a tombstone on any ID is gone; a group whose registers make no valid account yet
// (a change seen before the account's addition) is left out until they do; groups
// with the same key (type, secret, algorithm, digits, period) are one account;
// the order is the position registers', ties by ID. loss is told of values that
// lost to the value of another ID of the same account.
func materialize(s *state, loss lossFunc) *view {
	// Union-find over the IDs, the smallest ID of a component its root.
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		p, ok := parent[x]
		if !ok || p == x {
			return x
		}
		r := find(p)
		parent[x] = r
		return r
	}
	for _, p := range sortedPairs(s.alias) {
		a, b := find(p[0]), find(p[1])
		if a != b {
			parent[max(a, b)] = min(a, b)
		}
	}
	comps := map[string][]string{}
	for _, id := range sortedKeys(s.recs) {
		r := find(id)
		comps[r] = append(comps[r], id)
	}
	for id := range s.dead {
		r := find(id)
		if _, ok := comps[r]; ok && !slices.Contains(comps[r], id) {
			comps[r] = append(comps[r], id)
			slices.Sort(comps[r])
		}
	}

	var groups []*group
	byKey := map[string]*group{}
	for _, root := range sortedKeys(comps) {
		members := comps[root]
		if slices.ContainsFunc(members, func(id string) bool { _, d := s.dead[id]; return d }) {
			continue
		}
		g := &group{id: root, members: members, rec: &record{}}
		for _, id := range members {
			if r := s.recs[id]; r != nil {
				g.rec.join(r, root, loss)
			}
		}
		a, ok := accountOf(root, g.rec)
		if !ok {
			continue
		}
		k := keyOf(&a)
		if into := byKey[k]; into != nil { // the same key added on two machines
			into.rec.join(g.rec, into.id, loss)
			into.members = append(into.members, g.members...)
			slices.Sort(into.members)
			into.implicit = append(into.implicit, g.id)
			continue
		}
		byKey[k] = g
		groups = append(groups, g)
	}

	// The order: by position, ties by ID (sorted as small records, not as
	// accounts, which are large to move).
	type placed struct {
		pos int
		g   *group
	}
	order := make([]placed, len(groups))
	for i, g := range groups {
		n, _ := strconv.Atoi(g.rec.f[fPosition].val)
		order[i] = placed{n, g}
	}
	slices.SortFunc(order, func(a, b placed) int {
		if c := cmp.Compare(a.pos, b.pos); c != 0 {
			return c
		}
		return strings.Compare(a.g.id, b.g.id)
	})
	v := &view{accounts: make([]vault.Account, 0, len(groups)), byID: make(map[string]*group, len(groups))}
	for i, p := range order {
		a, _ := accountOf(p.g.id, p.g.rec)
		a.Position = i
		v.accounts = append(v.accounts, a)
		v.byID[p.g.id] = p.g
	}
	return v
}

// keyOf is what makes an account's codes: two accounts with the same key are one.
func keyOf(a *vault.Account) string {
	return string(a.Type) + "\x00" + string(a.Algorithm) + "\x00" + strconv.Itoa(a.Digits) + "\x00" +
		strconv.Itoa(a.Period) + "\x00" + string(a.Secret)
}

// value is an account's field as a register holds it.
func value(a *vault.Account, f field) string {
	switch f {
	case fType:
		return string(a.Type)
	case fIssuer:
		return a.Issuer
	case fName:
		return a.Name
	case fSecret:
		return string(a.Secret)
	case fAlgorithm:
		return string(a.Algorithm)
	case fDigits:
		return strconv.Itoa(a.Digits)
	case fPeriod:
		return strconv.Itoa(a.Period)
	case fNote:
		return a.Note
	case fIcon:
		return a.Icon
	case fFavorite:
		if a.Favorite {
			return "1"
		}
		return ""
	case fPosition:
		return strconv.Itoa(a.Position)
	case fCreated:
		return timeValue(a.Created)
	case fUpdated:
		return timeValue(a.Updated)
	}
	return ""
}

func timeValue(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// accountOf builds the account of a record; ok is false while the registers make
// no valid account (the change that added it not seen yet).
func accountOf(id string, r *record) (vault.Account, bool) {
	num := func(f field) int { n, _ := strconv.Atoi(r.f[f].val); return n }
	a := vault.Account{
		ID: id, Type: vault.Type(r.f[fType].val), Issuer: r.f[fIssuer].val, Name: r.f[fName].val,
		Secret: vault.Secret(r.f[fSecret].val), Algorithm: vault.Algorithm(r.f[fAlgorithm].val),
		Digits: num(fDigits), Period: num(fPeriod), Counter: r.counter, Note: r.f[fNote].val,
		Icon: r.f[fIcon].val, Favorite: r.f[fFavorite].val == "1", Position: num(fPosition),
		Created: parseTime(r.f[fCreated].val), Updated: parseTime(r.f[fUpdated].val),
	}
	a.Tags = tagsOf(r)
	if !r.f[fSecret].set() || !r.f[fType].set() || a.Validate() != nil {
		return a, false
	}
	return a, true
}

// tagsOf lists the tags on, in the order they were put on.
func tagsOf(r *record) []string {
	var on []string
	for t, g := range r.tags {
		if g.val == "1" {
			on = append(on, t)
		}
	}
	slices.SortFunc(on, func(a, b string) int {
		if c := r.tags[a].at.Compare(r.tags[b].at); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return on
}

// diff records the changes of the vault's accounts since the view was written to
// the vault: every field that differs from the view's, every account added (all its
// registers) and every account gone (a tombstone on each of its IDs), each stamped
// by tick and based on the register it replaces. Accounts whose ID the state knows
// but the view does not show (a restored account whose ID was deleted) get a new
// ID first: local is changed in place. known says whether the state has an ID.
func diff(local []vault.Account, v *view, known func(string) bool, tick func() Stamp) *state {
	ops := newState()
	seen := make(map[string]bool, len(local))
	for i := range local {
		a := &local[i]
		g := v.byID[a.ID]
		if g == nil || seen[a.ID] {
			if known(a.ID) || seen[a.ID] {
				a.ID = vault.NewID()
			}
			r := ops.rec(a.ID)
			for f := range nFields {
				r.f[f] = reg{val: value(a, f), at: tick()}
			}
			for _, t := range a.Tags {
				if r.tags == nil {
					r.tags = map[string]reg{}
				}
				r.tags[t] = reg{val: "1", at: tick()}
			}
			r.counter = a.Counter
			seen[a.ID] = true
			continue
		}
		seen[a.ID] = true
		var r *record
		put := func() *record {
			if r == nil {
				r = ops.rec(a.ID)
			}
			return r
		}
		for f := range nFields {
			if val, cur := value(a, f), g.rec.f[f]; val != cur.val {
				put().f[f] = reg{val: val, at: tick(), base: cur.at}
			}
		}
		has := map[string]bool{}
		for _, t := range a.Tags {
			has[t] = true
			if cur := g.rec.tags[t]; cur.val != "1" {
				put()
				if r.tags == nil {
					r.tags = map[string]reg{}
				}
				r.tags[t] = reg{val: "1", at: tick(), base: cur.at}
			}
		}
		for _, t := range sortedKeys(g.rec.tags) {
			if cur := g.rec.tags[t]; cur.val == "1" && !has[t] {
				put()
				if r.tags == nil {
					r.tags = map[string]reg{}
				}
				r.tags[t] = reg{val: "", at: tick(), base: cur.at}
			}
		}
		if a.Counter > g.rec.counter {
			put().counter = a.Counter
		}
	}
	for _, a := range v.accounts {
		if !seen[a.ID] {
			at := tick()
			for _, id := range v.byID[a.ID].members {
				ops.dead[id] = at
			}
		}
	}
	return ops
}

// pairs records as pairs the IDs the view joined by their key alone, so that they
// stay one account whatever later changes of key.
func (v *view) pairs(known map[[2]string]bool) *state {
	ops := newState()
	for _, a := range v.accounts {
		for _, other := range v.byID[a.ID].implicit {
			if p := pair(a.ID, other); !known[p] {
				ops.alias[p] = true
			}
		}
	}
	return ops
}

// sameAccounts reports whether two lists of accounts are equal, field by field.
func sameAccounts(a, b []vault.Account) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := &a[i], &b[i]
		if x.ID != y.ID || x.Counter != y.Counter || !slices.Equal(x.Tags, y.Tags) {
			return false
		}
		for f := range nFields {
			if value(x, f) != value(y, f) {
				return false
			}
		}
	}
	return true
}
