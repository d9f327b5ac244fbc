package deploy

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// dashboardPath is the Grafana dashboard; e2e/prometheus_test.go runs each
// of its queries against a real Prometheus.
const dashboardPath = "grafana/ntphealth.json"

// TestGrafanaDashboardSchema checks what Grafana needs to import the
// dashboard (Grafana itself is not installable here): a dashboard model
// with title, uid and a numeric schemaVersion; panels with unique ids, a
// type, a title and a gridPos; every non-row panel with targets, each with
// a refId and a PromQL expr; a templating list with the datasource, job
// and instance variables, and no variable used that is not defined there
// or built in.
func TestGrafanaDashboardSchema(t *testing.T) {
	b, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title         string   `json:"title"`
		UID           string   `json:"uid"`
		SchemaVersion *float64 `json:"schemaVersion"`
		Panels        []struct {
			ID         *int            `json:"id"`
			Type       string          `json:"type"`
			Title      string          `json:"title"`
			GridPos    *map[string]int `json:"gridPos"`
			Datasource *struct {
				Type string `json:"type"`
				UID  string `json:"uid"`
			} `json:"datasource"`
			Targets []struct {
				RefID string `json:"refId"`
				Expr  string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating *struct {
			List []struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	if d.Title == "" || d.UID == "" {
		t.Errorf("title %q, uid %q: both needed", d.Title, d.UID)
	}
	if d.SchemaVersion == nil || *d.SchemaVersion < 36 {
		t.Errorf("schemaVersion %v, want a number >= 36 (Grafana 9.x and later)", d.SchemaVersion)
	}
	if d.Templating == nil {
		t.Fatal("no templating")
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
	}
	for name, typ := range map[string]string{"datasource": "datasource", "job": "query", "instance": "query"} {
		if vars[name] != typ {
			t.Errorf("templating: variable %s is %q, want type %s", name, vars[name], typ)
		}
	}
	if len(d.Panels) == 0 {
		t.Fatal("no panels")
	}
	varRe := regexp.MustCompile(`\$\{?(\w+)`)
	ids := map[int]bool{}
	queries := 0
	for i, p := range d.Panels {
		if p.ID == nil || ids[*p.ID] {
			t.Errorf("panel %d %q: id missing or repeated", i, p.Title)
		} else {
			ids[*p.ID] = true
		}
		if p.Type == "" || p.Title == "" || p.GridPos == nil {
			t.Errorf("panel %d %q: type %q, gridPos %v: all needed", i, p.Title, p.Type, p.GridPos)
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q: datasource %+v, want the ${datasource} variable", p.Title, p.Datasource)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q: no targets", p.Title)
		}
		for _, tg := range p.Targets {
			queries++
			if tg.RefID == "" || strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("panel %q: target refId %q expr %q: both needed", p.Title, tg.RefID, tg.Expr)
			}
			for _, m := range varRe.FindAllStringSubmatch(tg.Expr, -1) {
				if _, ok := vars[m[1]]; !ok && !strings.HasPrefix(m[1], "__") {
					t.Errorf("panel %q: $%s is not a templating variable: %s", p.Title, m[1], tg.Expr)
				}
			}
		}
	}
	t.Logf("%d panels, %d queries", len(d.Panels), queries)
}
