package vault

import (
	"errors"
	"strings"
	"testing"
)

// The payload given in shared/interop/README.md.
func TestParseMigrationReadme(t *testing.T) {
	b, err := ParseMigration("otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Accounts) != 1 {
		t.Fatalf("%d accounts", len(b.Accounts))
	}
	a := b.Accounts[0]
	if a.Secret.Base32() != "JBSWY3DPEHPK3PXP" || a.Issuer != "Example" || a.Name != "alice@google.com" ||
		a.Type != TOTP || a.Algorithm != SHA1 || a.Digits != 6 || a.Period != 30 {
		t.Fatalf("got %s %q %q %s %s %d %d", a.Secret.Base32(), a.Issuer, a.Name, a.Type, a.Algorithm, a.Digits, a.Period)
	}
	if b.Index != 0 || b.Size != 1 {
		t.Errorf("batch %d of %d", b.Index, b.Size)
	}
}

func TestMigrationRoundTrip(t *testing.T) {
	var in []Account
	for _, l := range []string{
		"otpauth://totp/Deno:Mason?secret=4SJHB4GSD43FZBAI7C2HLRJGPQ&issuer=Deno",
		"otpauth://totp/Airbnb:Elijah?secret=7ELGJSGXNCCTV3O6LKJWYFV2RA&issuer=Airbnb&algorithm=SHA512&digits=8",
		"otpauth://hotp/Issuu:James?secret=YOOMIXWS5GN6RTBPUFFWKTW5M4&issuer=Issuu&counter=10300",
		"otpauth://totp/alone?secret=JBSWY3DPEHPK3PXP",
	} {
		a, err := ParseURI(l)
		if err != nil {
			t.Fatal(err)
		}
		in = append(in, a)
	}
	link := EncodeMigration(in, 1, 3, -42)
	b, err := ParseMigration(link)
	if err != nil {
		t.Fatal(err)
	}
	if b.Index != 1 || b.Size != 3 || b.ID != -42 || len(b.Accounts) != len(in) {
		t.Fatalf("batch %d of %d id %d, %d accounts", b.Index, b.Size, b.ID, len(b.Accounts))
	}
	for i := range in {
		if !sameAccount(in[i], b.Accounts[i]) {
			t.Errorf("account %d: %+v", i, b.Accounts[i])
		}
	}
}

func TestMigrationSkipsWhatWardCannotUse(t *testing.T) {
	// One MD5 account beside a good one: the good one comes through, the other is
	// named with its reason.
	good := appendBytes(nil, 1, []byte("12345678901234567890"))
	good = appendBytes(good, 2, []byte("Good:one"))
	md5 := appendBytes(nil, 1, []byte("12345678901234567890"))
	md5 = appendBytes(md5, 2, []byte("Old:two"))
	md5 = appendVarint(md5, 4, 4)
	payload := appendBytes(appendBytes(nil, 1, good), 1, md5)
	b, err := decodePayload(payload)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Accounts) != 1 || b.Accounts[0].Issuer != "Good" || len(b.Skipped) != 1 || !strings.Contains(b.Skipped[0], "MD5") {
		t.Fatalf("accounts %d, skipped %q", len(b.Accounts), b.Skipped)
	}
}

func TestParseMigrationErrors(t *testing.T) {
	for link, want := range map[string]string{
		"https://example.com":                               "not an otpauth-migration",
		"otpauth-migration://offline":                       "no data",
		"otpauth-migration://offline?data=!!!":              "not base64",
		"otpauth-migration://offline?data=CjEKCkhlbGxvId6t": "cut short",
		"otpauth-migration://offline?data=EAE=":             "no account",
	} {
		_, err := ParseMigration(link)
		if !errors.Is(err, ErrBadMigration) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", link, err, want)
		}
	}
}

func TestTransferMissing(t *testing.T) {
	a, _ := ParseURI("otpauth://totp/A:a?secret=JBSWY3DPEHPK3PXP")
	b, _ := ParseURI("otpauth://totp/B:b?secret=MFRGGZDFMZTWQ2LK")
	var tr Transfer
	for _, link := range []string{EncodeMigration([]Account{b}, 2, 3, 7), EncodeMigration([]Account{a}, 0, 3, 7)} {
		batch, err := ParseMigration(link)
		if err != nil {
			t.Fatal(err)
		}
		if !tr.Add(batch) {
			t.Fatal("a new batch counted as a repeat")
		}
	}
	if batch, _ := ParseMigration(EncodeMigration([]Account{a}, 0, 3, 7)); tr.Add(batch) {
		t.Error("the same batch was added twice")
	}
	if got := tr.Missing(); len(got) != 1 || got[0] != "QR code 2 of 3" {
		t.Errorf("missing: %q", got)
	}
	if got := tr.Accounts(); len(got) != 2 || got[0].Issuer != "A" || got[1].Issuer != "B" {
		t.Errorf("accounts in batch order: %v", len(got))
	}
}

// FuzzParseMigration: no input panics; errors wrap ErrBadMigration; every account
// that comes out is valid.
func FuzzParseMigration(f *testing.F) {
	f.Add("otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC")
	a, _ := ParseURI("otpauth://hotp/Issuu:James?secret=YOOMIXWS5GN6RTBPUFFWKTW5M4&issuer=Issuu&counter=10300")
	f.Add(EncodeMigration([]Account{a, a}, 1, 2, 5))
	f.Fuzz(func(t *testing.T, link string) {
		b, err := ParseMigration(link)
		if err != nil {
			if !errors.Is(err, ErrBadMigration) {
				t.Fatalf("error does not wrap ErrBadMigration: %v", err)
			}
			return
		}
		for _, a := range b.Accounts {
			a.Normalize()
			if err := a.Validate(); err != nil {
				t.Fatalf("invalid account out of a valid batch: %v", err)
			}
		}
	})
}

// FuzzDecodePayload feeds raw protobuf bytes, past the base64 layer.
func FuzzDecodePayload(f *testing.F) {
	f.Add([]byte{0x0a, 0x03, 0x0a, 0x01, 0x41})
	f.Add([]byte{0x10, 0x01, 0x18, 0x02, 0x20, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		batch, err := decodePayload(data)
		if err == nil && batch.Index >= batch.Size {
			t.Fatalf("batch %d of %d accepted", batch.Index, batch.Size)
		}
	})
}
