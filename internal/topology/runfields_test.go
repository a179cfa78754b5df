// Tests for RunFields and ComposeOnly: what a backend without compose's fields must refuse.

package topology

import (
	"reflect"
	"testing"
)

func TestRunFields(t *testing.T) {
	yes := true
	svc := &Service{Name: "web", Run: Run{Hostname: "h", Init: &yes, Networks: []NetworkAttach{{Key: "front"}}}}
	if got, want := svc.RunFields(), []string{"hostname", "init", "networks"}; !reflect.DeepEqual(got, want) {
		t.Errorf("RunFields = %v, want %v", got, want)
	}
	if got := (&Service{Name: "plain", Image: "x"}).RunFields(); got != nil {
		t.Errorf("a chainctl service sets %v", got)
	}
}

func TestComposeOnly(t *testing.T) {
	top := &Topology{
		Name:     "p",
		Network:  Network{Name: "p_default"},
		Networks: map[string]Network{"front": {Name: "p_front"}},
		Volumes:  map[string]Volume{"ext": {Name: "ext", External: true}, "plain": {Name: "p_plain"}},
		Secrets:  map[string]FileSource{"token": {File: "/tmp/token"}},
		Services: map[string]*Service{
			"web": {Name: "web", Run: Run{WorkingDir: "/app"}, Volumes: []Mount{
				{Type: MountVolume, Source: "plain", Target: "/data"},
				{Type: MountVolume, Target: "/cache"},
			}},
		},
	}
	want := []string{"networks.front", "volumes.ext", "secrets.token", "services.web.working_dir", "services.web.volumes[1]"}
	if got := top.ComposeOnly(); !reflect.DeepEqual(got, want) {
		t.Errorf("ComposeOnly = %v, want %v", got, want)
	}
}
