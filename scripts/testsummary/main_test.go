package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run1 is `go test -json` output (Go 1.26) of a package with a passing
// test, a test that skips with a reason, a parallel subtest that skips, and
// a failing test.
const run1 = `{"Action":"start","Package":"example.com/m/a"}
{"Action":"run","Package":"example.com/m/a","Test":"TestPass"}
{"Action":"output","Package":"example.com/m/a","Test":"TestPass","Output":"=== RUN   TestPass\n"}
{"Action":"output","Package":"example.com/m/a","Test":"TestPass","Output":"--- PASS: TestPass (0.00s)\n"}
{"Action":"pass","Package":"example.com/m/a","Test":"TestPass","Elapsed":0}
{"Action":"run","Package":"example.com/m/a","Test":"TestSkip"}
{"Action":"output","Package":"example.com/m/a","Test":"TestSkip","Output":"=== RUN   TestSkip\n"}
{"Action":"output","Package":"example.com/m/a","Test":"TestSkip","Output":"    a_test.go:12: chronyd not found: install Debian's chrony package\n"}
{"Action":"output","Package":"example.com/m/a","Test":"TestSkip","Output":"--- SKIP: TestSkip (0.00s)\n"}
{"Action":"skip","Package":"example.com/m/a","Test":"TestSkip","Elapsed":0}
{"Action":"run","Package":"example.com/m/a","Test":"TestParent"}
{"Action":"run","Package":"example.com/m/a","Test":"TestParent/sub"}
{"Action":"output","Package":"example.com/m/a","Test":"TestParent/sub","Output":"=== RUN   TestParent/sub\n"}
{"Action":"output","Package":"example.com/m/a","Test":"TestParent/sub","Output":"=== PAUSE TestParent/sub\n"}
{"Action":"output","Package":"example.com/m/a","Test":"TestParent/sub","Output":"=== CONT  TestParent/sub\n"}
{"Action":"output","Package":"example.com/m/a","Test":"TestParent/sub","Output":"    a_test.go:30: no IPv6 loopback\n"}
{"Action":"output","Package":"example.com/m/a","Test":"TestParent/sub","Output":"--- SKIP: TestParent/sub (0.00s)\n"}
{"Action":"skip","Package":"example.com/m/a","Test":"TestParent/sub","Elapsed":0}
{"Action":"pass","Package":"example.com/m/a","Test":"TestParent","Elapsed":0}
{"Action":"run","Package":"example.com/m/a","Test":"TestFail"}
{"Action":"output","Package":"example.com/m/a","Test":"TestFail","Output":"    a_test.go:40: offset 0.3, want 0.2 ± 0.02\n"}
{"Action":"fail","Package":"example.com/m/a","Test":"TestFail","Elapsed":0}
{"Action":"output","Package":"example.com/m/a","Output":"FAIL\n"}
{"Action":"fail","Package":"example.com/m/a","Elapsed":0.1}
{"Action":"start","Package":"example.com/m/empty"}
{"Action":"output","Package":"example.com/m/empty","Output":"?   \texample.com/m/empty\t[no test files]\n"}
{"Action":"skip","Package":"example.com/m/empty","Elapsed":0}
`

// run2: a package that did not build, and one whose test never ended (a
// panic in another goroutine, or the -timeout panic).
const run2 = `{"ImportPath":"example.com/m/b [example.com/m/b.test]","Action":"build-output","Output":"b_test.go:3:1: syntax error\n"}
{"ImportPath":"example.com/m/b [example.com/m/b.test]","Action":"build-fail"}
{"Action":"start","Package":"example.com/m/b"}
{"Action":"output","Package":"example.com/m/b","Output":"FAIL\texample.com/m/b [build failed]\n"}
{"Action":"fail","Package":"example.com/m/b","Elapsed":0,"FailedBuild":"example.com/m/b [example.com/m/b.test]"}
{"Action":"start","Package":"example.com/m/c"}
{"Action":"run","Package":"example.com/m/c","Test":"TestHang"}
{"Action":"output","Package":"example.com/m/c","Output":"panic: test timed out after 1s\n"}
{"Action":"fail","Package":"example.com/m/c","Elapsed":1}
`

func summarize(t *testing.T, runs ...string) Result {
	t.Helper()
	var res Result
	for _, r := range runs {
		if err := res.Summarize(strings.NewReader(r)); err != nil {
			t.Fatal(err)
		}
	}
	return res
}

func TestSummarizeCounts(t *testing.T) {
	res := summarize(t, run1)
	if got, want := res.Line("unit"), "unit: 2 passed, 1 failed, 2 skipped"; got != want {
		t.Errorf("line %q, want %q", got, want)
	}
	want := []Skip{
		{"example.com/m/a", "TestSkip", "a_test.go:12: chronyd not found: install Debian's chrony package"},
		{"example.com/m/a", "TestParent/sub", "a_test.go:30: no IPv6 loopback"},
	}
	if len(res.Skipped) != len(want) {
		t.Fatalf("skipped %+v, want %+v", res.Skipped, want)
	}
	for i := range want {
		if res.Skipped[i] != want[i] {
			t.Errorf("skip %d: %+v, want %+v", i, res.Skipped[i], want[i])
		}
	}
	// The package's own fail event is not a second failure.
	if len(res.Failures) != 1 || res.Failures[0] != "example.com/m/a TestFail" {
		t.Errorf("failures %q", res.Failures)
	}
}

func TestSummarizeFailuresOutsideTests(t *testing.T) {
	res := summarize(t, run2)
	if got, want := res.Line(""), "0 passed, 2 failed, 0 skipped"; got != want {
		t.Errorf("line %q, want %q (%q)", got, want, res.Failures)
	}
}

// TestSummarizeCount: -count=N runs a test N times; each run counts, and a
// skip reason is that run's alone.
func TestSummarizeCount(t *testing.T) {
	once := `{"Action":"run","Package":"p","Test":"TestS"}
{"Action":"output","Package":"p","Test":"TestS","Output":"    s_test.go:1: why\n"}
{"Action":"skip","Package":"p","Test":"TestS"}
`
	res := summarize(t, once+once+once)
	if len(res.Skipped) != 3 || res.Skipped[2].Reason != "s_test.go:1: why" || res.Failed != 0 {
		t.Errorf("%+v", res)
	}
}

func TestAllowList(t *testing.T) {
	const list = `# comment
cmd/ntphealth TestBench   # a benchmark of minutes, gated by an env var

example.com/other/p TestX # full import path
`
	al, err := ParseAllowList(strings.NewReader(list), "example.com/m")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		s    Skip
		want bool
	}{
		{Skip{Package: "example.com/m/cmd/ntphealth", Test: "TestBench"}, true},
		{Skip{Package: "example.com/m/cmd/ntphealth", Test: "TestBench/poll_0"}, true},
		{Skip{Package: "example.com/m/cmd/ntphealth", Test: "TestBenchmarks"}, false},
		{Skip{Package: "example.com/m/cmd/other", Test: "TestBench"}, false},
		{Skip{Package: "example.com/other/p", Test: "TestX"}, true},
	} {
		why, ok := al.Allows(tt.s)
		if ok != tt.want || ok && why == "" {
			t.Errorf("%v: allowed %v (%q), want %v", tt.s, ok, why, tt.want)
		}
	}
	for _, bad := range []string{"cmd/ntphealth TestBench\n", "cmd/ntphealth TestBench #\n", "TestBench # why\n"} {
		if _, err := ParseAllowList(strings.NewReader(bad), "example.com/m"); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}

// TestRunCIRule: under CI a skip that is not allowed fails the run and is
// named; without CI it is listed and the run passes.
func TestRunCIRule(t *testing.T) {
	dir := t.TempDir()
	events := filepath.Join(dir, "unit.json")
	pass := strings.ReplaceAll(run1, `{"Action":"fail","Package":"example.com/m/a","Test":"TestFail"`, `{"Action":"pass","Package":"example.com/m/a","Test":"TestFail"`)
	pass = strings.ReplaceAll(pass, `{"Action":"fail","Package":"example.com/m/a","Elapsed":0.1}`, `{"Action":"pass","Package":"example.com/m/a","Elapsed":0.1}`)
	if err := os.WriteFile(events, []byte(pass), 0o644); err != nil {
		t.Fatal(err)
	}
	allow := filepath.Join(dir, "allow.txt")
	if err := os.WriteFile(allow, []byte("example.com/m/a TestParent # IPv6 is optional here\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		ci   bool
		code int
		want []string
	}{
		{false, 0, []string{
			"unit: SKIP example.com/m/a TestSkip: a_test.go:12: chronyd not found",
			"unit: SKIP example.com/m/a TestParent/sub: a_test.go:30: no IPv6 loopback [allowed under CI: IPv6 is optional here]",
		}},
		{true, 1, []string{
			"unit: SKIP example.com/m/a TestSkip: a_test.go:12: chronyd not found: install Debian's chrony package [NOT ALLOWED under CI]",
			"[allowed under CI: IPv6 is optional here]",
			"1 test(s) skipped under CI and not on the allow-list",
		}},
	} {
		var out, errb bytes.Buffer
		code := run([]string{"-label", "unit", "-allow", allow, events}, &out, &errb, tt.ci)
		if code != tt.code {
			t.Errorf("CI %v: exit %d, want %d\n%s%s", tt.ci, code, tt.code, out.String(), errb.String())
		}
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("CI %v: output lacks %q:\n%s", tt.ci, w, out.String())
			}
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if last := lines[len(lines)-1]; last != "unit: 3 passed, 0 failed, 2 skipped" {
			t.Errorf("CI %v: closing line %q", tt.ci, last)
		}
	}
	// A run whose events file is missing (go test never ran) failed.
	var out bytes.Buffer
	if code := run([]string{"-label", "race", filepath.Join(dir, "absent.json")}, &out, &out, false); code != 1 || !strings.Contains(out.String(), "race: 0 passed, 1 failed, 0 skipped") {
		t.Errorf("missing file: exit %d\n%s", code, out.String())
	}
}
