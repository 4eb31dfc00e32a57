package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/wardauth/ward/icons"
	"github.com/wardauth/ward/internal/desktop"
)

// cmdInstallDesktop installs Ward like a desktop app for this user (the menu entry,
// the icon, the handler of otpauth links), or with --uninstall removes it: ward
// install-desktop [--uninstall]. The entry runs this very binary. With --print it
// writes the entry a package installs (Exec=ward, the binary on PATH) to standard
// output and installs nothing: scripts/package.sh puts it in the bundle.
func (c *cli) cmdInstallDesktop(args []string) error {
	fs := c.flags("install-desktop")
	uninstall := fs.Bool("uninstall", false, "remove what install-desktop wrote")
	printEntry := fs.Bool("print", false, "print the entry a package installs, install nothing")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageErr("install-desktop takes no arguments (got %q)", rest[0])
	}
	if *printEntry {
		if *uninstall {
			return usageErr("install-desktop takes --print or --uninstall, not both")
		}
		_, err := io.WriteString(c.Stdout, desktop.PackagedEntry())
		return err
	}
	data, config, err := desktop.Dirs(c.Getenv)
	if err != nil {
		return err
	}
	o := desktop.Options{DataHome: data, ConfigHome: config, Icon: icons.App}
	var done []string
	if *uninstall {
		done, err = desktop.Uninstall(o)
	} else {
		if o.Exec, err = os.Executable(); err == nil {
			o.Exec, err = filepath.EvalSymlinks(o.Exec)
		}
		if err != nil {
			return fmt.Errorf("the path of this ward: %w", err)
		}
		done, err = desktop.Install(o)
	}
	for _, line := range done {
		fmt.Fprintln(c.Stdout, line)
	}
	return err
}
