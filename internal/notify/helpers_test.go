package notify

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/observe"
)

// logBuf is a goroutine-safe buffer for captured slog output.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testOptions are fast options for tests: 300 ms per attempt, 2 retries,
// 1 ms back-off, log captured in buf.
func testOptions(buf *logBuf) Options {
	return Options{
		Timeout: 300 * time.Millisecond,
		Retries: 2,
		Backoff: time.Millisecond,
		Logger:  slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

// report builds a report with the given status and an observed chronyd.
func report(s health.Status, offset float64) health.Report {
	return health.Report{
		Status:  s,
		Summary: s.String() + ": PPS* stratum 1, offset +0.8 µs & more #1",
		Time:    time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Checks:  []health.Check{{Name: "offset", Status: s, Message: "offset fine"}},
		Daemon: &observe.Daemon{Kind: "chrony", DurationSeconds: 0.0025,
			Tracking: observe.Tracking{SystemOffset: offset, RootDelay: 2e-6, RootDispersion: 1e-6}},
	}
}

// assertHidden fails when secret shows in the result, the target or the log.
func assertHidden(t *testing.T, secret string, res health.PushResult, target string, buf *logBuf) {
	t.Helper()
	for what, text := range map[string]string{"error": res.Error, "result target": res.Target, "Target()": target, "log": buf.String(), "sent": res.Sent} {
		if strings.Contains(text, secret) {
			t.Errorf("secret %q appears in %s: %s", secret, what, text)
		}
	}
}
