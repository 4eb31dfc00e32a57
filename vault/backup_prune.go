package vault

import (
	"os"
	"path/filepath"
	"slices"
)

// pruneBackups removes all but the newest keep backups in dir (names sort by time).
func pruneBackups(dir string, keep int) error {
	if keep <= 0 {
		return nil
	}
	names, err := filepath.Glob(filepath.Join(dir, "ward-backup-*.ward"))
	if err != nil {
		return err
	}
	slices.Sort(names)
	for len(names) > keep {
		if err := os.Remove(names[0]); err != nil {
			return err
		}
		names = names[1:]
	}
	return nil
}
