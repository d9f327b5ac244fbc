package deploy

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/testenv"
)

// TestDebInstall builds the .deb with deploy/debpkg, installs it on this
// machine with dpkg -i, runs the installed ntphealth, checks the conffile
// and the installed units, and purges the package again. It changes the
// machine, so it runs only as root and with NTPHEALTH_DEB_TEST=1 or CI set.
func TestDebInstall(t *testing.T) {
	if os.Getenv("NTPHEALTH_DEB_TEST") != "1" && os.Getenv("CI") == "" {
		t.Skip("installs a package on this machine: set NTPHEALTH_DEB_TEST=1 (as root) to run it")
	}
	if os.Geteuid() != 0 {
		testenv.Missing(t, "dpkg -i needs root: run the CI tests as root")
	}
	dpkg := testenv.Tool(t, "dpkg", "dpkg")
	dpkgQuery := testenv.Tool(t, "dpkg", "dpkg-query")
	for _, p := range []string{"../README.md", "ntphealth.yaml"} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("the package ships %s: %v", p, err)
		}
	}

	if out, _, err := command(t, time.Minute, ".", dpkgQuery, "-W", "-f=${Status}", "ntphealth"); err == nil && strings.Contains(out, "installed") {
		t.Logf("ntphealth is already installed (%s): the test upgrades it and purges it at the end", out)
	}

	// Build the binaries and the package the way `make deb` does.
	out := t.TempDir()
	stdout, stderr, err := command(t, 5*time.Minute, repoRoot, goTool(t), "run", "./deploy/debpkg",
		"-binary", leanBinary(t), "-daemon", ntphealthBinary(t), "-version", testVersion, "-arch", runtime.GOARCH, "-out", out)
	if err != nil {
		t.Fatalf("go run ./deploy/debpkg: %v\n%s", err, stderr)
	}
	deb := strings.TrimSpace(stdout)
	if want := "ntphealth_" + debianTestVersion + "_"; !strings.HasPrefix(filepath.Base(deb), want) {
		t.Fatalf("package %s, want a name starting %s", deb, want)
	}

	t.Cleanup(func() {
		o, e, err := runDpkg(t, dpkg, "--purge", "ntphealth")
		if err != nil {
			t.Errorf("dpkg --purge ntphealth: %v\n%s%s", err, o, e)
		}
		for _, p := range []string{"/usr/bin/ntphealth", "/usr/libexec/ntphealth/ntphealthd", "/etc/ntphealth/ntphealth.yaml", "/lib/systemd/system/ntphealth.service"} {
			if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("after dpkg --purge, %s is still there (%v)", p, err)
			}
		}
	})
	o, e, err := runDpkg(t, dpkg, "-i", deb)
	if err != nil {
		t.Fatalf("dpkg -i %s: %v\n%s%s", deb, err, o, e)
	}
	if !strings.Contains(o, "nothing was enabled or started") {
		t.Errorf("postinst did not say how to enable the units; dpkg -i printed:\n%s%s", o, e)
	}
	if !strings.Contains(o, "/etc/ntphealth/push-url") {
		t.Errorf("postinst did not say where the push URL goes; dpkg -i printed:\n%s%s", o, e)
	}

	t.Run("help", func(t *testing.T) {
		o, e, err := command(t, 30*time.Second, "/", "/usr/bin/ntphealth", "check", "--help")
		if err != nil || !strings.Contains(o, "config") {
			t.Errorf("/usr/bin/ntphealth check --help: err=%v, want the flags (with config) on stdout:\n%s%s", err, o, e)
		}
		for _, bin := range []string{"/usr/bin/ntphealth", "/usr/libexec/ntphealth/ntphealthd"} {
			o, _, err = command(t, 30*time.Second, "/", bin, "version")
			if err != nil || !strings.Contains(o, testVersion) {
				t.Errorf("%s version = %q (err=%v), want it to name %s", bin, o, err, testVersion)
			}
		}
		// The lean ntphealth finds ntphealthd in ../libexec/ntphealth/ and
		// hands run over: its help is the daemon's.
		o, e, err = command(t, 30*time.Second, "/", "/usr/bin/ntphealth", "run", "--help")
		if err != nil || !strings.Contains(o, "-listen") {
			t.Errorf("/usr/bin/ntphealth run --help: err=%v, want ntphealthd's flags (with --listen):\n%s%s", err, o, e)
		}
	})

	t.Run("dpkg database", func(t *testing.T) {
		o, _, err := command(t, time.Minute, "/", dpkgQuery, "-W", "-f=${Version}|${Status}|${Conffiles}", "ntphealth")
		if err != nil {
			t.Fatalf("dpkg-query: %v", err)
		}
		fields := strings.SplitN(o, "|", 3)
		if len(fields) != 3 {
			t.Fatalf("dpkg-query printed %q", o)
		}
		if fields[0] != debianTestVersion {
			t.Errorf("installed version %q, want %q", fields[0], debianTestVersion)
		}
		if fields[1] != "install ok installed" {
			t.Errorf("status %q, want \"install ok installed\"", fields[1])
		}
		if !strings.Contains(fields[2], "/etc/ntphealth/ntphealth.yaml ") {
			t.Errorf("conffiles %q, want /etc/ntphealth/ntphealth.yaml registered", fields[2])
		}

		o, _, err = command(t, time.Minute, "/", dpkgQuery, "-L", "ntphealth")
		if err != nil {
			t.Fatalf("dpkg-query -L: %v", err)
		}
		listed := strings.Fields(o)
		for _, p := range []string{
			"/usr/bin/ntphealth",
			"/usr/libexec/ntphealth/ntphealthd",
			"/lib/systemd/system/ntphealth.service",
			"/lib/systemd/system/ntphealth-check.service",
			"/lib/systemd/system/ntphealth-check.timer",
			"/etc/ntphealth/ntphealth.yaml",
			"/usr/share/doc/ntphealth/README.md",
		} {
			found := false
			for _, l := range listed {
				found = found || l == p
			}
			if !found {
				t.Errorf("package does not install %s; dpkg -L:\n%s", p, o)
			}
		}
	})

	// Now that /usr/bin/ntphealth exists, the installed units verify as shipped.
	t.Run("installed units verify", func(t *testing.T) {
		analyze := testenv.Tool(t, "systemd", "systemd-analyze")
		args := []string{"verify"}
		for _, u := range unitFiles {
			args = append(args, "/lib/systemd/system/"+u)
		}
		o, e, err := command(t, time.Minute, "/", analyze, args...)
		if err != nil || strings.TrimSpace(o+e) != "" {
			t.Errorf("systemd-analyze verify (installed units): err=%v\n%s%s", err, o, e)
		}
	})
}

// runDpkg runs dpkg with args, retrying for up to a minute while another
// dpkg or apt holds the lock; each attempt is bounded to two minutes.
func runDpkg(t *testing.T, dpkg string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		stdout, stderr, err = command(t, 2*time.Minute, "/", dpkg, append([]string{"--force-confnew"}, args...)...)
		var exit *exec.ExitError
		locked := errors.As(err, &exit) && strings.Contains(stderr, "lock")
		if !locked || time.Now().After(deadline) {
			return stdout, stderr, err
		}
		time.Sleep(2 * time.Second)
	}
}
