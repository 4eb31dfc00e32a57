package cli

import (
	"runtime/debug"
	"testing"
)

// The version line names the module version (or devel) and the commit, and says
// when the tree it was built from had changes.
func TestVersionLine(t *testing.T) {
	rev := "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{nil, false, "ward devel (commit unknown)"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true, "ward devel (commit unknown)"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "false"}}}, true,
			"ward devel (commit " + rev + ")"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "true"}}}, true,
			"ward devel (commit " + rev + ", modified)"},
		{&debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: rev}}}, true, "ward v1.2.3 (commit " + rev + ")"},
	} {
		if got := versionLine(tc.bi, tc.ok); got != tc.want {
			t.Errorf("versionLine(%+v) = %q, want %q", tc.bi, got, tc.want)
		}
	}
}
