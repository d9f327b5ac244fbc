// Command testsummary reads the `go test -json` events of one or more runs
// (the --jsonfile that gotestsum writes) and prints, for scripts/test.sh:
//
//   - each skipped test by name, with its skip reason (what it logged);
//   - under CI (env CI set), each skip that is not on the allow-list
//     (scripts/ci-allowed-skips.txt), and then it exits 1: an integration
//     test that skips in CI is a test that did not run, so the run fails;
//   - a closing line "LABEL: N passed, N failed, N skipped".
//
// Every test and subtest counts once per run. A package that failed outside
// any test (a build error, a panic in TestMain, a timeout) counts as one
// failed test, and so does a test that started and never ended.
//
//	go run ./scripts/testsummary -label unit -allow scripts/ci-allowed-skips.txt unit.json
//
// It exits 1 when any test failed or a skip is not allowed, 2 on a bad
// input or allow-list.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// key names one test of one package.
type key struct{ pkg, test string }

// Result is what one or more runs came to.
type Result struct {
	Passed, Failed int
	Skipped        []Skip   // in the order the runs reported them
	Failures       []string // "pkg Test" or "pkg (package)"
}

// Skip is one skipped test and what it logged.
type Skip struct {
	Package, Test, Reason string
}

func (s Skip) String() string {
	if s.Reason == "" {
		return s.Package + " " + s.Test
	}
	return s.Package + " " + s.Test + ": " + s.Reason
}

// Summarize reads test2json events from r and adds them to res.
func (res *Result) Summarize(r io.Reader) error {
	output := map[key][]string{}
	ended := map[key]bool{}
	var started []key
	pkgFailedTests := map[string]int{}
	var failedPkgs []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] != '{' {
			continue // gotestsum and go may interleave plain text
		}
		var e event
		if err := json.Unmarshal(line, &e); err != nil {
			return fmt.Errorf("bad test2json line %q: %w", line, err)
		}
		k := key{e.Package, e.Test}
		if e.Test == "" {
			if e.Action == "fail" {
				failedPkgs = append(failedPkgs, e.Package)
			}
			continue
		}
		switch e.Action {
		case "run": // again for each -count
			if _, seen := ended[k]; !seen {
				started = append(started, k)
			}
			output[k] = nil
			ended[k] = false
		case "output":
			output[k] = append(output[k], e.Output)
		case "pass":
			ended[k] = true
			res.Passed++
		case "fail":
			ended[k] = true
			res.Failed++
			pkgFailedTests[e.Package]++
			res.Failures = append(res.Failures, e.Package+" "+e.Test)
		case "skip":
			ended[k] = true
			res.Skipped = append(res.Skipped, Skip{Package: e.Package, Test: e.Test, Reason: skipReason(output[k])})
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	for _, k := range started {
		if !ended[k] {
			res.Failed++
			pkgFailedTests[k.pkg]++
			res.Failures = append(res.Failures, k.pkg+" "+k.test+" (did not finish)")
		}
	}
	for _, p := range failedPkgs {
		if pkgFailedTests[p] == 0 {
			res.Failed++
			res.Failures = append(res.Failures, p+" (package: build, TestMain or timeout)")
		}
	}
	return nil
}

// skipReason is what a skipped test logged, less go test's own framing
// lines, on one line.
func skipReason(out []string) string {
	var parts []string
	for _, o := range out {
		for _, l := range strings.Split(o, "\n") {
			l = strings.TrimSpace(l)
			if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- SKIP") {
				continue
			}
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " ")
}

// Line is the closing line: "LABEL: N passed, N failed, N skipped".
func (res *Result) Line(label string) string {
	s := fmt.Sprintf("%d passed, %d failed, %d skipped", res.Passed, res.Failed, len(res.Skipped))
	if label != "" {
		s = label + ": " + s
	}
	return s
}

// AllowList is the set of tests that may skip under CI, each with why.
type AllowList struct {
	entries []allowEntry
}

type allowEntry struct {
	pkg, test, reason string
}

// ParseAllowList reads lines of "PACKAGE TEST  # reason". PACKAGE is a
// full import path (its first element has a dot), or a path relative to
// module (e.g. cmd/ntphealth). TEST is a
// test name; it also allows that test's subtests. Blank lines and lines that
// start with # are comments; an entry without a reason is an error.
func ParseAllowList(r io.Reader, module string) (*AllowList, error) {
	var al AllowList
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		body, reason, _ := strings.Cut(line, "#")
		reason = strings.TrimSpace(reason)
		f := strings.Fields(body)
		if len(f) != 2 {
			return nil, fmt.Errorf("line %d: want \"PACKAGE TEST  # reason\", have %q", n, line)
		}
		if reason == "" {
			return nil, fmt.Errorf("line %d: %s %s has no reason (# why it may skip under CI)", n, f[0], f[1])
		}
		pkg := strings.TrimPrefix(f[0], "./")
		if first, _, _ := strings.Cut(pkg, "/"); module != "" && !strings.Contains(first, ".") {
			pkg = module + "/" + pkg
		}
		al.entries = append(al.entries, allowEntry{pkg: pkg, test: f[1], reason: reason})
	}
	return &al, sc.Err()
}

// Allows reports whether s is on the list, and why.
func (al *AllowList) Allows(s Skip) (string, bool) {
	if al == nil {
		return "", false
	}
	for _, e := range al.entries {
		if e.pkg == s.Package && (s.Test == e.test || strings.HasPrefix(s.Test, e.test+"/")) {
			return e.reason, true
		}
	}
	return "", false
}

// modulePath is the module line of go.mod in the working directory, or "".
func modulePath() string {
	b, err := os.ReadFile("go.mod")
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if m, ok := strings.CutPrefix(strings.TrimSpace(l), "module "); ok {
			return strings.Trim(strings.TrimSpace(m), `"`)
		}
	}
	return ""
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv("CI") != ""))
}

func run(args []string, stdout, stderr io.Writer, ci bool) int {
	fs := flag.NewFlagSet("testsummary", flag.ContinueOnError)
	fs.SetOutput(stderr)
	label := fs.String("label", "", "word printed before the closing line (unit, race, fuzz, total)")
	allowFile := fs.String("allow", "", "allow-list of tests that may skip under CI")
	countsOnly := fs.Bool("counts-only", false, "print only the closing line (for a total over runs already listed)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var al *AllowList
	if *allowFile != "" {
		f, err := os.Open(*allowFile)
		if err != nil {
			fmt.Fprintln(stderr, "testsummary:", err)
			return 2
		}
		al, err = ParseAllowList(f, modulePath())
		f.Close()
		if err != nil {
			fmt.Fprintf(stderr, "testsummary: %s: %v\n", *allowFile, err)
			return 2
		}
	}
	var res Result
	for _, name := range fs.Args() {
		f, err := os.Open(name)
		if errors.Is(err, os.ErrNotExist) {
			// go test never started (e.g. gotestsum could not run it):
			// that run failed, and says so.
			res.Failed++
			res.Failures = append(res.Failures, name+" (no test output)")
			continue
		}
		if err != nil {
			fmt.Fprintln(stderr, "testsummary:", err)
			return 2
		}
		err = res.Summarize(f)
		f.Close()
		if err != nil {
			fmt.Fprintf(stderr, "testsummary: %s: %v\n", name, err)
			return 2
		}
	}
	prefix := ""
	if *label != "" {
		prefix = *label + ": "
	}
	code := 0
	if res.Failed > 0 {
		code = 1
	}
	if !*countsOnly {
		var denied []Skip
		for _, s := range res.Skipped {
			why, ok := al.Allows(s)
			switch {
			case ok:
				fmt.Fprintf(stdout, "%sSKIP %s [allowed under CI: %s]\n", prefix, s, why)
			case ci:
				fmt.Fprintf(stdout, "%sSKIP %s [NOT ALLOWED under CI]\n", prefix, s)
				denied = append(denied, s)
			default:
				fmt.Fprintf(stdout, "%sSKIP %s\n", prefix, s)
			}
		}
		failures := append([]string(nil), res.Failures...)
		sort.Strings(failures)
		for _, f := range failures {
			fmt.Fprintf(stdout, "%sFAIL %s\n", prefix, f)
		}
		if len(denied) > 0 {
			fmt.Fprintf(stdout, "%s%d test(s) skipped under CI and not on the allow-list %s: the run fails. Give the test what it needs, or add it there with the reason it may skip.\n",
				prefix, len(denied), *allowFile)
			code = 1
		}
	}
	fmt.Fprintln(stdout, res.Line(*label))
	return code
}
