package chronytest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/observe"
	"github.com/ntphealth/ntphealth/internal/probe/chrony"
)

// pollEvery is how often WaitFor asks chronyd.
const pollEvery = 200 * time.Millisecond

// WaitFor asks chronyd over UDP with the real probe until cond holds and
// returns that observation. On timeout it fails the test, showing the last
// observation and chronyd's log.
func (c *Chronyd) WaitFor(t testing.TB, timeout time.Duration, cond func(*observe.Daemon) bool) *observe.Daemon {
	t.Helper()
	return WaitForAt(t, c.UDPAddr(), timeout, cond, c.Log)
}

// WaitForAt is WaitFor for any chronyd address (host:port or unix:///path);
// log, when not nil, supplies the daemon's log for the failure message.
func WaitForAt(t testing.TB, address string, timeout time.Duration, cond func(*observe.Daemon) bool, log func() string) *observe.Daemon {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last *observe.Daemon
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		last = chrony.Probe{Address: address, Timeout: time.Second}.Observe(ctx)
		cancel()
		if cond(last) {
			return last
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(pollEvery)
	}
	js, _ := json.MarshalIndent(last, "", "  ")
	msg := ""
	if log != nil {
		msg = "\nchronyd log:\n" + tail(log(), 30)
	}
	t.Fatalf("chronytest: condition not met within %s at %s; last observation:\n%s%s", timeout, address, js, msg)
	return nil
}
