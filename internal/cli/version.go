package cli

import (
	"fmt"
	"runtime/debug"
)

// cmdVersion prints Ward's version and the commit it was built from, as the Go
// toolchain recorded them in the binary (module version, vcs.revision,
// vcs.modified): "ward v1.2.3", "ward devel (commit 0123abcd…, modified)".
func (c *cli) cmdVersion(args []string) error {
	if err := c.noArgs("version", args); err != nil {
		return err
	}
	fmt.Fprintln(c.Stdout, versionLine(debug.ReadBuildInfo()))
	return nil
}

// versionLine phrases the build information; ok false (a binary without it) is
// "devel" with no commit.
func versionLine(bi *debug.BuildInfo, ok bool) string {
	version, revision, modified := "devel", "", false
	if ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	line := "ward " + version
	switch {
	case revision != "" && modified:
		line += " (commit " + revision + ", modified)"
	case revision != "":
		line += " (commit " + revision + ")"
	default:
		line += " (commit unknown)"
	}
	return line
}
