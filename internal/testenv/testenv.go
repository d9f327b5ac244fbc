// Package testenv holds the one rule for a test that needs something from
// the machine (a daemon, a tool, root): where it is missing, the test fails
// under CI (env CI set), so an integration test never skips silently there,
// and skips elsewhere. The message says what to install.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Missing ends t for want of what msg names: a failure under CI, a skip
// elsewhere.
func Missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Tool returns the path of the first of names found in PATH or /usr/sbin
// (daemons live there, often outside a test's PATH); without one it calls
// Missing, naming the Debian package to install.
func Tool(t testing.TB, debianPackage string, names ...string) string {
	t.Helper()
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
		if p := filepath.Join("/usr/sbin", name); isExecutable(p) {
			return p
		}
	}
	Missing(t, fmt.Sprintf("%s not found: install Debian's %s package (apt-get install -y %s)", names[0], debianPackage, debianPackage))
	return ""
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
