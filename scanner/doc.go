// Package scanner finds QR codes in images and on the screen and decodes them to
// otpauth links. It knows nothing of Fyne or the vault file.
//
// It is filled by the scanner issue: decoding every QR code in an image.Image
// (small, inverted, rotated, several), image files, screen capture on X11 and
// Wayland, and Google Authenticator transfer payloads.
package scanner
