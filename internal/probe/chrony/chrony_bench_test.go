package chrony_test

import (
	"context"
	"testing"

	"github.com/ntphealth/ntphealth/internal/chronytest"
	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/observe"
	"github.com/ntphealth/ntphealth/internal/probe/chrony"
)

// BenchmarkObserve is one round as ntphealth runs it: the probe against a
// real chronyd with GPS and PPS refclocks (tracking, sources, sourcestats),
// then health.Evaluate.
func BenchmarkObserve(b *testing.B) {
	c := chronytest.Start(b, chronytest.Options{Refclocks: true})
	c.WaitFor(b, selectTimeout, selected("PPS"))
	for _, tc := range []struct{ name, addr string }{{"udp", c.UDPAddr()}, {"unix", c.UnixAddr()}} {
		b.Run(tc.name, func(b *testing.B) {
			p := chrony.Probe{Address: tc.addr}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				d := p.Observe(ctx)
				if d.Error != "" {
					b.Fatal(d.Error)
				}
				r := health.Evaluate(observe.Observation{Daemon: d}, health.DefaultPolicy())
				if r.Status == health.Unknown {
					b.Fatal(r.Summary)
				}
			}
		})
	}
}
