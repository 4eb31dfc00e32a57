package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wardauth/ward/scanner"
	"github.com/wardauth/ward/vault"
)

// cmdScan reads QR codes from image files or the screen and adds (or, with
// --print, prints) the accounts they hold.
func (c *cli) cmdScan(args []string) error {
	fs := c.flags("scan")
	screen := fs.Bool("screen", false, "")
	printOnly := fs.Bool("print", false, "")
	files, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(files) == 0 && !*screen {
		return usageErr("scan needs image files or --screen")
	}

	type source struct {
		name  string
		texts []string
	}
	var sources []source
	var empty []string
	for _, f := range files {
		texts, err := scanner.DecodeFile(f)
		if errors.Is(err, scanner.ErrNoCode) {
			empty = append(empty, f)
			continue
		}
		if err != nil {
			return fmt.Errorf("%w; nothing was added", err)
		}
		sources = append(sources, source{f, texts})
	}
	if *screen {
		img, err := c.capture(scanner.CaptureOptions{})
		if err != nil {
			return err
		}
		texts, err := scanner.Decode(img)
		if errors.Is(err, scanner.ErrNoCode) {
			empty = append(empty, "the screen")
		} else {
			sources = append(sources, source{"the screen", texts})
		}
	}
	if len(sources) == 0 {
		return fmt.Errorf("no QR code found in %s", strings.Join(empty, ", "))
	}
	for _, e := range empty {
		fmt.Fprintf(c.stderr, "ward: no QR code found in %s\n", e)
	}

	var accounts []vault.Account
	var links []string // --print: the links as found, then the transfer accounts'
	var tr vault.Transfer
	codes := 0
	for _, s := range sources {
		for _, text := range s.texts {
			codes++
			lower := strings.ToLower(text)
			switch {
			case strings.HasPrefix(lower, "otpauth://"):
				a, err := vault.ParseURI(text)
				if err != nil {
					fmt.Fprintf(c.stderr, "ward: %s: %v\n", s.name, err)
					continue
				}
				accounts = append(accounts, a)
				links = append(links, strings.TrimSpace(text))
			case strings.HasPrefix(lower, "otpauth-migration:"):
				b, err := vault.ParseMigration(text)
				if err != nil {
					fmt.Fprintf(c.stderr, "ward: %s: %v\n", s.name, err)
					continue
				}
				tr.Add(b)
			default:
				fmt.Fprintf(c.stderr, "ward: %s: the QR code is %s, not an account\n", s.name, scanner.Describe(text))
			}
		}
	}
	for _, a := range c.fromTransfer(&tr) {
		accounts = append(accounts, a)
		links = append(links, a.URI())
	}
	if len(accounts) == 0 {
		return fmt.Errorf("none of the %d QR codes found holds an account", codes)
	}
	if *printOnly {
		seen := map[string]bool{}
		for _, l := range links {
			if !seen[l] {
				seen[l] = true
				fmt.Fprintln(c.stdout, l)
			}
		}
		return nil
	}
	return c.store(accounts)
}
