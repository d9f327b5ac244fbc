package notify

import (
	"net/url"
	"strings"
	"testing"

	"github.com/ntphealth/ntphealth/internal/health"
)

// TestKumaRequestAsValues: the push URL Request builds by hand is the one
// url.Values.Encode made, for summaries with every kind of white space,
// escapes and non-ASCII, with and without a ping.
func TestKumaRequestAsValues(t *testing.T) {
	summaries := []string{
		"", "OK", "OK: all 12 checks pass", " leading", "trailing ", "two  spaces",
		"tab\there", "line\nbreak", "crlf\r\n", "nbsp\u00a0here", "nel\u0085here", "em\u2003space",
		"a&b=c?d#e%f+g/h", "µs and ±1 ≥ 2", "bad utf8 \xff\xfe end", strings.Repeat("long summary ", 40),
		"WARNING: offset: local clock 500.0 ms behind 192.0.2.1",
	}
	for _, ping := range []PingOptions{{}, {Field: "none"}, {Field: "max_error", Unit: "ms"}} {
		o := testOptions(&logBuf{})
		k, err := NewKuma("https://kuma.example/base/api/push/"+kumaToken+"?status=up&msg=OK&ping=", o, ping)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range summaries {
			for _, st := range []health.Status{health.OK, health.Critical} {
				r := report(st, 0.8e-6)
				r.Summary = s
				got, sent := k.Request(r)
				q := url.Values{}
				q.Set("status", sent)
				q.Set("msg", truncate(strings.Join(strings.Fields(s), " "), maxMsgBytes))
				if v, ok := KumaPing(r, k.ping); ok {
					q.Set("ping", v)
				}
				if want := k.url.String() + "?" + q.Encode(); got != want {
					t.Errorf("summary %q, ping %+v:\n got %s\nwant %s", s, ping, got, want)
				}
			}
		}
	}
}

// TestOneLine: oneLine is strings.Fields joined with spaces, and returns a
// summary that is one line already without a copy.
func TestOneLine(t *testing.T) {
	for _, s := range []string{"", " ", "a", "a b", "a  b", " a", "a ", "a\tb", "a\nb", "a\u00a0b", "a\u0085b",
		"a\u2003b", "a \u00a0b", "\xff \xfe", "a b c d", "\n", "a\r\n"} {
		if got, want := oneLine(s), strings.Join(strings.Fields(s), " "); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", s, got, want)
		}
	}
	s := "OK: all 12 checks pass"
	if n := testing.AllocsPerRun(100, func() { _ = oneLine(s) }); n != 0 {
		t.Errorf("oneLine of a line allocates %v times", n)
	}
}
