package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/observe"
	"github.com/ntphealth/ntphealth/internal/source"
)

// pluggedReading stands for a pluggable source's reading (source.Reading).
type pluggedReading struct{ err string }

var pluggedMetric = &source.Metric{Name: "ntphealth_plugged_value", Help: "Test-only."}

func (r pluggedReading) ProbeError() string       { return r.err }
func (r pluggedReading) Checks() []health.Check   { return nil }
func (r pluggedReading) Collect(emit source.Emit) { emit(pluggedMetric, 42) }

// TestMetricsOfPluggableSource: a pluggable source's reading adds its own
// series and its ntphealth_probe_up line to /metrics.
func TestMetricsOfPluggableSource(t *testing.T) {
	st := NewState(1)
	rep := health.Report{Status: health.OK, Readings: []observe.Reading{
		{Name: "plugged", Data: pluggedReading{}}, {Name: "broken", Data: pluggedReading{err: "no socket"}},
	}}
	st.Update(rep)
	rec := get(t, New(st, Options{}), http.MethodGet, "/metrics")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
	}
	body := rec.Body.String()
	for _, want := range []string{"ntphealth_plugged_value 42", `ntphealth_probe_up{probe="plugged"} 1`, `ntphealth_probe_up{probe="broken"} 0`} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
