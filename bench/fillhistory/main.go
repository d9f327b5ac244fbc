// Command fillhistory writes days of made-up history into a state
// directory, ending now, so that bench/daemon.sh can start a daemon that
// already holds its chart history (HISTORY_DAYS): one round a minute up to
// the last 48 h (the same minute rows a full minute of rounds makes, much
// faster to write), then one every interval; a PPS-disciplined clock
// (offsets of some 100 ns, a daily wander) with GPS, PPS and one NTP
// server.
//
//	fillhistory -dir STATE -days 30 -interval 1s
package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/history"
	"github.com/ntphealth/ntphealth/internal/observe"
)

func main() {
	dir := flag.String("dir", "", "state `DIR` (history.db is written there)")
	days := flag.Int("days", 30, "days of history, at most 90")
	interval := flag.Duration("interval", time.Second, "the daemon's `INTERVAL`, for the last 48 h")
	flag.Parse()
	if *dir == "" || *days < 2 || *days > 90 || *interval < time.Second {
		fmt.Fprintln(os.Stderr, "usage: fillhistory -dir STATE -days 2..90 -interval >=1s")
		os.Exit(2)
	}
	st := history.Open(*dir, history.Options{})
	end := time.Now().Add(-*interval)
	rng := rand.New(rand.NewPCG(1, 2))
	rounds := 0
	for t := end.Add(-time.Duration(*days) * 24 * time.Hour); !t.After(end); rounds++ {
		st.Record(report(t, rng))
		if end.Sub(t) > history.RoundsKept {
			t = t.Add(time.Minute)
		} else {
			t = t.Add(*interval)
		}
	}
	if err := st.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "fillhistory:", err)
		os.Exit(1)
	}
	fmt.Printf("%d rounds written to %s\n", rounds, *dir)
}

// report is one round of a healthy PPS-disciplined server at t.
func report(t time.Time, rng *rand.Rand) health.Report {
	day := 2 * math.Pi * float64(t.Unix()%86400) / 86400
	tr := observe.Tracking{RefID: "50505300", RefName: "PPS", Stratum: 1,
		SystemOffset: 1.5e-7*rng.NormFloat64() + 2e-7*math.Sin(day),
		Frequency:    -12.3 + 0.08*math.Sin(day), Skew: 0.02 + 0.01*rng.Float64(),
		RootDelay: 1e-9, RootDispersion: 1.5e-6 + 1e-6*rng.Float64()}
	return health.Report{Time: t, Status: health.OK, Daemon: &observe.Daemon{Kind: "chrony", Tracking: tr, Sources: []observe.Source{
		{Name: "PPS", Mode: observe.ModeRefclock, State: observe.StateSelected, SampleAge: observe.Seconds(1), Offset: tr.SystemOffset},
		{Name: "GPS", Mode: observe.ModeRefclock, State: observe.StateNotCombined, SampleAge: observe.Seconds(1), Offset: 0.0612 + 2e-3*rng.NormFloat64()},
		{Name: "ntp1.example.net", Address: "192.0.2.1", Mode: observe.ModeServer, State: observe.StateCombined, SampleAge: observe.Seconds(20), Offset: 2.1e-4 + 6e-5*rng.NormFloat64()},
	}}}
}
