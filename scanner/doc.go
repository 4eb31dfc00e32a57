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
//   - luminance is read straight from the pixel slices of every image type the
//     standard decoders and screen capture give (RGBA, NRGBA, RGBA64, NRGBA64,
//     Gray, Gray16, Paletted, YCbCr, NYCbCrA, CMYK), in parallel stripes; 16-bit
//     samples by their high byte, so a 16-bit image gives its 8-bit twin's plane;
//     other types through RGBA64At (gozxing's own conversion calls At for every
//     pixel);
//   - images of 1.6 megapixels and more are cut into overlapping horizontal bands,
//     one per CPU, each decoded at full resolution; a code taller than the overlap
//     is found by a pass at a quarter of the resolution;
//   - the inverted image (dark mode) and a global threshold (steep angles, soft
//     edges) are tried only when the first pass finds nothing.
//
// scripts/bench.sh compares the decoder with zbarimg on the generated corpus
// (internal/qrcorpus), and `ward scan --print FILE` with zbarimg as processes on a
// 3840x2160 screenshot at 8 and 16 bits a sample (internal/qrbench).
//
// # Sources
//
// LoadImage and DecodeFile read PNG, JPEG, GIF, BMP and WebP, refusing images that
// claim more pixels than eight 8K screens before allocating them. DecodeFile reads
// a PNG file straight to the luminance plane (png.go), in three goroutines
// (inflate, undo the row filters, convert), 16-bit samples cut to their high bytes
// before the filters are undone: a 3840x2160 screenshot loads in about 30 ms at 8
// bits and 40 ms at 16, against 65 and 130 ms through image/png (BenchmarkLoad).
// Interlaced files, fewer than 8 bits a sample and 16-bit transparent colours go
// through image/png, as does any file that path finds damaged, so the error names
// the fault.
//
// CaptureScreen reads every monitor: through the XDG desktop portal in a Wayland
// session (the screenshot file the portal saves is deleted once read), directly
// from the X server otherwise; its error names each way tried and why it failed.
package scanner
