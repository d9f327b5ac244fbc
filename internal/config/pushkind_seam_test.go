package config

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/ntphealth/ntphealth/internal/health"
	"github.com/ntphealth/ntphealth/internal/notify"
)

// seamKind is a push service that exists only in this test: it registers
// itself as a new kind's file in internal/notify does, and nothing else
// learns of it, to show that the config, its errors and the redactor reach
// a kind through notify's registry alone.
const seamKind = "seampush"

func init() {
	notify.Register(notify.Kind{
		Name:        seamKind,
		Rank:        1000,
		SecretPath:  "/api/seam/",
		SecretToEnd: true,
		CheckURL: func(u *url.URL, shown string) string {
			if !strings.Contains(u.Path, "/api/seam/") {
				return fmt.Sprintf("URL %s has no /api/seam/<token>", shown)
			}
			return ""
		},
		New: func(c notify.Config, o notify.Options) (notify.Notifier, error) {
			return seamNotifier{target: seamKind + " " + notify.Redact(c.URL)}, nil
		},
	})
}

type seamNotifier struct{ target string }

func (s seamNotifier) Target() string { return s.target }
func (s seamNotifier) Notify(context.Context, health.Report) health.PushResult {
	return health.PushResult{Target: s.target, OK: true}
}

func TestPushKindSeam(t *testing.T) {
	// "send" is a word the redactor keeps in a path: after the kind's
	// SecretPath it is a token all the same.
	const secret = "send"
	c, err := Parse([]byte("push:\n  kind: "+seamKind+"\n  url: https://seam.example/api/seam/"+secret+"\n  warning: down\n"), "ntphealth.yaml")
	if err != nil {
		t.Fatal(err)
	}
	n, err := c.Push[0].Notifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	if n.Target() != seamKind+" https://seam.example/api/seam/****" {
		t.Errorf("target %q", n.Target())
	}

	for doc, want := range map[string]string{
		// its own URL rule, with file, line and key
		"push:\n  kind: " + seamKind + "\n  url: https://seam.example/x/" + token + "\n": "ntphealth.yaml:3: push[0].url: URL \"https://seam.example/****\" has no /api/seam/<token>",
		// its secret path redacts text that is no URL
		"push:\n  kind: " + seamKind + "\n  url: seam.example/api/seam/" + token + "\n": "ntphealth.yaml:3: push[0].url: URL \"seam.example/api/seam/****\" has no scheme or host",
		// another kind's setting is refused on it
		"push:\n  kind: " + seamKind + "\n  url: https://seam.example/api/seam/" + token + "\n  start: true\n": "ntphealth.yaml:4: push[0].start: used only by kind healthchecks, not " + seamKind,
		// the list of kinds names it
		"push:\n  kind: nope\n  url: https://x.example/a\n": "webhook, " + seamKind + ")",
	} {
		_, err := Parse([]byte(doc), "ntphealth.yaml")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse:\n%s= %v\nwant %s", doc, err, want)
		}
		if err != nil && strings.Contains(err.Error(), token) {
			t.Errorf("error shows the token: %v", err)
		}
	}
}
