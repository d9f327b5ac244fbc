package health

import (
	"strings"
	"testing"

	"github.com/ntphealth/ntphealth/internal/observe"
)

func TestKernelChecks(t *testing.T) {
	chrony := &observe.Daemon{Kind: "chrony", Address: "127.0.0.1:323"}
	deadChrony := &observe.Daemon{Kind: "chrony", Error: "connection refused"}
	synced := observe.Kernel{StateName: "TIME_OK", MaxError: 0.004, EstError: 0.0001}
	unsync := observe.Kernel{StateName: "TIME_ERROR", Unsync: true, MaxError: 16, EstError: 16}
	with := func(k observe.Kernel, f func(*observe.Kernel)) *observe.Kernel { f(&k); return &k }
	tests := []struct {
		name      string
		k         *observe.Kernel
		daemon    *observe.Daemon
		policy    func(*KernelPolicy)
		sync      Status
		maxErr    Status
		wantInMsg string
	}{
		{name: "synced", k: &synced, sync: OK, maxErr: OK, wantInMsg: "synchronised (TIME_OK)"},
		{name: "unsync, no daemon", k: &unsync, sync: Critical, maxErr: OK, wantInMsg: "no NTP daemon answered"},
		{name: "unsync, daemon dead", k: &unsync, daemon: deadChrony, sync: Critical, maxErr: OK, wantInMsg: "no NTP daemon answered"},
		{name: "unsync, chronyd answers: a note by default", k: &unsync, daemon: chrony, sync: OK, maxErr: OK, wantInMsg: "although chronyd answers"},
		{name: "unsync, chronyd answers, policy WARNING", k: &unsync, daemon: chrony,
			policy: func(p *KernelPolicy) { p.UnsyncWithDaemon = Warning }, sync: Warning, maxErr: OK, wantInMsg: "rtcsync"},
		{name: "max error warn", k: with(synced, func(k *observe.Kernel) { k.MaxError = 0.2 }), sync: OK, maxErr: Warning},
		{name: "max error crit", k: with(synced, func(k *observe.Kernel) { k.MaxError = 1.5 }), sync: OK, maxErr: Critical},
		{name: "pps trouble noted", k: with(synced, func(k *observe.Kernel) { k.PPSSignal, k.PPSJitter = true, true }),
			sync: OK, maxErr: OK, wantInMsg: "PPS signal troubled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultKernelPolicy()
			if tc.policy != nil {
				tc.policy(&p)
			}
			cs := KernelChecks(tc.k, tc.daemon, p)
			if len(cs) != 2 || cs[0].Name != "kernel_sync" || cs[1].Name != "kernel_max_error" {
				t.Fatalf("checks %+v", cs)
			}
			if cs[0].Status != tc.sync || cs[1].Status != tc.maxErr {
				t.Errorf("kernel_sync %v (%s), kernel_max_error %v (%s); want %v, %v",
					cs[0].Status, cs[0].Message, cs[1].Status, cs[1].Message, tc.sync, tc.maxErr)
			}
			if !strings.Contains(cs[0].Message, tc.wantInMsg) {
				t.Errorf("message %q lacks %q", cs[0].Message, tc.wantInMsg)
			}
			if *cs[1].Value != tc.k.MaxError || cs[1].Unit != "s" || *cs[1].Crit != 1 {
				t.Errorf("max error measurement %+v", cs[1])
			}
		})
	}
}

func TestKernelChecksError(t *testing.T) {
	cs := KernelChecks(&observe.Kernel{Error: "kernel: adjtimex: operation not permitted"}, nil, DefaultKernelPolicy())
	if len(cs) != 1 || cs[0].Status != Unknown || !strings.Contains(cs[0].Message, "not permitted") {
		t.Fatalf("checks %+v", cs)
	}
	if KernelChecks(nil, nil, DefaultKernelPolicy()) != nil {
		t.Fatal("nil kernel gave checks")
	}
}
