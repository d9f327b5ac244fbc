package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
)

// Installed paths. Debian 12 keeps system units in /lib/systemd/system
// (usrmerge links it to /usr/lib/systemd/system).
const (
	binPath    = "/usr/bin/ntphealth"
	daemonPath = "/usr/libexec/ntphealth/ntphealthd"
	unitDir    = "/lib/systemd/system"
	configPath = "/etc/ntphealth/ntphealth.yaml"
	docDir     = "/usr/share/doc/ntphealth"
)

// units are the systemd unit files shipped, by name, from the units directory.
var units = []string{"ntphealth.service", "ntphealth-check.service", "ntphealth-check.timer"}

// examples are the fleet's files shipped under docDir/examples, by their
// path in the examples directory (the repository's deploy/): Prometheus'
// alerting rules with their unit tests (promtool test rules) and the
// Grafana dashboard, as README's "Fleet with Prometheus" uses them.
var examples = []string{"prometheus/ntphealth.rules.yml", "prometheus/tests/ntphealth.rules.test.yml", "grafana/ntphealth.json"}

// sources names the files a package is made of, on the build machine.
type sources struct {
	Binary string // built ntphealth binary for the target architecture
	// Daemon is the built ntphealthd, the complete program the lean
	// ntphealth (go build -tags lean) hands "run" to; "" when Binary is
	// the complete program itself (a plain go build).
	Daemon  string
	Units   string // directory holding the files named in units
	Config  string // example config, shipped as a conffile
	Readme  string // README.md
	Scripts string // directory holding postinst, prerm and postrm
	// Examples is the directory holding the files named in examples.
	Examples string
}

// check tells which source files are missing, all at once.
func (s sources) check() error {
	paths := []string{s.Binary, s.Config, s.Readme}
	if s.Daemon != "" {
		paths = append(paths, s.Daemon)
	}
	for _, u := range units {
		paths = append(paths, filepath.Join(s.Units, u))
	}
	for _, sc := range []string{"postinst", "prerm", "postrm"} {
		paths = append(paths, filepath.Join(s.Scripts, sc))
	}
	for _, e := range examples {
		paths = append(paths, filepath.Join(s.Examples, e))
	}
	var errs []error
	for _, p := range paths {
		if fi, err := os.Stat(p); err != nil {
			errs = append(errs, err)
		} else if fi.IsDir() {
			errs = append(errs, fmt.Errorf("%s is a directory, want a file", p))
		}
	}
	return errors.Join(errs...)
}

// packageInfo describes the ntphealth .deb: version is a Debian version
// (see debianVersion), arch a GOARCH or Debian architecture name, mtime the
// time stamped on every file (a fixed one makes the build reproducible).
func packageInfo(src sources, version, arch string, mtime time.Time) *nfpm.Info {
	contents := files.Contents{
		{Source: src.Binary, Destination: binPath, FileInfo: &files.ContentFileInfo{Mode: 0o755}},
		{Source: src.Config, Destination: configPath, Type: files.TypeConfig, FileInfo: &files.ContentFileInfo{Mode: 0o644}},
		{Source: src.Readme, Destination: docDir + "/README.md", FileInfo: &files.ContentFileInfo{Mode: 0o644}},
	}
	if src.Daemon != "" {
		contents = append(contents, &files.Content{Source: src.Daemon, Destination: daemonPath, FileInfo: &files.ContentFileInfo{Mode: 0o755}})
	}
	for _, u := range units {
		contents = append(contents, &files.Content{
			Source:      filepath.Join(src.Units, u),
			Destination: unitDir + "/" + u,
			FileInfo:    &files.ContentFileInfo{Mode: 0o644},
		})
	}
	for _, e := range examples {
		contents = append(contents, &files.Content{
			Source:      filepath.Join(src.Examples, e),
			Destination: docDir + "/examples/" + e,
			FileInfo:    &files.ContentFileInfo{Mode: 0o644},
		})
	}
	info := &nfpm.Info{
		Name:          "ntphealth",
		Arch:          arch,
		Platform:      "linux",
		Version:       version,
		VersionSchema: "none", // already a Debian version: keep nfpm's semver parser off it
		Section:       "net",
		Priority:      "optional",
		Maintainer:    "ntphealth maintainers <maintainers@ntphealth.invalid>",
		Homepage:      "https://github.com/ntphealth/ntphealth",
		Description: "NTP time-sync health checks for chrony and ntpd\n" +
			"ntphealth tells whether this machine's time is trustworthy: it reads\n" +
			"chronyd or ntpd, judges offset, sources, staleness and PPS, and reports\n" +
			"to Uptime Kuma push monitors, an HTTP /health endpoint, Prometheus\n" +
			"/metrics and Nagios exit codes. Nothing is enabled on install.",
		MTime: mtime,
		Overridables: nfpm.Overridables{
			Recommends: []string{"chrony | ntpsec | ntp"},
			Contents:   contents,
			Scripts: nfpm.Scripts{
				PostInstall: filepath.Join(src.Scripts, "postinst"),
				PreRemove:   filepath.Join(src.Scripts, "prerm"),
				PostRemove:  filepath.Join(src.Scripts, "postrm"),
			},
		},
	}
	return nfpm.WithDefaults(info)
}

// writeDeb writes the package into dir under Debian's conventional name
// (ntphealth_<version>_<arch>.deb) and returns its path. A half-written file
// is removed.
func writeDeb(info *nfpm.Info, dir string) (string, error) {
	if err := nfpm.PrepareForPackager(info, "deb"); err != nil {
		return "", fmt.Errorf("deb: prepare contents: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("deb: %w", err)
	}
	path := filepath.Join(dir, deb.Default.ConventionalFileName(info))
	f, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("deb: %w", err)
	}
	if err := deb.Default.Package(info, f); err != nil {
		f.Close()
		os.Remove(path)
		return "", fmt.Errorf("deb: package %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return "", fmt.Errorf("deb: write %s: %w", path, err)
	}
	return path, nil
}
