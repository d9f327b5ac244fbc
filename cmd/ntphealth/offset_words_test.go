package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/probe/ntpclient/ntptest"
)

// TestOffsetDirectionInWords: against a server 500 ms ahead of this host
// and one 500 ms behind, every place a person reads says in words which
// clock is ahead (the JSON message, the summary and the text report), and
// the signed value keeps RFC 5905's sign (positive: local clock behind).
func TestOffsetDirectionInWords(t *testing.T) {
	ahead := ntptest.Start(t, ntptest.Reply{Stratum: 2, RefID: "192.0.2.1", ClockOffset: 500 * time.Millisecond})
	behind := ntptest.Start(t, ntptest.Reply{Stratum: 2, RefID: "192.0.2.1", ClockOffset: -500 * time.Millisecond})
	cases := []struct {
		addr      string
		words     string  // how the local clock stands to the server
		wantValue float64 // observe's signed offset, seconds
	}{
		{ahead.Addr(), "behind " + ahead.Addr(), +0.5},
		{behind.Addr(), "ahead of " + behind.Addr(), -0.5},
	}
	_, r, _ := runCheck(t, "--ntp", ahead.Addr(), "--ntp", behind.Addr())
	var stdout, stderr bytes.Buffer
	run(context.Background(), []string{"check", "--config", emptyConfig(t), "--format", "text", "--ntp", ahead.Addr(), "--ntp", behind.Addr()}, &stdout, &stderr)
	text := stdout.String()
	for i, c := range cases {
		tr := r.Targets[i]
		if tr.Remote == nil || math.Abs(tr.Remote.Offset-c.wantValue) > 0.02 {
			t.Errorf("%s: offset %+v, want %+.1f s ± 20 ms", c.addr, tr.Remote, c.wantValue)
		}
		var oc health.Check
		for _, ch := range tr.Checks {
			if ch.Name == "offset" {
				oc = ch
			}
		}
		if oc.Name == "" {
			t.Fatalf("%s: no offset check: %+v", c.addr, tr.Checks)
		}
		for where, msg := range map[string]string{"offset message": oc.Message, "summary": tr.Summary} {
			ms := magnitude(t, msg, "local clock ", c.words)
			if math.Abs(ms-500) > 20 {
				t.Errorf("%s %q: %.1f ms, want 500 ± 20 ms", where, msg, ms)
			}
			if strings.Contains(msg, "positive") || strings.Contains(msg, "+") {
				t.Errorf("%s %q still explains a sign instead of saying which clock is ahead", where, msg)
			}
		}
		if !strings.Contains(text, oc.Message) {
			t.Errorf("text report does not carry %q:\n%s", oc.Message, text)
		}
	}
}

// magnitude finds "<prefix><number> ms <words>" in msg and returns the number.
func magnitude(t *testing.T, msg, prefix, words string) float64 {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(prefix) + `([0-9.]+) ms ` + regexp.QuoteMeta(words))
	m := re.FindStringSubmatch(msg)
	if m == nil {
		t.Errorf("%q does not say %q", msg, fmt.Sprintf("%s<n> ms %s", prefix, words))
		return math.NaN()
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}
