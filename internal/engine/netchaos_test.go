// Unit tests of what network breaks share: the options' check and a partition's groups.

package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/enginetest"
	"github.com/chainctl/chainctl/internal/netfault/spec"
)

func TestCheckNetwork(t *testing.T) {
	cases := []struct {
		opts engine.BreakOptions
		want string // "" when fine
	}{
		{engine.BreakOptions{Mode: engine.ModeKill}, ""},
		{engine.BreakOptions{Mode: engine.ModeKill, Net: &spec.Fault{Delay: time.Second}}, "not --mode kill"},
		{engine.BreakOptions{Mode: engine.ModeKill, From: []string{"a"}}, "not --mode kill"},
		{engine.BreakOptions{Mode: engine.ModeDelay, Net: &spec.Fault{Loss: 0.1}}, "--mode delay needs --delay"},
		{engine.BreakOptions{Mode: engine.ModeLoss, Net: &spec.Fault{Delay: time.Second}}, "--mode loss needs --loss"},
		{engine.BreakOptions{Mode: engine.ModeRate, Net: &spec.Fault{Loss: 0.1}}, "--mode rate needs --rate"},
		{engine.BreakOptions{Mode: engine.ModeLoss, Net: &spec.Fault{Loss: 1.5}}, "--loss 150%"},
		{engine.BreakOptions{Mode: engine.ModeDelay, Net: &spec.Fault{Delay: time.Second, Loss: 0.3, Rate: 1e6}}, ""},
		{engine.BreakOptions{Mode: engine.ModeBlackhole, Net: &spec.Fault{Blackhole: true}}, ""},
		{engine.BreakOptions{Mode: engine.ModeBlackhole}, "no network fault given"},
	}
	for _, c := range cases {
		err := c.opts.CheckNetwork()
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%+v: err %v, want %q", c.opts, err, c.want)
		}
	}
}

func TestPartitionGroups(t *testing.T) {
	top := enginetest.Topology() // services a, b, c
	groups, err := engine.PartitionGroups(top, "p", [][]string{{"b", "a"}})
	if err != nil || len(groups) != 2 || strings.Join(groups[0], ",") != "a,b" || strings.Join(groups[1], ",") != "c" {
		t.Errorf("{a,b} and the rest: %v, %v", groups, err)
	}
	for _, c := range []struct {
		named [][]string
		want  string
	}{
		{[][]string{{"a"}, {"a", "b"}}, "service a is in two groups"},
		{[][]string{{"zz"}}, `no service "zz"`},
		{[][]string{{"a", "b", "c"}}, "at least two groups"},
	} {
		if _, err := engine.PartitionGroups(top, "p", c.named); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err %v, want %q", c.named, err, c.want)
		}
	}
	if err := engine.CheckFrom(top, "p", []string{"a", "x"}); err == nil || !strings.Contains(err.Error(), `--from x`) {
		t.Errorf("CheckFrom: %v", err)
	}
}
