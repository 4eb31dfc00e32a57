// Package scanner finds QR codes in images and on the screen and returns their
// texts. It knows nothing of Fyne, HTTP or the vault: callers turn the texts into
// accounts (vault.ParseURI, vault.ParseMigration) and name the others (Describe).
//
// # Decoding
//
// Decode and DecodeCodes return every code in an image.Image, or ErrNoCode. They
// use gozxing with TRY_HARDER (without it gozxing misses small codes), made fast
// for large screens:
//
//   - luminance is read straight from RGBA, NRGBA, YCbCr and Gray pixel slices, in
//     parallel stripes (gozxing's own conversion calls At for every pixel);
//   - images of 1.6 megapixels and more are cut into overlapping horizontal bands,
//     one per CPU, each decoded at full resolution; a code taller than the overlap
//     is found by a pass at a quarter of the resolution;
//   - the inverted image (dark mode) and a global threshold (steep angles, soft
//     edges) are tried only when the first pass finds nothing.
//
// scripts/bench.sh compares the decoder with zbarimg on the generated corpus
// (internal/qrcorpus).
//
// # Sources
//
// LoadImage and DecodeFile read PNG, JPEG, GIF, BMP and WebP, refusing images that
// claim more pixels than eight 8K screens before allocating them. CaptureScreen
// reads every monitor: through the XDG desktop portal in a Wayland session (the
// screenshot file the portal saves is deleted once read), directly from the X
// server otherwise; its error names each way tried and why it failed.
package scanner
