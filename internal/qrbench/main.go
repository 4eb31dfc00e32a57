// Command qrbench compares Ward's QR decoder with zbarimg on the scanner corpus, in
// one run: the same images (written as PNG files), success counts and median times
// per image size, side by side. scripts/bench.sh runs it.
//
//	go run ./internal/qrbench -ward ./ward -runs 5
package main

import (
	"flag"
	"fmt"
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
	flag.Parse()
	if err := run(*wardBin, *runs, *only); err != nil {
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

func run(wardBin string, runs int, only string) error {
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
	return nil
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
