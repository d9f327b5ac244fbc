package chrony

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ntphealth/ntphealth/internal/observe"
)

// TestQueryUnresolvedReplies decodes what a real chronyd 4.3 answered with
// "pool nonexistent.invalid iburst", "server alsonot.invalid iburst" and a
// server at 127.0.0.1 (regenerate: go test -run TestUnresolvedPool -args
// -update): nine placeholder sources become two unresolved names.
func TestQueryUnresolvedReplies(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "replies", "unresolved-pool.bin"))
	if err != nil {
		t.Fatalf("%v (regenerate: go test -run TestUnresolvedPool -args -update)", err)
	}
	conn := &replayConn{replies: splitReplies(b)}
	d := &observe.Daemon{}
	if err := query(conn, d); err != nil {
		t.Fatalf("query: %v", err)
	}
	if len(conn.replies) != 0 {
		t.Errorf("%d replies left over", len(conn.replies))
	}
	if len(d.Sources) != 1 || d.Sources[0].Address != "127.0.0.1" {
		t.Errorf("sources %+v, want only 127.0.0.1", d.Sources)
	}
	want := []observe.Unresolved{
		{Name: "nonexistent.invalid", Directive: "pool", Placeholders: 8},
		{Name: "alsonot.invalid", Directive: "server", Placeholders: 1},
	}
	if !reflect.DeepEqual(d.Unresolved, want) {
		t.Errorf("unresolved %+v, want %+v", d.Unresolved, want)
	}
}

// TestUnresolvedNames covers what a chronyd without DNS cannot be made to
// show here: a pool partly resolved, and a peer.
func TestUnresolvedNames(t *testing.T) {
	placeholder := func(name string, m observe.Mode) observe.Source { return observe.Source{Name: name, Mode: m} }
	got := unresolvedNames(
		[]observe.Source{placeholder("pool.example", observe.ModeServer), placeholder("peer.example", observe.ModePeer), placeholder("one.example", observe.ModeServer)},
		[]observe.Source{{Name: "pool.example", Address: "192.0.2.1"}})
	want := []observe.Unresolved{
		{Name: "pool.example", Directive: "pool", Placeholders: 1},
		{Name: "peer.example", Directive: "peer", Placeholders: 1},
		{Name: "one.example", Directive: "server", Placeholders: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("unresolvedNames = %+v, want %+v", got, want)
	}
	if got := unresolvedNames(nil, nil); got != nil {
		t.Errorf("no placeholders: %+v, want nil (omitted from JSON)", got)
	}
}
