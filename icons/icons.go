// Package icons embeds Ward's images: the app icon now, issuer icons as the window
// grows. It holds bytes only, so that any package may use it without Fyne.
package icons

import _ "embed"

// App is Ward's application icon, a 512x512 PNG: a keyhole in a shield.
//
//go:embed ward.png
var App []byte
