package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/testenv"
)

// fixture writes stand-ins for the inputs other parts of the repository
// provide (binaries, config, README) and returns sources that use the real
// units and maintainer scripts of deploy/.
func fixture(t *testing.T) sources {
	t.Helper()
	dir := t.TempDir()
	write := func(name, text string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return sources{
		Binary:   write("ntphealth", "#!/bin/sh\necho stand-in\n", 0o755),
		Daemon:   write("ntphealthd", "#!/bin/sh\necho stand-in daemon\n", 0o755),
		Config:   write("ntphealth.yaml", "# stand-in config\n", 0o644),
		Readme:   write("README.md", "# stand-in\n", 0o644),
		Units:    filepath.Join("..", "systemd"),
		Scripts:  filepath.Join("..", "debian"),
		Examples: "..",
	}
}

func buildFixture(t *testing.T, src sources, extra ...string) string {
	t.Helper()
	args := []string{
		"-binary", src.Binary, "-daemon", src.Daemon, "-config", src.Config, "-readme", src.Readme,
		"-units", src.Units, "-scripts", src.Scripts, "-examples", src.Examples,
		"-version", "v1.2.3-4-gabc1234", "-arch", "amd64", "-out", t.TempDir(),
	}
	path, err := run(context.Background(), append(args, extra...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func dpkgDeb(t *testing.T, args ...string) string {
	t.Helper()
	tool := testenv.Tool(t, "dpkg", "dpkg-deb")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, tool, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("dpkg-deb %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestPackage builds a .deb from stand-in inputs and reads it back with
// dpkg-deb: name, control fields, file list with modes, conffiles and
// maintainer scripts.
func TestPackage(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	deb := buildFixture(t, fixture(t))
	if got, want := filepath.Base(deb), "ntphealth_1.2.3+4.gabc1234_amd64.deb"; got != want {
		t.Errorf("file name %s, want %s", got, want)
	}

	fields := dpkgDeb(t, "-f", deb, "Package", "Version", "Architecture", "Section", "Priority", "Recommends")
	for _, want := range []string{
		"Package: ntphealth", "Version: 1.2.3+4.gabc1234", "Architecture: amd64",
		"Section: net", "Priority: optional", "Recommends: chrony | ntpsec | ntp",
	} {
		if !strings.Contains(fields, want+"\n") {
			t.Errorf("control lacks %q:\n%s", want, fields)
		}
	}

	list := dpkgDeb(t, "-c", deb)
	for _, want := range []struct{ mode, path string }{
		{"-rwxr-xr-x", "./usr/bin/ntphealth"},
		{"-rwxr-xr-x", "./usr/libexec/ntphealth/ntphealthd"},
		{"-rw-r--r--", "./lib/systemd/system/ntphealth.service"},
		{"-rw-r--r--", "./lib/systemd/system/ntphealth-check.service"},
		{"-rw-r--r--", "./lib/systemd/system/ntphealth-check.timer"},
		{"-rw-r--r--", "./etc/ntphealth/ntphealth.yaml"},
		{"-rw-r--r--", "./usr/share/doc/ntphealth/README.md"},
		{"-rw-r--r--", "./usr/share/doc/ntphealth/examples/prometheus/ntphealth.rules.yml"},
		{"-rw-r--r--", "./usr/share/doc/ntphealth/examples/prometheus/tests/ntphealth.rules.test.yml"},
		{"-rw-r--r--", "./usr/share/doc/ntphealth/examples/grafana/ntphealth.json"},
	} {
		found := false
		for line := range strings.Lines(list) {
			f := strings.Fields(line)
			if len(f) >= 6 && f[len(f)-1] == want.path {
				found = true
				if f[0] != want.mode || f[1] != "root/root" {
					t.Errorf("%s: %s %s, want %s root/root", want.path, f[0], f[1], want.mode)
				}
				if !strings.HasPrefix(f[3], "2023-11-14") {
					t.Errorf("%s: dated %s, want SOURCE_DATE_EPOCH's 2023-11-14", want.path, f[3])
				}
			}
		}
		if !found {
			t.Errorf("package lacks %s:\n%s", want.path, list)
		}
	}

	// The push URL is the administrator's secret: the package ships no
	// /etc/ntphealth/push-url (the units start without it), and postinst
	// says how to create it, root-only.
	for line := range strings.Lines(list) {
		if strings.Contains(line, "push-url") {
			t.Errorf("package ships %s", strings.TrimSpace(line))
		}
	}

	control := t.TempDir()
	dpkgDeb(t, "-e", deb, control)
	postinst, err := os.ReadFile(filepath.Join(control, "postinst"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(postinst), "install -m 600 /dev/null /etc/ntphealth/push-url") {
		t.Errorf("postinst does not say how to create /etc/ntphealth/push-url (mode 600):\n%s", postinst)
	}
	conffiles, err := os.ReadFile(filepath.Join(control, "conffiles"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(conffiles)) != "/etc/ntphealth/ntphealth.yaml" {
		t.Errorf("conffiles = %q, want only /etc/ntphealth/ntphealth.yaml", conffiles)
	}
	for _, name := range []string{"postinst", "prerm", "postrm"} {
		fi, err := os.Stat(filepath.Join(control, name))
		if err != nil {
			t.Errorf("maintainer script: %v", err)
			continue
		}
		if fi.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s is not executable: %v", name, fi.Mode())
		}
	}
}

// TestPackageReproducible: the same inputs and SOURCE_DATE_EPOCH give the
// same bytes, so a rebuilt package can be checked against a released one.
func TestPackageReproducible(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	src := fixture(t)
	a, err := os.ReadFile(buildFixture(t, src))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(buildFixture(t, src))
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Errorf("two builds differ (%d and %d bytes)", len(a), len(b))
	}
}

// TestMissingInputs: every missing input is named at once, before anything
// is written.
func TestMissingInputs(t *testing.T) {
	src := fixture(t)
	src.Config = filepath.Join(t.TempDir(), "absent.yaml")
	src.Readme = filepath.Join(t.TempDir(), "absent.md")
	out := t.TempDir()
	_, err := run(context.Background(), []string{
		"-binary", src.Binary, "-config", src.Config, "-readme", src.Readme,
		"-units", src.Units, "-scripts", src.Scripts, "-version", "1.0.0", "-out", out,
	}, io.Discard)
	if err == nil {
		t.Fatal("no error for missing inputs")
	}
	for _, want := range []string{"absent.yaml", "absent.md"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("wrote %d files despite the error", len(entries))
	}
}

// TestArch maps Go architecture names to Debian's in the file name.
func TestArch(t *testing.T) {
	src := fixture(t)
	for goarch, debarch := range map[string]string{"amd64": "amd64", "arm64": "arm64", "arm7": "armhf", "386": "i386", "riscv64": "riscv64"} {
		deb := buildFixture(t, src, "-arch", goarch)
		if !strings.HasSuffix(deb, "_"+debarch+".deb") {
			t.Errorf("-arch %s gave %s, want _%s.deb", goarch, filepath.Base(deb), debarch)
		}
	}
}
