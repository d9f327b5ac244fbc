package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeListsEveryFlag keeps the README's flags table complete: every
// flag that `ntphealth check --help` and `ntphealth run --help` print has a
// row that starts with it.
func TestReadmeListsEveryFlag(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]bool{}
	for _, line := range strings.Split(string(readme), "\n") {
		if m := regexp.MustCompile("^\\| `--([A-Za-z0-9.-]+)").FindStringSubmatch(line); m != nil {
			rows[m[1]] = true
		}
	}
	flagLine := regexp.MustCompile(`^  -([A-Za-z0-9.-]+)`)
	for name, help := range map[string]func(out *bytes.Buffer){
		"check": func(out *bytes.Buffer) { cmdCheck(context.Background(), []string{"--help"}, out, out) },
		"run":   func(out *bytes.Buffer) { cmdRun(context.Background(), []string{"--help"}, out, out) },
	} {
		var out bytes.Buffer
		help(&out)
		n := 0
		for _, line := range strings.Split(out.String(), "\n") {
			m := flagLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			n++
			if m[1] == "seamtest" { // source_seam_test.go's test-only source
				continue
			}
			if !rows[m[1]] {
				t.Errorf("ntphealth %s --%s is not in the README's flags table (a row starting with | `--%s)", name, m[1], m[1])
			}
		}
		if n == 0 {
			t.Errorf("ntphealth %s --help printed no flags:\n%s", name, out.String())
		}
	}
}
