package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ntphealth/ntphealth/internal/testenv"
)

// The Prometheus rules in prometheus/: every *.yml there is a rule file a
// stock Prometheus loads; their promtool unit tests live in
// prometheus/tests/.
const (
	rulesDir      = "prometheus"
	ruleTestsGlob = "prometheus/tests/*.yml"
)

// ruleFiles returns prometheus/*.yml.
func ruleFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(rulesDir, "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files in %s/: %v", rulesDir, err)
	}
	return files
}

// TestPromtoolCheckRules runs `promtool check rules` on every rule file.
func TestPromtoolCheckRules(t *testing.T) {
	promtool := testenv.Tool(t, "prometheus", "promtool")
	files := ruleFiles(t)
	stdout, stderr, err := command(t, time.Minute, ".", promtool, append([]string{"check", "rules"}, files...)...)
	if err != nil {
		t.Fatalf("promtool check rules %s: %v\n%s%s", strings.Join(files, " "), err, stdout, stderr)
	}
	t.Logf("%s", strings.TrimSpace(stdout))
}

// TestPromtoolTestRules runs the rules' unit tests with `promtool test rules`.
func TestPromtoolTestRules(t *testing.T) {
	promtool := testenv.Tool(t, "prometheus", "promtool")
	tests, err := filepath.Glob(ruleTestsGlob)
	if err != nil || len(tests) == 0 {
		t.Fatalf("no rule tests match %s: %v", ruleTestsGlob, err)
	}
	stdout, stderr, err := command(t, 2*time.Minute, ".", promtool, append([]string{"test", "rules"}, tests...)...)
	if err != nil {
		t.Fatalf("promtool test rules %s: %v\n%s%s", strings.Join(tests, " "), err, stdout, stderr)
	}
}

// ruleNode is one rule of a rule file, with the YAML node it came from.
type ruleNode struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
	node        *yaml.Node
}

// readRules parses every rule file.
func readRules(t *testing.T) []ruleNode {
	t.Helper()
	var rules []ruleNode
	for _, f := range ruleFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Groups []struct {
				Name  string      `yaml:"name"`
				Rules []yaml.Node `yaml:"rules"`
			} `yaml:"groups"`
		}
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, g := range doc.Groups {
			for i := range g.Rules {
				var r ruleNode
				if err := g.Rules[i].Decode(&r); err != nil {
					t.Fatalf("%s: group %s: %v", f, g.Name, err)
				}
				r.node = &g.Rules[i]
				rules = append(rules, r)
			}
		}
	}
	return rules
}

// TestAlertRulesConventions holds every alert to the rules' own header: a
// `for:` with a comment that says why, a severity of critical, warning or
// info, and a summary and a description templated from the labels.
func TestAlertRulesConventions(t *testing.T) {
	n := 0
	for _, r := range readRules(t) {
		if r.Alert == "" {
			continue
		}
		n++
		if _, err := time.ParseDuration(r.For); r.For == "" || err != nil {
			t.Errorf("%s: for: %q, want a duration (chosen, and justified in a comment)", r.Alert, r.For)
		}
		if !commented(r.node) {
			t.Errorf("%s: no comment saying why its for: is %s", r.Alert, r.For)
		}
		if !slices.Contains([]string{"critical", "warning", "info"}, r.Labels["severity"]) {
			t.Errorf("%s: severity %q, want critical, warning or info", r.Alert, r.Labels["severity"])
		}
		for _, a := range []string{"summary", "description"} {
			if !strings.Contains(r.Annotations[a], "{{ $labels.") {
				t.Errorf("%s: annotation %s %q is not templated from the labels", r.Alert, a, r.Annotations[a])
			}
		}
	}
	if n == 0 {
		t.Fatal("no alerts found")
	}
}

// commented reports whether a rule's mapping carries a comment on one of
// its keys (the rules put it above expr:).
func commented(n *yaml.Node) bool {
	if strings.TrimSpace(n.HeadComment+n.LineComment) != "" {
		return true
	}
	for _, c := range n.Content {
		if strings.TrimSpace(c.HeadComment+c.LineComment+c.FootComment) != "" {
			return true
		}
	}
	return false
}

// TestRuleTestsCoverEveryAlert demands that the unit tests check every
// alert both firing (a non-empty exp_alerts) and not firing (an empty one),
// and every recording rule with a promql_expr_test.
func TestRuleTestsCoverEveryAlert(t *testing.T) {
	tests, err := filepath.Glob(ruleTestsGlob)
	if err != nil || len(tests) == 0 {
		t.Fatalf("no rule tests match %s: %v", ruleTestsGlob, err)
	}
	firing, quiet, exprs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, f := range tests {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Tests []struct {
				Alerts []struct {
					Alertname string           `yaml:"alertname"`
					ExpAlerts []map[string]any `yaml:"exp_alerts"`
				} `yaml:"alert_rule_test"`
				Exprs []struct {
					Expr string `yaml:"expr"`
				} `yaml:"promql_expr_test"`
			} `yaml:"tests"`
		}
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, tc := range doc.Tests {
			for _, a := range tc.Alerts {
				if len(a.ExpAlerts) > 0 {
					firing[a.Alertname] = true
				} else {
					quiet[a.Alertname] = true
				}
			}
			for _, e := range tc.Exprs {
				exprs[e.Expr] = true
			}
		}
	}
	for _, r := range readRules(t) {
		switch {
		case r.Alert != "":
			if !firing[r.Alert] {
				t.Errorf("alert %s: no unit test where it fires", r.Alert)
			}
			if !quiet[r.Alert] {
				t.Errorf("alert %s: no unit test where it does not fire", r.Alert)
			}
		case r.Record != "" && !exprs[r.Record]:
			t.Errorf("recording rule %s: no promql_expr_test", r.Record)
		}
	}
}
