package main

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// debVersionRe is what dpkg accepts as an upstream version without a Debian
// revision: it starts with a digit and holds only alphanumerics and . + ~
// (deb-version(7); a hyphen would start a revision, a colon an epoch).
var debVersionRe = regexp.MustCompile(`^[0-9][A-Za-z0-9.+~]*$`)

// describeRe splits `git describe --tags` output (a leading "v" removed): the
// release (at least major.minor), an optional pre-release, then "-N-gHASH"
// when the tree is N commits past the tag.
var describeRe = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)+)(?:-([0-9A-Za-z.]+?))??(?:-([0-9]+)-g([0-9a-f]+))?$`)

// hashRe is what `git describe --always` prints when no tag exists.
var hashRe = regexp.MustCompile(`^[0-9a-f]{4,40}$`)

// debianVersion turns a version as git describe prints it ("v1.2.3",
// "v1.2.3-rc1", "v1.2.3-4-gabc1234", "abc1234", each maybe with "-dirty")
// into a Debian package version that sorts the way releases do:
// a pre-release sorts before its release (1.2.3~rc1 < 1.2.3) and a commit
// past a tag after it (1.2.3 < 1.2.3+0.dirty < 1.2.3+4.gabc1234). A tree
// without any tag is 0.0.0+gHASH. See deb-version(7).
func debianVersion(describe string) (string, error) {
	s := strings.TrimSpace(describe)
	if s == "" {
		return "", fmt.Errorf("version is empty: pass -version or set NTPHEALTH_VERSION")
	}
	var local []string
	if rest, ok := strings.CutSuffix(s, "-dirty"); ok {
		s = rest
		local = append(local, "dirty")
	}
	s = strings.TrimPrefix(s, "v")

	var v string
	switch m := describeRe.FindStringSubmatch(s); {
	case m != nil:
		v = m[1]
		if m[2] != "" {
			v += "~" + m[2]
		}
		switch {
		case m[3] != "":
			local = append([]string{m[3], "g" + m[4]}, local...)
		case len(local) > 0:
			local = append([]string{"0"}, local...) // dirty at the tag: after it, before the next commit
		}
	case hashRe.MatchString(s):
		v = "0.0.0"
		local = append([]string{"g" + s}, local...)
	default:
		return "", fmt.Errorf("version %q: want a release such as 1.2.3, 1.2.3-rc1 or git describe output", describe)
	}
	if len(local) > 0 {
		v += "+" + strings.Join(local, ".")
	}
	if !debVersionRe.MatchString(v) {
		return "", fmt.Errorf("version %q gives %q, which dpkg would refuse (see deb-version(7))", describe, v)
	}
	return v, nil
}

// gitDescribe asks git for the version of the work tree in dir, the way the
// Makefile does; it gives up after 10 s.
func gitDescribe(ctx context.Context, dir string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "describe", "--tags", "--always", "--dirty")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git describe: %w (pass -version or set NTPHEALTH_VERSION outside a git work tree)", err)
	}
	return strings.TrimSpace(string(out)), nil
}
