package workflow

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	"github.com/wardauth/ward/vault"
	"github.com/wardauth/ward/vault/interop"
	"github.com/wardauth/ward/vault/sheet"
)

// Format is a kind of export.
type Format string

const (
	Ward       Format = "ward"        // Ward's own: age, scrypt under a passphrase (vault.Export)
	Aegis      Format = "aegis"       // Aegis's encrypted vault, under a password
	AegisPlain Format = "aegis-plain" // Aegis's plain vault: unencrypted
	Otpauth    Format = "otpauth"     // otpauth links, one a line: unencrypted
	QRSheet    Format = "qr-sheet"    // QR codes for a phone: a PDF, or PNG pages (vault/sheet)
)

// Known reports whether f is one of the formats.
func (f Format) Known() bool {
	switch f {
	case Ward, Aegis, AegisPlain, Otpauth, QRSheet:
		return true
	}
	return false
}

// Encrypted reports whether the format needs a passphrase.
func (f Format) Encrypted() bool { return f == Ward || f == Aegis }

// ExportOptions say how to export.
type ExportOptions struct {
	Format     Format // "" is Ward
	Passphrase string // for the encrypted formats
	Armor      bool   // Ward's format as text (ASCII armor)
}

// Exported is what Export wrote.
type Exported struct {
	Files    []string // the files written: the one asked for, or a sheet's PNG pages
	Accounts int      // accounts in the export
	// ReadBack: the file was read back from the disk (opened with the passphrase
	// when encrypted) and gave every account again, with its key and parameters,
	// issuer and name. Every format but the QR sheet is read back.
	ReadBack bool
	// A QR sheet's transfer codes for Google Authenticator, and the accounts it
	// cannot take, which have only their own codes on the sheet.
	TransferCodes   int
	NotTransferable []vault.Account
}

// ErrNotReadBack: the export was written but does not read back as the accounts
// given. The error's sentence names the file and says to not rely on it.
var ErrNotReadBack = errors.New("the export does not read back")

type notReadBack struct {
	path string
	err  error
}

func (e notReadBack) Error() string {
	return fmt.Sprintf("the export %s does not read back (%v); do not rely on it", e.path, e.err)
}
func (e notReadBack) Is(target error) bool { return target == ErrNotReadBack }
func (e notReadBack) Unwrap() error        { return e.err }

// Export writes accounts to path in a format, then reads the file back from the
// disk and compares every account (not for the QR sheet) before it reports done.
// It takes seconds for the encrypted formats (scrypt): front ends run it off their
// interactive thread.
func Export(accounts []vault.Account, path string, o ExportOptions) (Exported, error) {
	f := o.Format
	if f == "" {
		f = Ward
	}
	if f.Encrypted() && o.Passphrase == "" {
		// ExportAegis would write a plain file.
		return Exported{}, fmt.Errorf("the %s export needs a passphrase", f)
	}
	e := Exported{Files: []string{path}, Accounts: len(accounts)}
	var data []byte
	var err error
	switch f {
	case QRSheet:
		return exportSheet(accounts, path)
	case Ward:
		data, err = vault.Export(accounts, o.Passphrase, o.Armor)
	case Aegis:
		data, err = interop.ExportAegis(accounts, o.Passphrase)
	case AegisPlain:
		data, err = interop.ExportAegis(accounts, "")
	case Otpauth:
		data = interop.ExportOtpauth(accounts)
	default:
		return Exported{}, fmt.Errorf("unknown export format %q", f)
	}
	if err != nil {
		return Exported{}, err
	}
	if err := vault.WriteFileAtomic(path, data); err != nil {
		return Exported{}, err
	}
	if err := readBack(path, f, o.Passphrase, accounts); err != nil {
		return e, notReadBack{path, err}
	}
	e.ReadBack = true
	return e, nil
}

// readBack opens the file on the disk as an import would, in its format and with the
// passphrase, and compares what it gives with the accounts exported, one by one.
func readBack(path string, f Format, passphrase string, want []vault.Account) error {
	disk, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	name := string(f)
	if f == AegisPlain {
		name = string(Aegis)
	}
	r, err := interop.Import(disk, name, func() (string, error) { return passphrase, nil })
	if err != nil {
		return err
	}
	if len(r.Accounts) != len(want) {
		return fmt.Errorf("it holds %d accounts, not %d", len(r.Accounts), len(want))
	}
	for i := range want {
		a, b := want[i], r.Accounts[i]
		a.Normalize()
		if !a.SameKey(&b) || a.Issuer != b.Issuer || a.Name != b.Name {
			return fmt.Errorf("account %d (%s) differs", i+1, a.Label())
		}
	}
	return nil
}

// exportSheet writes the QR sheet, under a random transfer ID.
func exportSheet(accounts []vault.Account, path string) (Exported, error) {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	id := int32(binary.BigEndian.Uint32(b[:]) & 0x7fffffff)
	files, err := sheet.Write(accounts, path, id)
	if err != nil {
		return Exported{Files: files}, err
	}
	links, left := sheet.Codes(accounts, id)
	return Exported{Files: files, Accounts: len(accounts), TransferCodes: len(links), NotTransferable: left}, nil
}
