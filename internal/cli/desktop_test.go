package cli

import (
	"testing"

	"github.com/wardauth/ward/app"
	"github.com/wardauth/ward/internal/desktop"
)

// The desktop entry is named for the window's application ID: the desktop matches
// the running window to its entry and icon by it.
func TestDesktopID(t *testing.T) {
	if app.ID != desktop.ID {
		t.Fatalf("app.ID %q, desktop.ID %q", app.ID, desktop.ID)
	}
}
