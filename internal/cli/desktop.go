package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/wardauth/ward/icons"
	"github.com/wardauth/ward/internal/desktop"
)

// cmdInstallDesktop installs Ward like a desktop app for this user (the menu entry,
// the icon, the handler of otpauth links), or with --uninstall removes it: ward
// install-desktop [--uninstall]. The entry runs this very binary.
func (c *cli) cmdInstallDesktop(args []string) error {
	fs := c.flags("install-desktop")
	uninstall := fs.Bool("uninstall", false, "remove what install-desktop wrote")
	rest, err := parseFlags(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageErr("install-desktop takes no arguments (got %q)", rest[0])
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
