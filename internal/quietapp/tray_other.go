//go:build !(linux || freebsd || openbsd || netbsd)

package quietapp

// HasTray reports whether the desktop has a system tray: Windows and macOS have one.
func HasTray() bool { return true }
