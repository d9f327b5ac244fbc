package chrony_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ntphealth/ntphealth/internal/chronytest"
	"github.com/ntphealth/ntphealth/internal/observe"
)

// unresolvedReplies is where TestUnresolvedPool keeps chronyd's raw replies
// for the decoder's tests.
var unresolvedReplies = filepath.Join("testdata", "replies", "unresolved-pool.bin")

// TestUnresolvedPool: Debian's default chrony.conf has "pool
// 2.debian.pool.ntp.org iburst"; without DNS, chronyd 4.3 keeps 8
// placeholder sources for the pool (and one for a server) whose address is
// an ID, not an IP (chrony's IPADDR_ID; client.c skips them in "sources"
// unless -a). They are not sources: the probe reports each name once as
// unresolved, and the sources check counts only the real server beside them.
func TestUnresolvedPool(t *testing.T) {
	t.Parallel()
	c := chronytest.Start(t, chronytest.Options{UnreachableServer: true,
		Extra: []string{"pool nonexistent.invalid iburst", "server alsonot.invalid iburst"}})
	for _, addr := range []string{c.UDPAddr(), c.UnixAddr()} {
		d := observeAt(t, addr)
		if d.Error != "" {
			t.Fatalf("Observe(%s): %s", addr, d.Error)
		}
		if len(d.Sources) != 1 || d.Sources[0].Address != "127.0.0.1" {
			t.Fatalf("%s: sources %+v, want only the configured 127.0.0.1 (chronyc sources lists nothing else)", addr, d.Sources)
		}
		want := []observe.Unresolved{
			{Name: "nonexistent.invalid", Directive: "pool", Placeholders: 8},
			{Name: "alsonot.invalid", Directive: "server", Placeholders: 1},
		}
		if !reflect.DeepEqual(d.Unresolved, want) {
			t.Errorf("%s: unresolved %+v, want %+v", addr, d.Unresolved, want)
		}
		r := verdict(d)
		c2, _ := r.Check("sources")
		wantMsg := "0 of 1 sources selectable, fewer than the 1 required; " +
			"pool nonexistent.invalid: name not resolved; server alsonot.invalid: name not resolved"
		if c2.Value == nil || *c2.Value != 0 || c2.Message != wantMsg {
			t.Errorf("%s: sources check %q (value %v), want %q (value 0)", addr, c2.Message, c2.Value, wantMsg)
		}
		if strings.Contains(c2.Message, "of 10") {
			t.Errorf("%s: placeholders counted as sources: %q", addr, c2.Message)
		}
	}
	if *update {
		capture(t, c.UDPAddr(), unresolvedReplies, func(d *observe.Daemon) bool { return len(d.Unresolved) == 2 })
	}
}
