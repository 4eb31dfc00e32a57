package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wardauth/ward/internal/workflow"
	"github.com/wardauth/ward/scanner"
)

// cmdScan reads QR codes from image files or the screen and adds (or, with
// --print, prints) the accounts they hold: ward scan FILE... | --screen [--print].
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

	var f workflow.Finder
	var empty []string
	codes := 0
	for _, file := range files {
		texts, err := scanner.DecodeFile(file)
		if errors.Is(err, scanner.ErrNoCode) {
			empty = append(empty, file)
			continue
		}
		if err != nil {
			return fmt.Errorf("%w; nothing was added", err)
		}
		f.Add(file, texts...)
		codes += len(texts)
	}
	if *screen {
		img, err := c.Capture(scanner.CaptureOptions{})
		if err != nil {
			return err
		}
		texts, err := scanner.Decode(img)
		if errors.Is(err, scanner.ErrNoCode) {
			empty = append(empty, "the screen")
		} else {
			f.Add("the screen", texts...)
			codes += len(texts)
		}
	}
	if codes == 0 {
		return fmt.Errorf("no QR code found in %s", strings.Join(empty, ", "))
	}
	for _, e := range empty {
		fmt.Fprintf(c.Stderr, "ward: no QR code found in %s\n", e)
	}

	found := f.Found()
	c.warnProblems(found.Problems, "the QR code")
	c.warnTransfer(found)
	if len(found.Accounts) == 0 {
		return fmt.Errorf("none of the %d QR codes found holds an account", codes)
	}
	if *printOnly {
		seen := map[string]bool{}
		for _, l := range found.Links {
			if !seen[l] {
				seen[l] = true
				fmt.Fprintln(c.Stdout, l)
			}
		}
		return nil
	}
	return c.store(found.Accounts)
}
