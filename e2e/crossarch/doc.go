// Package crossarch runs the release binaries of the Raspberry Pi's
// architectures (arm64, armv7 and armv6: GOARCH=arm with GOARM=7 and 6) on
// this machine under Debian's qemu-user-static, each on the oldest CPU of the
// Pis it is for, against a real chronyd and a local push receiver.
//
// The binaries are built as `make dist` builds them (make dist-binaries:
// release toolchain, static, -trimpath, version stamped). binfmt_misc is not
// needed: the tests call the emulator themselves. The package has no code of
// its own; its tests are in the _test.go files. The unit tests of the pure
// packages run under qemu too, from scripts/test.sh (go test -exec).
package crossarch
