package main

import (
	"os"
	"os/exec"
	"testing"
)

// requireTool returns the path of a command-line tool. Without it the test
// skips, or fails under CI (env CI set) naming the Debian package to install.
func requireTool(t *testing.T, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s not found: install Debian's %s package (apt-get install -y %s)", name, debianPackage, debianPackage)
	}
	t.Skipf("%s not found: install Debian's %s package to run this test", name, debianPackage)
	return ""
}
