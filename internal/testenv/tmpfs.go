package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TinyFS returns a directory on a tmpfs of size bytes, for a full-disk
// test: a fresh temporary directory with the tmpfs mounted on it, lazily
// unmounted when the test ends. (A tmpfs in a private mount namespace
// reached through /proc/PID/root does not do: SQLite resolves that link
// and writes beside the mount.) Needs root; without it, Missing.
func TinyFS(t testing.TB, size int64) string {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "a full-disk test mounts a small tmpfs: run as root")
	}
	dir := t.TempDir()
	if err := syscall.Mount("ntphealth-test", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		Missing(t, fmt.Sprintf("cannot mount a tmpfs on %s: %v", dir, err))
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount the test tmpfs %s: %v", dir, err)
		}
	})
	return dir
}

// Fill writes a file in dir until the file system has no room left, and
// returns its path: remove it to free the space again.
func Fill(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if strings.Contains(err.Error(), "no space") {
				break
			}
			t.Fatalf("fill %s: %v", dir, err)
		}
	}
	// Small writes may still find room in a partly used page: use it up.
	for {
		if _, err := f.Write(chunk[:1]); err != nil {
			break
		}
	}
	return path
}
