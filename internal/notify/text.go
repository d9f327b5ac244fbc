package notify

import (
	"fmt"
	"strings"

	"github.com/ntphealth/ntphealth/internal/health"
)

// maxBodyBytes caps a report sent as a request body: Healthchecks.io keeps
// up to 100 kB of a ping's body (self-hosted default PING_BODY_LIMIT is
// 10 000 bytes, and longer bodies are cut, not refused).
const maxBodyBytes = 100_000

// ReportText renders r as plain text for a ping body: the summary, then one
// line per check ("WARNING stale_source: ..."), then the push time.
func ReportText(r health.Report) string {
	var b strings.Builder
	b.WriteString(oneLine(r.Summary))
	b.WriteByte('\n')
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "%-8s %s: %s\n", c.Status, c.Name, oneLine(c.Message))
	}
	if !r.Time.IsZero() {
		fmt.Fprintf(&b, "time: %s\n", r.Time.UTC().Format("2006-01-02T15:04:05Z"))
	}
	return truncate(b.String(), maxBodyBytes)
}
