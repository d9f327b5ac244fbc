package chrony_test

import (
	"testing"
	"time"

	"github.com/beevik/ntp"

	"github.com/ntphealth/ntphealth/internal/chronytest"
)

// TestServerStats: a chronyd serving NTP on loopback answers three client
// queries; over its unix socket the probe reads serverstats and finds them
// counted. Over UDP chronyd refuses serverstats (501 Not authorised), so
// the probe does not ask there.
func TestServerStats(t *testing.T) {
	t.Parallel()
	c := chronytest.Start(t, chronytest.Options{LocalStratum: 2, Serve: true})
	const queries = 3
	for range queries {
		if _, err := ntp.QueryWithOptions(c.NTPAddr(), ntp.QueryOptions{Timeout: 2 * time.Second}); err != nil {
			t.Fatalf("NTP query to %s: %v", c.NTPAddr(), err)
		}
	}
	d := observeAt(t, c.UnixAddr())
	if d.Error != "" {
		t.Fatalf("Observe(%s): %s", c.UnixAddr(), d.Error)
	}
	st := d.ServerStats
	if st == nil {
		t.Fatalf("no serverstats over the unix socket")
	}
	t.Logf("serverstats: %+v", *st)
	// Nothing else talks to this private chronyd.
	if st.NTPPacketsReceived != queries || st.NTPPacketsDropped != 0 {
		t.Errorf("NTP packets received %d dropped %d, want %d and 0", st.NTPPacketsReceived, st.NTPPacketsDropped, queries)
	}
	// The rig's readiness probes and this one: a few dozen commands.
	if st.CommandPacketsReceived < 3 || st.CommandPacketsDropped != 0 {
		t.Errorf("command packets received %d dropped %d, want at least 3 and 0", st.CommandPacketsReceived, st.CommandPacketsDropped)
	}
	if st.Timestamps != nil {
		t.Errorf("timestamps %+v from chronyd 4.3, whose serverstats3 has none", *st.Timestamps)
	}

	if u := observeAt(t, c.UDPAddr()); u.Error != "" || u.ServerStats != nil {
		t.Errorf("over UDP: error %q, serverstats %+v; want no error and none", u.Error, u.ServerStats)
	}
}
