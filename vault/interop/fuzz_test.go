package interop

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// One fuzzer per importer of issue 16, each seeded with the corpus's real files and
// reading as its format (detection is FuzzImport's). Formats whose password is cheap
// to try get it, so that the fuzzer reaches what lies behind it; those behind a
// costly key derivation are fuzzed behind it by their own fuzzer (the KeePass
// payload, FreeOTP 2's tokens). No input may panic or give an invalid account.

// fuzzFormat seeds f with files and fuzzes Import(data, format, password).
func fuzzFormat(f *testing.F, format, password string, files ...string) {
	for _, file := range files {
		path := filepath.Join(corpus, file)
		if strings.HasPrefix(file, "testdata/") {
			path = file
		}
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	pw := func() (string, error) {
		if password == "" {
			return "", ErrPasswordNeeded
		}
		return password, nil
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Import(data, format, pw)
		if err != nil {
			return
		}
		validAccounts(t, r)
	})
}

func validAccounts(t *testing.T, r Result) {
	t.Helper()
	for _, a := range r.Accounts {
		if err := a.Validate(); err != nil {
			t.Fatalf("an invalid account came out: %v", err)
		}
	}
}

func FuzzStratum(f *testing.F) { fuzzFormat(f, "stratum", "", "stratum_plain.json") }
func FuzzStratumEncrypted(f *testing.F) {
	fuzzFormat(f, "stratum-encrypted", "", "stratum_encrypted.bin") // Argon2id 64 MiB: no password
}
func FuzzStratumLegacy(f *testing.F) {
	fuzzFormat(f, "stratum-legacy", "", "stratum_encrypted_legacy.bin")
}
func FuzzStratumDB(f *testing.F) { fuzzFormat(f, "stratum-db", "", "stratum_internal.db") }
func FuzzMicrosoft(f *testing.F) {
	fuzzFormat(f, "microsoft-authenticator", "", "microsoft_authenticator.sqlite")
}
func FuzzGoogleDB(f *testing.F) {
	fuzzFormat(f, "google-authenticator", "", "google_authenticator.sqlite")
}
func FuzzBattleNet(f *testing.F) {
	fuzzFormat(f, "battle.net", "", "battle_net_authenticator.xml")
}
func FuzzDuo(f *testing.F)   { fuzzFormat(f, "duo", "", "duo.json") }
func FuzzSteam(f *testing.F) { fuzzFormat(f, "steam", "", "steam.json", "steam_old.json") }
func FuzzFreeOTPXML(f *testing.F) {
	fuzzFormat(f, "freeotp", "", "freeotp.xml", "freeotp_plus_internal.xml")
}
func FuzzLastPass(f *testing.F) {
	fuzzFormat(f, "lastpass", "", "lastpass_authenticator.json", "lastpass_authenticator_ios.json")
}
func FuzzRaivo(f *testing.F) {
	fuzzFormat(f, "raivo", "raivo secret", "raivo_otp.json", "testdata/raivo_zipcrypto.zip")
}
func FuzzTOTPAuthenticator(f *testing.F) {
	fuzzFormat(f, "totp-authenticator", "", "totp_authenticator_internal.xml")
}
func FuzzTOTPAuthenticatorBackup(f *testing.F) {
	fuzzFormat(f, "totp-authenticator-backup", "Testtest1", "totp_authenticator.bin") // one SHA-256
}
func FuzzAuthenticatorPlus(f *testing.F) {
	fuzzFormat(f, "authenticator-plus", "testtesttest", "authenticator_plus.zip") // ZipCrypto: cheap
}
func FuzzProtonPass(f *testing.F) {
	fuzzFormat(f, "proton-pass", "", "proton_pass.zip", "proton_pass_keepassxc.json")
}
func FuzzOnePassword(f *testing.F) { fuzzFormat(f, "1password", "", "onepassword.1pux") }
func FuzzBitwardenEncrypted(f *testing.F) {
	fuzzFormat(f, "bitwarden-encrypted", "", "bitwarden_encrypted_pbkdf2.json", "bitwarden_encrypted_argon2id.json")
}
func FuzzEnteEncrypted(f *testing.F) {
	fuzzFormat(f, "ente-encrypted", "", "ente_auth_encrypted.txt", "ente_auth_encrypted_fastkdf.txt")
}
func FuzzFreeOTP2(f *testing.F) {
	fuzzFormat(f, "freeotp2", "", "freeotp_v2_api23.xml", "freeotp_v2_api34.xml", "freeotp_v2_null_algo.xml")
}
func FuzzKeePass(f *testing.F) {
	fuzzFormat(f, "keepass", "", "keepassxc_totp.kdbx", "keepassxc_otp_recycle_bin.kdbx")
}

// FuzzFreeOTP2Tokens: what a backup holds once its master key is open (the key is
// derived once, from the real file and its password).
func FuzzFreeOTP2Tokens(f *testing.F) {
	data, err := os.ReadFile(filepath.Join(corpus, "freeotp_v2_api34.xml"))
	if err != nil {
		f.Fatal(err)
	}
	m, err := readJavaStringMap(data)
	if err != nil {
		f.Fatal(err)
	}
	master := freeOTP2TestMaster(f, m, "test")
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := readJavaStringMap(data)
		if err != nil {
			return
		}
		validAccounts(t, freeOTP2Tokens(m, master))
	})
}

func freeOTP2TestMaster(f *testing.F, m [][2]string, password string) []byte {
	var mk freeOTP2MasterKey
	for _, kv := range m {
		if kv[0] == "masterKey" {
			json.Unmarshal([]byte(kv[1]), &mk)
		}
	}
	kek, err := mk.kek()
	if err != nil {
		f.Fatal(err)
	}
	key, err := kek(password)
	if err != nil {
		f.Fatal(err)
	}
	master, err := mk.EncryptedKey.open(key)
	if err != nil {
		f.Fatal(err)
	}
	return master
}

// FuzzKeePassPayload: a database's decrypted payload (inner header and XML), seeded
// with the real files' own, decrypted once.
func FuzzKeePassPayload(f *testing.F) {
	for _, c := range [][2]string{{"keepassxc_totp.kdbx", "test"}, {"keepassxc_totp_sha512.kdbx", "test"}, {"keepassxc_otp_recycle_bin.kdbx", "kdbxrs"}} {
		data, err := os.ReadFile(filepath.Join(corpus, c[0]))
		if err != nil {
			f.Fatal(err)
		}
		plain, err := kdbxPayload(data, func() (string, error) { return c[1], nil })
		if err != nil {
			f.Fatal(err)
		}
		f.Add(plain)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := readKDBXInner(data)
		if err != nil {
			if !strings.Contains(err.Error(), " ") {
				t.Fatalf("an error that is no sentence: %v", err)
			}
			return
		}
		validAccounts(t, r)
	})
}

// FuzzJavaStringMap: the Java serialization reader alone.
func FuzzJavaStringMap(f *testing.F) {
	for _, file := range []string{"freeotp_v2_api23.xml", "freeotp_v2_api25.xml", "freeotp_v2_api34.xml"} {
		data, err := os.ReadFile(filepath.Join(corpus, file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := readJavaStringMap(data)
		if err == nil && len(m) > len(data)/6 {
			t.Fatalf("%d entries from %d bytes", len(m), len(data))
		}
	})
}
