// Command qrbench compares Ward's QR decoder with zbarimg on the scanner corpus, in
// one run: the same images (written as PNG files), success counts and median times
// per image size, side by side. With -ward it then times `ward scan --print FILE`
// beside zbarimg as whole processes, with hyperfine in one run, on the 3840x2160
// screen with a 2-pixel-module code as a PNG file at 8 and at 16 bits a sample.
// scripts/bench.sh runs it.
//
//	go run ./internal/qrbench -ward ./ward -runs 5
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wardauth/ward/internal/qrcorpus"
	"github.com/wardauth/ward/scanner"
)

func main() {
	wardBin := flag.String("ward", "", "a built ward binary, to time `ward scan --print FILE` as a process too")
	runs := flag.Int("runs", 5, "timed runs per image and tool")
	only := flag.String("only", "", "only cases whose name contains this")
	screenRuns := flag.Int("screen-runs", 20, "hyperfine runs per command on the 3840x2160 screen files (with -ward)")
	flag.Parse()
	if err := run(*wardBin, *runs, *only, *screenRuns); err != nil {
		fmt.Fprintln(os.Stderr, "qrbench:", err)
		os.Exit(1)
	}
}

type result struct {
	ok      bool
	elapsed time.Duration // median
}

type row struct {
	c           qrcorpus.Case
	ward, zbar  result
	wardProcess result
}

func run(wardBin string, runs int, only string, screenRuns int) error {
	if _, err := exec.LookPath("zbarimg"); err != nil {
		return fmt.Errorf("zbarimg is not installed (Debian: zbar-tools)")
	}
	cases, err := qrcorpus.Cases()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "qrbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	var rows []row
	for i, c := range cases {
		if only != "" && !strings.Contains(c.Name, only) {
			continue
		}
		file := filepath.Join(dir, fmt.Sprintf("%03d.png", i))
		f, err := os.Create(file)
		if err != nil {
			return err
		}
		if err := png.Encode(f, c.Image); err != nil {
			return err
		}
		f.Close()

		r := row{c: c}
		r.ward = timeIt(runs, func() []string { got, _ := scanner.Decode(c.Image); return got }, c.Want)
		r.zbar = timeIt(runs, func() []string { return zbarimg(file) }, c.Want)
		if wardBin != "" {
			r.wardProcess = timeIt(runs, func() []string { return wardScan(wardBin, file) }, c.Want)
		}
		rows = append(rows, r)
		fmt.Fprintf(os.Stderr, "%-40s ward %-5v %7.1f ms   zbarimg %-5v %7.1f ms\n", c.Name,
			r.ward.ok, ms(r.ward.elapsed), r.zbar.ok, ms(r.zbar.elapsed))
	}
	report(rows, wardBin != "")
	if wardBin == "" {
		return nil
	}
	for _, c := range cases {
		if c.Name == "3840x2160/2px" {
			return screens(wardBin, c, dir, screenRuns)
		}
	}
	return nil
}

// screens times `ward scan --print FILE` beside zbarimg, with hyperfine in one
// run, on the screen c written as PNG files at 8 bits a sample and at 16: by Go's
// encoder and, where ImageMagick is installed, as ImageMagick writes 16-bit files.
func screens(wardBin string, c qrcorpus.Case, dir string, runs int) error {
	if _, err := exec.LookPath("hyperfine"); err != nil {
		return fmt.Errorf("hyperfine is not installed (Debian: hyperfine)")
	}
	rgba, ok := c.Image.(*image.RGBA)
	if !ok {
		return fmt.Errorf("%s is a %T, not RGBA", c.Name, c.Image)
	}
	wide := image.NewRGBA64(rgba.Bounds()) // each 8-bit sample v as v*257
	for i, v := range rgba.Pix {
		wide.Pix[2*i], wide.Pix[2*i+1] = v, v
	}
	type file struct{ name, path string }
	files := []file{{"8-bit RGB", filepath.Join(dir, "screen-8.png")}, {"16-bit RGB", filepath.Join(dir, "screen-16.png")}}
	for i, img := range []image.Image{rgba, wide} {
		f, err := os.Create(files[i].path)
		if err != nil {
			return err
		}
		if err := png.Encode(f, img); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if _, err := exec.LookPath("convert"); err == nil {
		im := filepath.Join(dir, "screen-16-imagemagick.png")
		if out, err := exec.Command("convert", files[0].path, "PNG48:"+im).CombinedOutput(); err != nil {
			return fmt.Errorf("convert: %v: %s", err, out)
		}
		files = append(files, file{"16-bit RGB (ImageMagick)", im})
	}

	args := []string{"-N", "--warmup", "3", "--runs", fmt.Sprint(runs), "--export-json", filepath.Join(dir, "screens.json")}
	for _, f := range files {
		if got := wardScan(wardBin, f.path); !sameSet(got, c.Want) {
			return fmt.Errorf("ward scan %s: %q, want %q", f.name, got, c.Want)
		}
		if got := zbarimg(f.path); !sameSet(got, c.Want) {
			return fmt.Errorf("zbarimg %s: %q, want %q", f.name, got, c.Want)
		}
		args = append(args,
			"-n", "ward "+f.name, wardBin+" scan --print "+f.path,
			"-n", "zbarimg "+f.name, "zbarimg -q --raw -Sdisable -Sqrcode.enable "+f.path)
	}
	cmd := exec.Command("hyperfine", args...)
	cmd.Env = append(os.Environ(), "HOME="+dir) // no vault is read with --print
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("hyperfine: %v: %s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "screens.json"))
	if err != nil {
		return err
	}
	var res struct {
		Results []struct {
			Command string  `json:"command"`
			Mean    float64 `json:"mean"`
			Stddev  float64 `json:"stddev"`
			User    float64 `json:"user"`
			System  float64 `json:"system"`
		} `json:"results"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return err
	}
	if len(res.Results) != 2*len(files) {
		return fmt.Errorf("hyperfine gave %d results, want %d", len(res.Results), 2*len(files))
	}

	fmt.Println()
	fmt.Printf("`ward scan --print FILE` beside zbarimg as processes, %s, hyperfine -N --warmup 3 --runs %d, one run\n", c.Name, runs)
	fmt.Println("(the target: Ward at most half of zbarimg at 8 and at 16 bits; ms, mean ± σ, and CPU time user+system):")
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PNG file\tward scan ms\tzbarimg ms\tWard/zbarimg\tward CPU ms\tzbarimg CPU ms\t")
	for i, f := range files {
		w, z := res.Results[2*i], res.Results[2*i+1]
		fmt.Fprintf(tw, "%s\t%.1f ± %.1f\t%.1f ± %.1f\t%.2f\t%.1f\t%.1f\t\n", f.name,
			1000*w.Mean, 1000*w.Stddev, 1000*z.Mean, 1000*z.Stddev, w.Mean/z.Mean,
			1000*(w.User+w.System), 1000*(z.User+z.System))
	}
	return tw.Flush()
}

// timeIt runs f runs times and returns whether every run found exactly want, and
// the median time.
func timeIt(runs int, f func() []string, want []string) result {
	var times []time.Duration
	ok := true
	for range runs {
		start := time.Now()
		got := f()
		times = append(times, time.Since(start))
		ok = ok && sameSet(got, want)
	}
	slices.Sort(times)
	return result{ok: ok, elapsed: times[len(times)/2]}
}

func sameSet(got, want []string) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(slices.Compact(g), w)
}

func zbarimg(file string) []string {
	out, _ := exec.Command("zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", file).Output()
	return lines(string(out))
}

func wardScan(bin, file string) []string {
	cmd := exec.Command(bin, "scan", "--print", file)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}
	out, _ := cmd.Output()
	return lines(string(out))
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[len(ds)/2]
}

func report(rows []row, withProcess bool) {
	var sizes []string
	for _, r := range rows {
		if !slices.Contains(sizes, r.c.Size) {
			sizes = append(sizes, r.c.Size)
		}
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "size\tcases\tWard ok\tzbarimg ok\tWard median ms\tzbarimg median ms\t"
	if withProcess {
		head += "ward scan (process) median ms\t"
	}
	fmt.Fprintln(tw, head)
	for _, s := range sizes {
		var n, wok, zok int
		var wt, zt, pt []time.Duration
		for _, r := range rows {
			if r.c.Size != s {
				continue
			}
			n++
			if r.ward.ok {
				wok++
			}
			if r.zbar.ok {
				zok++
			}
			wt, zt, pt = append(wt, r.ward.elapsed), append(zt, r.zbar.elapsed), append(pt, r.wardProcess.elapsed)
		}
		line := fmt.Sprintf("%s\t%d\t%d\t%d\t%.1f\t%.1f\t", s, n, wok, zok, ms(median(wt)), ms(median(zt)))
		if withProcess {
			line += fmt.Sprintf("%.1f\t", ms(median(pt)))
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()

	fmt.Println()
	fmt.Println("2-pixel-module codes (the target: Ward at most half of zbarimg, under 150 ms on 3840x2160):")
	tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tWard\tWard ms\tzbarimg\tzbarimg ms\t")
	for _, r := range rows {
		if strings.HasSuffix(r.c.Name, "/2px") {
			fmt.Fprintf(tw, "%s\t%v\t%.1f\t%v\t%.1f\t\n", r.c.Name, r.ward.ok, ms(r.ward.elapsed), r.zbar.ok, ms(r.zbar.elapsed))
		}
	}
	tw.Flush()

	var zbarOnly, wardOnly []string
	for _, r := range rows {
		if r.zbar.ok && !r.ward.ok {
			zbarOnly = append(zbarOnly, r.c.Name)
		}
		if r.ward.ok && !r.zbar.ok {
			wardOnly = append(wardOnly, r.c.Name)
		}
	}
	fmt.Printf("\ndecoded by zbarimg but not Ward (%d): %s\n", len(zbarOnly), strings.Join(zbarOnly, ", "))
	fmt.Printf("decoded by Ward but not zbarimg (%d): %s\n", len(wardOnly), strings.Join(wardOnly, ", "))
}
