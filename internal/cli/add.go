package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/wardauth/ward/internal/workflow"
	"github.com/wardauth/ward/vault"
)

// cmdAdd adds accounts by their links or by their key: ward add URI..., ward add
// --secret S .... A bad link adds nothing.
func (c *cli) cmdAdd(args []string) error {
	fs := c.flags("add")
	var m manualFlags
	m.register(fs)
	links, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	var accounts []vault.Account
	switch {
	case len(links) > 0 && m.any(fs):
		return usageErr("add takes either links or --secret and its options, not both")
	case len(links) > 0:
		var f workflow.Finder
		for i, l := range links {
			f.Add(fmt.Sprintf("link %d", i+1), l)
		}
		found := f.Found()
		if len(found.Problems) > 0 {
			p := found.Problems[0]
			if len(links) > 1 {
				return fmt.Errorf("link %d: %w; nothing was added", p.N, p.Err)
			}
			return p.Err
		}
		c.warnTransfer(found)
		accounts = found.Accounts
	case m.secret != "":
		a, err := m.account(c.Stdin)
		if err != nil {
			return err
		}
		accounts = append(accounts, a)
	default:
		return usageErr("add needs otpauth:// links, or --secret with --issuer and --name")
	}
	return c.store(accounts)
}

// manualFlags are the options of `ward add --secret`.
type manualFlags struct {
	issuer, name, secret, typ, algorithm string
	digits, period                       int
	counter                              uint64
}

func (m *manualFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&m.issuer, "issuer", "", "")
	fs.StringVar(&m.name, "name", "", "")
	fs.StringVar(&m.secret, "secret", "", "")
	fs.StringVar(&m.typ, "type", "totp", "")
	fs.StringVar(&m.algorithm, "algorithm", "SHA1", "")
	fs.IntVar(&m.digits, "digits", 0, "")
	fs.IntVar(&m.period, "period", 0, "")
	fs.Uint64Var(&m.counter, "counter", 0, "")
}

// any reports whether any of the account's options was given.
func (m *manualFlags) any(fs *flag.FlagSet) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name != "vault" && f.Name != "no-keyring" {
			set = true
		}
	})
	return set
}

func (m *manualFlags) account(stdin io.Reader) (vault.Account, error) {
	raw := m.secret
	if raw == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, 4096))
		if err != nil {
			return vault.Account{}, fmt.Errorf("reading the secret from stdin: %w", err)
		}
		raw = string(b)
	}
	sec, err := vault.ParseSecret(raw)
	if err != nil {
		return vault.Account{}, fmt.Errorf("--secret: %w", err)
	}
	a := vault.Account{
		Type: vault.Type(strings.ToLower(m.typ)), Issuer: m.issuer, Name: m.name, Secret: sec,
		Algorithm: vault.Algorithm(strings.ToUpper(m.algorithm)), Digits: m.digits, Period: m.period, Counter: m.counter,
	}
	if a.Type == vault.Steam && (m.digits != 0 && m.digits != vault.SteamChars) {
		return a, usageErr("steam accounts have 5 characters; leave out --digits")
	}
	a.Normalize()
	if err := a.Validate(); err != nil {
		return a, fmt.Errorf("invalid account: %w", err)
	}
	return a, nil
}
