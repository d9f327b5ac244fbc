package health

import (
	"testing"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// TestSourcesUnresolved: names chronyd has not resolved are not counted as
// sources, and the sources check names each of them once.
func TestSourcesUnresolved(t *testing.T) {
	d := healthy()
	d.Unresolved = []observe.Unresolved{
		{Name: "2.debian.pool.ntp.org", Directive: "pool", Placeholders: 8},
		{Name: "ntp.example", Directive: "server", Placeholders: 1},
	}
	c := checkSources(d, DefaultPolicy())
	want := "2 of 2 sources selectable; pool 2.debian.pool.ntp.org: name not resolved; server ntp.example: name not resolved"
	if c.Status != OK || c.Message != want || c.Value == nil || *c.Value != 2 {
		t.Errorf("sources check %v %q (value %v), want OK %q (value 2)", c.Status, c.Message, c.Value, want)
	}

	// Debian's default chrony.conf without DNS: nothing but the pool.
	d.Sources = nil
	d.Unresolved = d.Unresolved[:1]
	c = checkSources(d, DefaultPolicy())
	want = "0 of 0 sources selectable, fewer than the 1 required; pool 2.debian.pool.ntp.org: name not resolved"
	if c.Status != Warning || c.Message != want {
		t.Errorf("sources check %v %q, want WARNING %q", c.Status, c.Message, want)
	}
}
