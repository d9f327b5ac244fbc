package config

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	_ "github.com/ntphealth/ntphealth/internal/source/all" // the example documents every source's section
)

// examplePath is the commented example config that the package installs.
const examplePath = "../../deploy/ntphealth.yaml"

// TestExampleIsDefault keeps deploy/ntphealth.yaml from drifting: it must
// parse, equal Default(), and show every key.
func TestExampleIsDefault(t *testing.T) {
	c, err := Load(examplePath)
	if err != nil {
		t.Fatalf("%s: %v", examplePath, err)
	}
	if len(c.Warnings) > 0 {
		t.Errorf("%s draws warnings: %v", examplePath, c.Warnings)
	}
	for _, d := range diff(bare(c), Default()) {
		t.Errorf("%s differs from Default() at %s (example != code): fix one of them", examplePath, d)
	}
	for _, key := range keyPaths(reflect.TypeFor[Config](), "") {
		if strings.HasPrefix(key, "push.") {
			continue // in the commented block, checked below
		}
		if _, ok := c.origins[key]; !ok {
			t.Errorf("%s does not show key %s with its default", examplePath, key)
		}
	}
}

// TestExamplePushBlock parses the commented-out push example: it must be
// valid, show every push key, and hold DefaultPush's values.
func TestExamplePushBlock(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	var block []string
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case line == "# push:":
			in = true
		case in && strings.HasPrefix(line, "#  "):
		default:
			in = false
		}
		if in {
			block = append(block, strings.TrimPrefix(line, "# "))
		}
	}
	if len(block) < 2 {
		t.Fatalf("%s: no commented \"# push:\" block found", examplePath)
	}
	c, err := Parse([]byte(strings.Join(block, "\n")), examplePath+" (commented push block)")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Push) != 1 {
		t.Fatalf("push block holds %d targets, want 1", len(c.Push))
	}
	want := DefaultPush()
	want.URL = c.Push[0].URL
	if d := diff(c.Push[0], want); len(d) > 0 {
		t.Errorf("the push block differs from DefaultPush(): %v", d)
	}
	for _, key := range keyPaths(reflect.TypeFor[Push](), "push[0]") {
		if _, ok := c.origins[key]; !ok {
			t.Errorf("the push block does not show key %s", key)
		}
	}
}

// keyPaths lists every key of t's YAML schema; a list of structs is
// written as path.key.
func keyPaths(t reflect.Type, path string) []string {
	var out []string
	names, index := yamlKeys(t)
	for _, n := range names {
		f := t.FieldByIndex(index[n]).Type
		key := join(path, n)
		out = append(out, key)
		switch {
		case f.Kind() == reflect.Struct && f != durationType:
			out = append(out, keyPaths(f, key)...)
		case f.Kind() == reflect.Slice && f.Elem().Kind() == reflect.Struct:
			out = append(out, keyPaths(f.Elem(), key)...)
		}
	}
	return out
}

func ExampleParse() {
	_, err := Parse([]byte("checks:\n  offset_warn: 5 parsecs\n"), "ntphealth.yaml")
	fmt.Println(err)
	// Output: ntphealth.yaml:2: checks.offset_warn: invalid duration "5 parsecs" (use Go duration syntax: 500us, 1ms, 2s)
}
