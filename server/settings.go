package server

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"
)

// Every setting of serve and admin is a flag with a WARD_SERVER_* twin in the
// environment, and that twin may name a file instead: WARD_SERVER_DB_FILE holds
// what WARD_SERVER_DB would (the trailing newline trimmed), for the settings that
// carry a secret (the database's URL with its password, the SMTP URL with its
// credentials) and that an environment shows to whoever reads the process's
// (systemd's LoadCredential, Docker and Kubernetes secrets). Any setting may be
// given so: one rule, no list to keep.

// shutdownGrace is how long serve waits, once told to stop (SIGTERM), for the
// requests in flight; deploy/ward.service's TimeoutStopSec is longer.
const shutdownGrace = 20 * time.Second

// maxSettingFile bounds a setting's file: a URL, not a document.
const maxSettingFile = 64 << 10

// setting is the value of the environment variable name, or the content of the
// file that name_FILE names: one of them, never both. A file that cannot be read,
// or is empty, is an error of one sentence that names the variable and the file,
// never what it holds.
func setting(getenv func(string) string, name string) (string, error) {
	v, file := getenv(name), getenv(name+"_FILE")
	if file == "" {
		return v, nil
	}
	if v != "" {
		return "", fmt.Errorf("%s and %s_FILE are both set: give one of them", name, name)
	}
	f, err := os.Open(file)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("%s_FILE: %s cannot be read: %v", name, file, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSettingFile+1))
	switch {
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("%s_FILE: %s cannot be read: %v", name, file, err)
	case len(b) > maxSettingFile:
		return "", fmt.Errorf("%s_FILE: %s is larger than %d KiB: not a setting", name, file, maxSettingFile>>10)
	}
	v = strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", fmt.Errorf("%s_FILE: %s is empty", name, file)
	}
	return v, nil
}
