package deploy

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/testenv"
)

// distTarget is one platform of `make dist`: its tarball's name, its .deb's
// Debian architecture (none for armv7), and what its binary must be.
type distTarget struct {
	arch    string // ntphealth-<version>-linux-<arch>.tar.gz
	debArch string // ntphealth_<version>_<debArch>.deb; "" if none
	machine elf.Machine
	class   elf.Class
	goarch  string
	goarm   string // GOARM of a GOARCH=arm build
}

var distTargets = []distTarget{
	{"amd64", "amd64", elf.EM_X86_64, elf.ELFCLASS64, "amd64", ""},
	{"arm64", "arm64", elf.EM_AARCH64, elf.ELFCLASS64, "arm64", ""},
	// The armhf .deb holds the GOARM=6 binary: it runs on every Raspberry
	// Pi (the Zero and 1 are ARMv6) and on Debian's armhf (ARMv7).
	{"armv6", "armhf", elf.EM_ARM, elf.ELFCLASS32, "arm", "6"},
	{"armv7", "", elf.EM_ARM, elf.ELFCLASS32, "arm", "7"},
}

// distBinaries are the programs a tarball holds at the top of its folder,
// with the build tags each must be built with (the Makefile's LEAN_TAGS and
// DAEMON_TAGS): ntphealth, the command, is the lean build, which hands "run"
// to ntphealthd, the complete program, beside it.
var distBinaries = map[string]string{"ntphealth": leanTags, "ntphealthd": daemonTags}

// distFiles are what the tarballs hold besides the binaries, by their path
// under the tarball's folder and their source in the repository.
var distFiles = map[string]string{
	"README.md":                                 "../README.md",
	"ntphealth.yaml":                            "ntphealth.yaml",
	"systemd/ntphealth.service":                 "systemd/ntphealth.service",
	"systemd/ntphealth-check.service":           "systemd/ntphealth-check.service",
	"systemd/ntphealth-check.timer":             "systemd/ntphealth-check.timer",
	"prometheus/ntphealth.rules.yml":            "prometheus/ntphealth.rules.yml",
	"prometheus/tests/ntphealth.rules.test.yml": "prometheus/tests/ntphealth.rules.test.yml",
	"grafana/ntphealth.json":                    "grafana/ntphealth.json",
}

var (
	distOnce sync.Once
	distDir  string
	distErr  error
)

// makeDist runs `make dist` into a temporary directory once per test
// process (so -count=N builds once), with the release toolchain the
// Makefile names, and returns the directory.
func makeDist(t *testing.T) string {
	t.Helper()
	makeTool := testenv.Tool(t, "make", "make")
	distOnce.Do(func() {
		distDir, distErr = os.MkdirTemp("", "ntphealth-dist-test-")
		if distErr != nil {
			return
		}
		start := time.Now()
		var stderr string
		_, stderr, distErr = commandEnv(t, 20*time.Minute, repoRoot, withoutTarget(), makeTool,
			"dist", "DIST="+distDir, "VERSION="+testVersion)
		if distErr != nil {
			distErr = fmt.Errorf("make dist: %w\n%s", distErr, stderr)
			return
		}
		t.Logf("make dist took %s", time.Since(start).Round(100*time.Millisecond))
	})
	if distErr != nil {
		t.Fatal(distErr)
	}
	return distDir
}

// withoutTarget is this environment less GOOS, GOARCH and GOARM, which
// would change what the Makefile builds its tools for.
func withoutTarget() []string {
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "GOOS" && k != "GOARCH" && k != "GOARM" {
			env = append(env, kv)
		}
	}
	return env
}

// commandEnv is command with the environment env.
func commandEnv(t *testing.T, timeout time.Duration, dir string, env []string, name string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.WaitDelay = 5 * time.Second
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%s %s: gave up after %s: %w", name, strings.Join(args, " "), timeout, ctx.Err())
	}
	return o.String(), e.String(), err
}

// TestDist runs `make dist` as a release does and checks what it wrote
// against the contract of issue 10: a tarball per platform (amd64, arm64,
// armv6, armv7) holding the binary, the units, the example config and the
// README under one folder; a .deb for amd64, arm64 and armhf; SHA256SUMS
// over all of them; nothing else. Each binary is checked for its machine,
// GOARM, static linking and version. A cold build takes minutes (four cross
// builds with the release toolchain), so the test runs only under CI or
// with NTPHEALTH_DIST_TEST=1, and once per process whatever -count says.
func TestDist(t *testing.T) {
	if os.Getenv("NTPHEALTH_DIST_TEST") != "1" && os.Getenv("CI") == "" {
		t.Skip("runs make dist, minutes from a cold build cache: set NTPHEALTH_DIST_TEST=1 to run it")
	}
	dir := makeDist(t)
	version := strings.TrimPrefix(testVersion, "v")

	var want []string
	for _, d := range distTargets {
		want = append(want, "ntphealth-"+version+"-linux-"+d.arch+".tar.gz")
		if d.debArch != "" {
			want = append(want, "ntphealth_"+debianTestVersion+"_"+d.debArch+".deb")
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if wantAll := append(slices.Clone(want), "SHA256SUMS"); !sameSet(got, wantAll) {
		t.Errorf("make dist wrote %q, want exactly %q", got, wantAll)
	}

	t.Run("SHA256SUMS", func(t *testing.T) {
		sums := readSums(t, filepath.Join(dir, "SHA256SUMS"))
		if names := mapKeys(sums); !sameSet(names, want) {
			t.Errorf("SHA256SUMS lists %q, want %q", names, want)
		}
		for name, sum := range sums {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Error(err)
				continue
			}
			if h := sha256.Sum256(b); hex.EncodeToString(h[:]) != sum {
				t.Errorf("%s: SHA256SUMS says %s, the file's is %x", name, sum, h)
			}
		}
	})

	for _, d := range distTargets {
		t.Run("tarball "+d.arch, func(t *testing.T) {
			folder := "ntphealth-" + version + "-linux-" + d.arch
			files := readTarball(t, filepath.Join(dir, folder+".tar.gz"), folder)
			for name, tags := range distBinaries {
				bin, ok := files[name]
				if !ok {
					t.Fatalf("no %s/%s in the tarball; it holds %q", folder, name, mapKeys(files))
				}
				if bin.mode != 0o755 {
					t.Errorf("%s has mode %o, want 755", name, bin.mode)
				}
				checkBinary(t, d, bin.data, tags)
			}
			for name, src := range distFiles {
				f, ok := files[name]
				if !ok {
					t.Errorf("no %s/%s in the tarball", folder, name)
					continue
				}
				if want, err := os.ReadFile(src); err != nil || !bytes.Equal(f.data, want) {
					t.Errorf("%s/%s differs from %s (%v)", folder, name, src, err)
				}
				if f.mode != 0o644 {
					t.Errorf("%s has mode %o, want 644", name, f.mode)
				}
			}
			if extra := len(files) - len(distBinaries) - len(distFiles); extra != 0 {
				t.Errorf("the tarball holds %q, %d file(s) more than the binaries and %d others", mapKeys(files), extra, len(distFiles))
			}
		})
		if d.debArch == "" {
			continue
		}
		t.Run("deb "+d.debArch, func(t *testing.T) {
			dpkgDeb := testenv.Tool(t, "dpkg", "dpkg-deb")
			deb := filepath.Join(dir, "ntphealth_"+debianTestVersion+"_"+d.debArch+".deb")
			out, stderr, err := command(t, time.Minute, ".", dpkgDeb, "--field", deb, "Package", "Version", "Architecture")
			if err != nil {
				t.Fatalf("dpkg-deb --field: %v\n%s", err, stderr)
			}
			if want := "Package: ntphealth\nVersion: " + debianTestVersion + "\nArchitecture: " + d.debArch + "\n"; out != want {
				t.Errorf("control fields:\n%s\nwant:\n%s", out, want)
			}
			cmd := exec.Command(dpkgDeb, "--fsys-tarfile", deb)
			tarball, err := cmd.Output()
			if err != nil {
				t.Fatalf("dpkg-deb --fsys-tarfile: %v", err)
			}
			files := readTar(t, bytes.NewReader(tarball), "")
			for path, name := range map[string]string{"/usr/bin/ntphealth": "ntphealth", "/usr/libexec/ntphealth/ntphealthd": "ntphealthd"} {
				bin, ok := files["."+path]
				if !ok {
					t.Fatalf("no %s in the package; it holds %q", path, mapKeys(files))
				}
				checkBinary(t, d, bin.data, distBinaries[name])
			}
		})
	}
}

// checkBinary checks a built ntphealth or ntphealthd: an ELF executable for
// d's machine, statically linked (no interpreter: it needs no libc on the
// Pi), built for d's GOARCH and GOARM with cgo off and the build tags tags,
// and stamped with testVersion.
func checkBinary(t *testing.T, d distTarget, data []byte, tags string) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("binary is not ELF: %v", err)
	}
	defer f.Close()
	if f.Machine != d.machine || f.Class != d.class || f.Type != elf.ET_EXEC {
		t.Errorf("binary is %v %v %v, want %v %v %v", f.Machine, f.Class, f.Type, d.machine, d.class, elf.ET_EXEC)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("binary has a %v segment: it is not static", p.Type)
		}
	}
	info, err := buildinfo.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("build info: %v", err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	want := map[string]string{"GOOS": "linux", "GOARCH": d.goarch, "GOARM": d.goarm, "CGO_ENABLED": "0", "-trimpath": "true", "-tags": tags}
	for k, v := range want {
		if settings[k] != v {
			t.Errorf("built with %s=%q, want %q (go version -m: %v)", k, settings[k], v, info.Settings)
		}
	}
	if !bytes.Contains(data, []byte(testVersion)) {
		t.Errorf("binary does not carry its version %s (-X main.version)", testVersion)
	}
}

// tarFile is one regular file of a tarball.
type tarFile struct {
	mode int64
	data []byte
}

// readTarball reads a .tar.gz whose entries must all be folder or lie
// under it, owned by root; it returns its regular files by their path
// below folder.
func readTarball(t *testing.T, path, folder string) map[string]tarFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return readTar(t, zr, folder)
}

// readTar reads a tar stream; with folder set, every entry must be that
// folder or under it, and the paths returned are relative to it.
func readTar(t *testing.T, r io.Reader, folder string) map[string]tarFile {
	t.Helper()
	files := map[string]tarFile{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("tar: %v", err)
		}
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s is owned by %d:%d, want root (0:0)", h.Name, h.Uid, h.Gid)
		}
		name := h.Name
		if folder != "" {
			rest, ok := strings.CutPrefix(strings.TrimSuffix(name, "/"), folder)
			if !ok || (rest != "" && !strings.HasPrefix(rest, "/")) {
				t.Errorf("tarball entry %q is not under %s/", h.Name, folder)
				continue
			}
			name = strings.TrimPrefix(rest, "/")
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("tar %s: %v", h.Name, err)
		}
		files[name] = tarFile{mode: h.Mode & 0o7777, data: b}
	}
	return files
}

// readSums reads a sha256sum(1) file: "<64 hex digits>  <name>" a line.
func readSums(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if _, err := hex.DecodeString(sum); !ok || err != nil || len(sum) != 64 || name == "" || strings.Contains(name, "/") {
			t.Errorf("SHA256SUMS line %q is not \"<sha256>  <file name>\"", sc.Text())
			continue
		}
		if _, dup := sums[name]; dup {
			t.Errorf("SHA256SUMS lists %s twice", name)
		}
		sums[name] = sum
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return sums
}

func mapKeys[V any](m map[string]V) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
