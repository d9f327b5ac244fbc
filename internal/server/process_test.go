package server

import (
	"math"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// TestProcessCollectorMatchesClientGolang: the cheap process_* collector
// says what client_golang's (which reads /proc through procfs) says.
func TestProcessCollectorMatchesClientGolang(t *testing.T) {
	values := func(c prometheus.Collector) map[string]float64 {
		reg := prometheus.NewRegistry()
		reg.MustRegister(c)
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, mf := range mfs {
			m := mf.GetMetric()[0]
			switch {
			case m.GetGauge() != nil:
				out[mf.GetName()] = m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				out[mf.GetName()] = m.GetCounter().GetValue()
			}
		}
		return out
	}
	want := values(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	got := values(newProcessCollector())
	for name, tol := range map[string]float64{
		"process_start_time_seconds":       0.02,
		"process_max_fds":                  0,
		"process_virtual_memory_max_bytes": 0,
		"process_cpu_seconds_total":        0.2,
		"process_open_fds":                 3,
		"process_resident_memory_bytes":    8 << 20,
		"process_virtual_memory_bytes":     64 << 20,
	} {
		w, ok := want[name]
		if !ok {
			t.Errorf("client_golang has no %s", name)
			continue
		}
		g, ok := got[name]
		if !ok {
			t.Errorf("missing %s", name)
			continue
		}
		if math.Abs(g-w) > tol {
			t.Errorf("%s = %g, client_golang says %g (tolerance %g)", name, g, w, tol)
		}
	}
}
