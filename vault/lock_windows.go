//go:build windows

package vault

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

const lockWait = 10 * time.Second

// lockFile takes an exclusive lock on path+".lock" with LockFileEx, waiting up to
// lockWait. The lock dies with the process.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking the vault: %w", err)
	}
	h := windows.Handle(f.Fd())
	deadline := time.Now().Add(lockWait)
	for {
		ol := new(windows.Overlapped)
		err = windows.LockFileEx(h, windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
		if err == nil {
			return func() {
				_ = windows.UnlockFileEx(h, 0, 1, 0, new(windows.Overlapped))
				f.Close()
			}, nil
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("the vault is busy: another Ward process has held it for %s", lockWait)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// syncDir is a no-op on Windows, where directories cannot be opened for fsync and
// MoveFileEx (os.Rename) is durable once it returns.
func syncDir(string) error { return nil }
