// Command debpkg builds the ntphealth Debian package with nfpm, from the
// built binaries, the systemd units, the example config and the README.
// `make deb` runs it; see the Makefile at the repository root.
//
//	go run ./deploy/debpkg -binary dist/ntphealth -daemon dist/ntphealthd -version v1.2.3 -arch amd64 -out dist
//
// It prints the path of the .deb on stdout.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

func main() {
	path, err := run(context.Background(), os.Args[1:], os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "debpkg:", err)
		os.Exit(1)
	}
	fmt.Println(path)
}

// run parses the flags, builds the package and returns its path.
func run(ctx context.Context, args []string, stderr io.Writer) (string, error) {
	fs := flag.NewFlagSet("debpkg", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var src sources
	fs.StringVar(&src.Binary, "binary", "dist/ntphealth", "built ntphealth binary for -arch, installed as "+binPath)
	fs.StringVar(&src.Daemon, "daemon", "", "built ntphealthd for -arch, installed as "+daemonPath+`; "" when -binary is the complete program (a build without -tags lean)`)
	fs.StringVar(&src.Units, "units", "deploy/systemd", "directory of the systemd units")
	fs.StringVar(&src.Config, "config", "deploy/ntphealth.yaml", "example config, installed as the conffile "+configPath)
	fs.StringVar(&src.Readme, "readme", "README.md", "README installed in "+docDir)
	fs.StringVar(&src.Scripts, "scripts", "deploy/debian", "directory of the maintainer scripts postinst, prerm, postrm")
	fs.StringVar(&src.Examples, "examples", "deploy", "directory holding the Prometheus rules and the Grafana dashboard, installed under "+docDir+"/examples")
	version := fs.String("version", os.Getenv("NTPHEALTH_VERSION"), "version, as git describe prints it (default $NTPHEALTH_VERSION, else git describe)")
	arch := fs.String("arch", runtime.GOARCH, "GOARCH (arm7 for armhf) or Debian architecture")
	out := fs.String("out", "dist", "directory the .deb is written to")
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("unexpected arguments %q: every input is a flag, see -help", fs.Args())
	}
	if err := src.check(); err != nil {
		return "", fmt.Errorf("missing inputs (run from the repository root, or `make deb`):\n%w", err)
	}
	if *version == "" {
		v, err := gitDescribe(ctx, ".")
		if err != nil {
			return "", err
		}
		*version = v
	}
	v, err := debianVersion(*version)
	if err != nil {
		return "", err
	}
	return writeDeb(packageInfo(src, v, *arch, buildTime(ctx)), *out)
}

// buildTime is the time stamped on the packaged files: SOURCE_DATE_EPOCH
// (reproducible-builds.org) if set, else the last commit's time, else now.
func buildTime(ctx context.Context) time.Time {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(sec, 0).UTC()
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	b, err := exec.CommandContext(ctx, "git", "log", "-1", "--format=%ct").Output()
	if err == nil {
		if sec, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil {
			return time.Unix(sec, 0).UTC()
		}
	}
	return time.Now().UTC()
}
