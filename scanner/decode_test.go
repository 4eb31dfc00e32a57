package scanner

import (
	"errors"
	"image"
	_ "image/png"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	corpus "github.com/wardauth/ward/internal/qrcorpus"
)

var (
	corpusOnce  sync.Once
	corpusCases []corpus.Case
	corpusErr   error
)

func cases(t testing.TB) []corpus.Case {
	corpusOnce.Do(func() { corpusCases, corpusErr = corpus.Cases() })
	if corpusErr != nil {
		t.Fatal(corpusErr)
	}
	return corpusCases
}

// Every case of the generated corpus decodes to exactly its codes; the failures
// are listed by name.
func TestCorpus(t *testing.T) {
	var failed []string
	for _, c := range cases(t) {
		got, err := Decode(c.Image)
		want := slices.Clone(c.Want)
		slices.Sort(want)
		slices.Sort(got)
		if err != nil || !slices.Equal(got, want) {
			failed = append(failed, c.Name)
			t.Errorf("%s: got %d codes (%v), want %d", c.Name, len(got), err, len(want))
		}
	}
	t.Logf("%d cases, %d failed", len(cases(t)), len(failed))
}

// The real camera photo of a laptop screen decodes to the neo4j link.
func TestCameraFrame(t *testing.T) {
	f, err := os.Open("../../shared/scanner/camera-frame-1600x1200.png")
	if err != nil {
		t.Fatalf("the camera frame is missing: %v", err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(img)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !strings.HasPrefix(got[0], "otpauth://") || !strings.Contains(strings.ToLower(got[0]), "neo4j") {
		t.Fatalf("camera frame: %q", got)
	}
	t.Logf("camera frame: %s", redactLink(got[0]))
}

func TestNoCode(t *testing.T) {
	for name, img := range map[string]image.Image{
		"busy screen": corpus.Background(1920, 1080, 99),
		"blank":       image.NewGray(image.Rect(0, 0, 640, 480)),
		"1x1":         image.NewRGBA(image.Rect(0, 0, 1, 1)),
		"empty":       image.NewRGBA(image.Rectangle{}),
	} {
		got, err := Decode(img)
		if !errors.Is(err, ErrNoCode) || got != nil {
			t.Errorf("%s: %q, %v; want ErrNoCode", name, got, err)
		}
	}
}

// redactLink shows a link without its secret, for test logs.
func redactLink(s string) string {
	if i := strings.Index(s, "secret="); i >= 0 {
		j := strings.IndexByte(s[i:], '&')
		if j < 0 {
			return s[:i] + "secret=REDACTED"
		}
		return s[:i] + "secret=REDACTED" + s[i+j:]
	}
	return s
}

func BenchmarkDecode(b *testing.B) {
	for _, c := range cases(b) {
		if !strings.HasSuffix(c.Name, "/2px") {
			continue
		}
		b.Run(c.Size, func(b *testing.B) {
			for b.Loop() {
				if _, err := Decode(c.Image); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPlainGozxing is the baseline the decoder improves on: gozxing's own image
// conversion and one TRY_HARDER pass over the whole 3840x2160 image.
func BenchmarkPlainGozxing(b *testing.B) {
	for _, c := range cases(b) {
		if c.Name != "3840x2160/2px" {
			continue
		}
		for b.Loop() {
			bmp, _ := gozxing.NewBinaryBitmapFromImage(c.Image)
			if _, err := qrcode.NewQRCodeReader().Decode(bmp, hints); err != nil {
				b.Fatal(err)
			}
		}
	}
}
