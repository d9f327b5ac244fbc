package ptp

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ntphealth/ntphealth/internal/source"
)

func TestText(t *testing.T) {
	soft := locked()
	soft.Timestamping = "software"
	for _, tc := range []struct {
		name string
		r    Reading
		want string
	}{
		{"slave", locked(), "ptp4l at /var/run/ptp4l: port eth0 SLAVE, gm aabbcc.fffe.ddeeff class 6, offset +12.0 ns, path delay 2.6 µs, steps removed 1\n"},
		{"software", soft, "ptp4l at /var/run/ptp4l: port eth0 SLAVE, gm aabbcc.fffe.ddeeff class 6, offset +12.0 ns, path delay 2.6 µs, steps removed 1 (software timestamping)\n"},
		{"grandmaster", grandmaster(), "ptp4l at /var/run/ptp4l: port eth0 MASTER, this host is the grandmaster (001122.fffe.334455) class 6\n"},
		{"error", Reading{Socket: DefaultSocket, Error: "no socket at /var/run/ptp4l: is ptp4l running?"}, ""},
	} {
		var b strings.Builder
		tc.r.Text(&b)
		if b.String() != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, b.String(), tc.want)
		}
	}
}

func TestJSON(t *testing.T) {
	r := locked()
	b, err := json.Marshal(&r)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"socket":"/var/run/ptp4l"`, `"port_state":"SLAVE"`, `"interface":"eth0"`, `"gm_present":true`,
		`"gm_identity":"aabbcc.fffe.ddeeff"`, `"gm_clock_class":6`, `"clock_class":255`, `"steps_removed":1`,
		`"offset_from_master_seconds":1.2e-8`, `"mean_path_delay_seconds":0.0000026`, `"previous_mean_path_delay_seconds":0.0000025`,
		`"gm_clock_accuracy_seconds":null`} {
		if !strings.Contains(string(b), w) {
			t.Errorf("JSON lacks %s:\n%s", w, b)
		}
	}
	if strings.Contains(string(b), "error") || strings.Contains(string(b), "Limits") {
		t.Errorf("JSON has an error or the limits:\n%s", b)
	}
	failed := Reading{Socket: DefaultSocket, Error: "no socket", PortState: "SLAVE"}
	if b, _ := json.Marshal(&failed); string(b) != `{"socket":"/var/run/ptp4l","error":"no socket"}` {
		t.Errorf("a failed reading: %s", b)
	}
}

// collector gathers one reading's metrics through a pedantic registry,
// which checks names, help and label consistency.
type collector struct{ r *Reading }

func (c collector) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(c, ch) }
func (c collector) Collect(ch chan<- prometheus.Metric) {
	c.r.Collect(func(m *source.Metric, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(m.Name, m.Help, m.Labels, nil), prometheus.GaugeValue, v, labels...)
	})
}

// gather returns "name{label=value,...} value" lines.
func gather(t *testing.T, r *Reading) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(collector{r})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			out[mf.GetName()+"{"+strings.Join(labels, ",")+"}"] = m.GetGauge().GetValue()
		}
	}
	return out
}

func TestMetrics(t *testing.T) {
	r := locked()
	got := gather(t, &r)
	for k, v := range map[string]float64{
		"ntphealth_ptp_info{clock_identity=001122.fffe.334455,delay_mechanism=E2E,gm_identity=aabbcc.fffe.ddeeff,interface=eth0,timestamping=hardware}": 1,
		"ntphealth_ptp_port_state{state=SLAVE}":      1,
		"ntphealth_ptp_port_state{state=LISTENING}":  0,
		"ntphealth_ptp_offset_from_master_seconds{}": 12e-9,
		"ntphealth_ptp_mean_path_delay_seconds{}":    2.6e-6,
		"ntphealth_ptp_gm_present{}":                 1,
		"ntphealth_ptp_gm_clock_class{}":             6,
		"ntphealth_ptp_clock_class{}":                255,
		"ntphealth_ptp_steps_removed{}":              1,
	} {
		if g, ok := got[k]; !ok || !near(g, v) {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	if n := len(got); n != 1+len(portStates)+6 {
		t.Errorf("%d series: %v", n, got)
	}

	r.PortState = "LISTENING" // the offset is stale: not exported
	if got := gather(t, &r); got["ntphealth_ptp_port_state{state=LISTENING}"] != 1 {
		t.Errorf("listening: %v", got)
	} else if _, ok := got["ntphealth_ptp_offset_from_master_seconds{}"]; ok {
		t.Error("a LISTENING port exports its stale offset")
	}
	if got := gather(t, &Reading{Error: "no socket"}); len(got) != 0 {
		t.Errorf("a failed reading exports %v", got)
	}
	if r.ProbeError() != "" || (&Reading{Error: "x"}).ProbeError() != "x" {
		t.Error("ProbeError")
	}
}
