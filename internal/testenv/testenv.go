// Package testenv is what tests ask of the machine. The one rule for a
// daemon, a tool or root that is missing: the test fails under CI (env CI
// set), so an integration test never skips silently there, and skips
// elsewhere; the message says what to install. And a free loopback port.
package testenv

import (
	"fmt"
	"net"
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

// FreeTCPAddr returns a loopback TCP address ("127.0.0.1:port") that nothing
// listened on a moment ago: for a server the test starts, or a target that
// refuses connections.
func FreeTCPAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
