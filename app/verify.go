package app

import (
	"encoding/json"
	"os"
	"path/filepath"
)

// ID is the window's application ID: Fyne keeps its preferences under it.
const ID = "io.github.wardauth.ward"

// BackupFolder is the folder of the window's automatic backups, as its preferences
// hold it under configDir (the user's configuration folder); "" when they are off.
// `ward backup verify` checks it by default.
func BackupFolder(configDir string) string {
	data, err := os.ReadFile(filepath.Join(configDir, "fyne", ID, "preferences.json"))
	if err != nil {
		return ""
	}
	var p map[string]any
	if json.Unmarshal(data, &p) != nil {
		return ""
	}
	dir, _ := p[prefBackupDir].(string)
	return dir
}
