package server

import (
	"bytes"
	"context"
	"flag"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/testenv"
)

// go test ./internal/server -run TestStatusPageInChromium -docs-screenshot
// rewrites docs/status-page.png, the README's picture of the status page.
var docsScreenshot = flag.Bool("docs-screenshot", false, "copy the status page screenshot to docs/status-page.png")

// chromium finds Debian's chromium; in CI its absence fails the test.
func chromium(t *testing.T) string {
	t.Helper()
	return testenv.Tool(t, "chromium", "chromium", "chromium-browser")
}

// artifactDir is $NTPHEALTH_ARTIFACTS, or a temporary directory.
func artifactDir(t *testing.T) string {
	if d := os.Getenv("NTPHEALTH_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// runChromium runs headless chromium with args and a private profile,
// bounded by a deadline, and returns its stdout.
func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v (deadline: %v)\n%s", strings.Join(args, " "), err, ctx.Err(), stderr.String())
	}
	return stdout.Bytes()
}

// TestStatusPageInChromium loads the status page of a running handler, over
// a month of history, in a real headless Chromium: the rendered DOM must
// show the status, the holdover check on top, the offset, frequency and
// per-source charts with their points and status marks, the percentile
// table and the Allan deviation; a screenshot of the 30-day view is kept
// as an artifact (and, with -docs-screenshot, as docs/status-page.png).
func TestStatusPageInChromium(t *testing.T) {
	bin := chromium(t)
	st := monthState(t, time.Now())
	latest, _ := st.Latest()
	srv := newLoopbackServer(t, New(st, Options{Version: "test", Refresh: 30 * time.Second}))

	dom := string(runChromium(t, bin, "--dump-dom", srv.URL+"/?window=30d"))
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`id="holdover"[^>]*>.*holdover 14 h to 10 ms`),
		regexp.MustCompile(`<path class="freq"[^>]* d="M[^"]{1000,}"`),
		regexp.MustCompile(`<path class="src" stroke="#[0-9a-f]{6}" data-points="[1-9][0-9]{2,}"`),
		regexp.MustCompile(`<path class="adev" stroke="#[0-9a-f]{6}" data-points="([4-9]|1[0-9])"`),
		regexp.MustCompile(`<line class="mark st-warning"`),
		regexp.MustCompile(`<td>30 d</td><td class="basis">[0-9]+ rounds, by minute</td>(<td>[0-9.]+ [nµm]s</td>){8}`),
		regexp.MustCompile(`<a href="\?window=30d" class="on">`),
	} {
		if !want.MatchString(dom) {
			t.Errorf("the rendered 30-day page does not match %s", want)
		}
	}
	if strings.Index(dom, `id="holdover"`) > strings.Index(dom, `id="chart"`) {
		t.Error("the holdover check is not above the charts")
	}
	if !strings.Contains(dom, `class="word">`+latest.Status.String()+"<") {
		t.Errorf("the rendered page does not show status %s:\n%.2000s", latest.Status, dom)
	}
	summary := strings.TrimPrefix(latest.Summary, latest.Status.String()+": ")
	if !strings.Contains(dom, summary) {
		t.Errorf("the rendered page does not show the summary %q", summary)
	}
	m := regexp.MustCompile(`<path class="offset"[^>]* d="([^"]*)"`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("no offset path in the rendered chart:\n%.3000s", dom)
	}
	if n := strings.Count(m[1], "M") + strings.Count(m[1], "L"); n <= 50 {
		t.Errorf("the offset path has %d points, want more than 50", n)
	}

	shot := filepath.Join(artifactDir(t), "status-page.png")
	runChromium(t, bin, "--screenshot="+shot, "--window-size=1200,2330", srv.URL+"/?window=30d")
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 10<<10 {
		t.Fatalf("screenshot %s is not a plausible PNG (%d bytes)", shot, len(png))
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
	if *docsScreenshot {
		docs := filepath.Join("..", "..", "docs", "status-page.png")
		if err := os.MkdirAll(filepath.Dir(docs), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(docs, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// newLoopbackServer serves h on 127.0.0.1 through NewServer's settings.
func newLoopbackServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Config = NewServer("", h)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}
