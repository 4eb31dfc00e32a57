package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// prompter asks for passphrases: from an environment variable when it is set (for
// scripts), from the terminal without echo, or, when standard input is a pipe, one
// line of it per question.
type prompter struct {
	in     io.Reader
	lines  *bufio.Reader
	errOut io.Writer
	getenv func(string) string
}

func newPrompter(in io.Reader, errOut io.Writer, getenv func(string) string) *prompter {
	return &prompter{in: in, errOut: errOut, getenv: getenv}
}

var errNoPassphrase = errors.New("no passphrase given: run ward in a terminal, pipe the passphrase on standard input, or set WARD_PASSPHRASE")

func (p *prompter) ask(envVar, prompt string) (string, error) {
	if s := p.getenv(envVar); s != "" {
		return s, nil
	}
	if f, ok := p.in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(p.errOut, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(p.errOut)
		if err != nil {
			return "", fmt.Errorf("reading the passphrase: %w", err)
		}
		if len(b) == 0 {
			return "", errors.New("no passphrase given")
		}
		return string(b), nil
	}
	if p.lines == nil {
		p.lines = bufio.NewReader(p.in)
	}
	line, err := p.lines.ReadString('\n')
	line = strings.TrimRight(line, "\r\n")
	if line == "" && err != nil {
		return "", errNoPassphrase
	}
	return line, nil
}

// askTwice asks for a new passphrase and its repetition (an environment variable
// counts as both).
func (p *prompter) askTwice(envVar, prompt string) (string, error) {
	if s := p.getenv(envVar); s != "" {
		return s, nil
	}
	a, err := p.ask(envVar, prompt)
	if err != nil {
		return "", err
	}
	b, err := p.ask(envVar, "Repeat it: ")
	if err != nil {
		return "", err
	}
	if a != b {
		return "", errors.New("the two passphrases differ; nothing was changed")
	}
	return a, nil
}
