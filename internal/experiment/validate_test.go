// Tests of ValidateServices, Conflicts, End and MethodEnd, and that the modes a file may name are the backends'.

package experiment

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chainctl/chainctl/internal/backend"
	"github.com/chainctl/chainctl/internal/topology"
)

func TestValidateServices(t *testing.T) {
	e, err := Load("testdata/valid-forms.yaml", lookupTestEnv)
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateServices(e, []string{"a", "b", "c"}); err != nil {
		t.Errorf("every service known: %v", err)
	}
	err = ValidateServices(e, []string{"b", "z"})
	want := []string{
		`testdata/valid-forms.yaml:7: load.entry: unknown service "a" (services: b, z)`,
		`testdata/valid-forms.yaml:18: method[1].from[0]: unknown service "a" (services: b, z)`,
		`testdata/valid-forms.yaml:25: method[2].break: unknown service "c" (services: b, z)`,
		`testdata/valid-forms.yaml:25: method[2].from[0]: unknown service "a" (services: b, z)`,
		`testdata/valid-forms.yaml:26: method[3].break: unknown service "c" (services: b, z)`,
		`testdata/valid-forms.yaml:27: method[4].partition[0][0]: unknown service "a" (services: b, z)`,
		`testdata/valid-forms.yaml:27: method[4].partition[1][1]: unknown service "c" (services: b, z)`,
		`testdata/valid-forms.yaml:28: method[5].random.services[1]: unknown service "c" (services: b, z)`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("got:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
}

// TestExampleAgainstItsTopology: the example names only abc's services.
func TestExampleAgainstItsTopology(t *testing.T) {
	e, err := Load("testdata/valid-example.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	top, err := topology.Load(e.Topology, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateServices(e, top.ServiceNames()); err != nil {
		t.Error(err)
	}
	if got := e.MethodEnd(); got != 50*time.Second {
		t.Errorf("MethodEnd = %s, want 50s (the campaign's last fault)", got)
	}
}

func TestConflicts(t *testing.T) {
	s := time.Second
	steps := []Step{
		{At: 0, For: 2 * s, Break: "b/1"},
		{At: 1 * s, For: 2 * s, Break: "b/2"},                                // another replica: no conflict
		{At: 1 * s, For: 1 * s, Break: "b"},                                  // all of b: both
		{At: 2 * s, For: 1 * s, Partition: [][]string{{"a"}, {"c"}}},         // touches [2s, 3s): b/2 has no part in it
		{At: 2 * s, For: 5 * s, Partition: [][]string{{"x"}}},                // two partitions at once
		{At: 0, For: time.Hour, Random: &Random{Count: 1, Every: time.Hour}}, // drawn at run time: left out
		{At: 3 * s, For: 1 * s, Break: "c"},                                  // starts when the partition ends
	}
	want := []Conflict{{A: 0, B: 2, Service: "b"}, {A: 1, B: 2, Service: "b"}, {A: 3, B: 4}}
	if got := Conflicts(steps); !reflect.DeepEqual(got, want) {
		t.Errorf("Conflicts = %+v, want %+v", got, want)
	}
}

func TestEndSaturates(t *testing.T) {
	huge := Step{At: time.Duration(1 << 62), For: time.Duration(1 << 62), Random: &Random{Count: 1000, Every: time.Duration(1 << 62)}}
	if huge.End() < huge.At {
		t.Errorf("End wrapped round: %d", huge.End())
	}
	if got := (Step{At: time.Second, For: 2 * time.Second}).End(); got != 3*time.Second {
		t.Errorf("End = %s", got)
	}
}

// TestModesAreTheBackends: a file may name exactly the modes some backend
// has, so the list here cannot drift from theirs.
func TestModesAreTheBackends(t *testing.T) {
	got, want := slices.Clone(breakModes), backend.ModeNames()
	slices.Sort(got)
	slices.Sort(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("modes %v, backends have %v", got, want)
	}
}
