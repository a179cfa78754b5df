// The steady-state hypothesis: each line "metric op value", alone or as {check, during}.

package experiment

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/chainctl/chainctl/internal/yamlnode"
)

// checkRE splits a line into metric, operator and value; the operator is
// any run of comparison characters, so that = and => are reported.
var checkRE = regexp.MustCompile(`^\s*([A-Za-z0-9_]+)\s*([<>=!]+)\s*(\S+)\s*$`)

var (
	metrics = []string{MetricSuccessRatio, MetricP50, MetricP95, MetricP99}
	ops     = []string{">=", "<=", ">", "<"}
)

func (p *parser) checks(n *yaml.Node, path string) []Check {
	if !p.items(n, path, "lines", "lines such as `success_ratio >= 99%`", "the hypothesis needs at least one, such as `success_ratio >= 99%`", maxChecks) {
		return nil
	}
	var out []Check
	for i, c := range n.Content {
		if chk, ok := p.check(yamlnode.Resolve(c), yamlnode.Index(path, i)); ok {
			out = append(out, chk)
		}
	}
	return out
}

// check reads one line: a string, or {check: "...", during: true}.
func (p *parser) check(n *yaml.Node, path string) (Check, bool) {
	if n.Kind != yaml.MappingNode {
		s, ok := p.Str(n, path)
		if !ok {
			return Check{}, false
		}
		return p.checkText(n, path, s)
	}
	var c Check
	ok, during := false, false
	seen := p.Fields(n, path, yamlnode.Handlers{
		"check": func(v *yaml.Node, path string) {
			if s, sok := p.Str(v, path); sok {
				c, ok = p.checkText(v, path, s)
			}
		},
		"during": func(v *yaml.Node, path string) { during = p.Bool(v, path) },
	})
	if seen != nil && seen["check"] == nil {
		p.Errorf(n, yamlnode.Join(path, "check"), "missing: the line to check, such as `p99 <= 50ms`")
	}
	c.During = during
	return c, ok
}

// checkText parses "metric op value".
func (p *parser) checkText(n *yaml.Node, path, s string) (Check, bool) {
	c := Check{Text: strings.TrimSpace(s), Line: n.Line}
	m := checkRE.FindStringSubmatch(s)
	if m == nil {
		p.Errorf(n, path, "%q: want METRIC OP VALUE, such as `success_ratio >= 99%%` or `p99 <= 50ms`", s)
		return c, false
	}
	c.Metric, c.Op = m[1], m[2]
	ok := true
	if !slices.Contains(metrics, c.Metric) {
		p.Errorf(n, path, "%q: unknown metric %q (want %s)", s, c.Metric, strings.Join(metrics, ", "))
		ok = false
	}
	if !slices.Contains(ops, c.Op) {
		p.Errorf(n, path, "%q: unknown operator %q (want %s)", s, c.Op, strings.Join(ops, ", "))
		ok = false
	}
	if !ok {
		return c, false
	}
	v, msg := checkValue(c.Metric, m[3])
	if msg != "" {
		p.Errorf(n, path, "%q: %s", s, msg)
		return c, false
	}
	c.Value = v
	return c, true
}

// checkValue reads a check's value: a percentage (as a share) for
// success_ratio, a duration (in milliseconds) for a latency.
func checkValue(metric, s string) (float64, string) {
	if metric == MetricSuccessRatio {
		num, isPct := strings.CutSuffix(s, "%")
		if !isPct {
			return 0, fmt.Sprintf("success_ratio is a percentage: want e.g. 99%%, got %q", s)
		}
		v, err := strconv.ParseFloat(num, 64)
		switch {
		case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
			return 0, fmt.Sprintf("%q: not a percentage such as 99%%", s)
		case v < 0 || v > 100:
			return 0, fmt.Sprintf("success_ratio %s: want 0%% to 100%%", s)
		}
		return v / 100, ""
	}
	d, err := time.ParseDuration(s)
	switch {
	case strings.HasSuffix(s, "%"):
		return 0, fmt.Sprintf("%s is a latency: want a duration such as 50ms, got the percentage %s", metric, s)
	case err != nil || d < 0:
		return 0, fmt.Sprintf("%s is a latency: want a duration such as 50ms, got %q", metric, s)
	}
	return float64(d) / float64(time.Millisecond), ""
}

// items checks that n is a list of 1 to limit entries and says what is
// wrong otherwise: "want a list of WANT", "no NOUN: EMPTY", "N NOUN: the
// limit is L".
func (p *parser) items(n *yaml.Node, path, noun, want, empty string, limit int) bool {
	switch {
	case n.Kind != yaml.SequenceNode:
		p.Errorf(n, path, "want a list of %s, got %s", want, yamlnode.Describe(n))
	case len(n.Content) == 0:
		p.Errorf(n, path, "no %s: %s", noun, empty)
	case len(n.Content) > limit:
		p.Errorf(n, path, "%d %s: the limit is %d", len(n.Content), noun, limit)
	default:
		return true
	}
	return false
}
