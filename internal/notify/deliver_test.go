package notify

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/notify/notifytest"
)

// TestDeliverLogsAtDebugOnly: a push, delivered or failed, logs nothing at
// INFO or above. The caller reports each failed push once (the daemon's
// "push failed", check's stderr line); the README promises one line per
// status change and per failed push, none per delivered push. At DEBUG,
// every attempt and the outcome are traced.
func TestDeliverLogsAtDebugOnly(t *testing.T) {
	ok := httptest.NewServer(notifytest.KumaOK())
	defer ok.Close()
	refused := httptest.NewServer(notifytest.KumaNotFound())
	defer refused.Close()
	for _, tc := range []struct {
		name      string
		url       string
		debugLogs int // lines at DEBUG: one per failed attempt, one for the outcome
	}{
		{"delivered", ok.URL + "/api/push/" + kumaToken, 1},
		{"unknown token", refused.URL + "/api/push/" + kumaToken, 2},
	} {
		for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
			t.Run(tc.name+"/"+level.String(), func(t *testing.T) {
				buf := &logBuf{}
				o := testOptions(buf)
				o.Logger = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: level}))
				k, err := NewKuma(tc.url, o, PingOptions{})
				if err != nil {
					t.Fatal(err)
				}
				k.Notify(context.Background(), report(health.OK, 1e-6))
				want := 0
				if level == slog.LevelDebug {
					want = tc.debugLogs
				}
				if n := strings.Count(buf.String(), "\n"); n != want {
					t.Errorf("%d log lines at %s, want %d:\n%s", n, level, want, buf.String())
				}
			})
		}
	}
}
