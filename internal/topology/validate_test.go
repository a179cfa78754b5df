// Tests of Problems: what the model alone shows wrong, with the service, the field path and no line, as both loaders use it.

package topology

import (
	"reflect"
	"testing"
)

func TestProblemsOfTheModel(t *testing.T) {
	port := func(ip, host, container, proto string) Port {
		return Port{HostIP: ip, HostPort: host, ContainerPort: container, Protocol: proto}
	}
	top := &Topology{Name: "p", Services: map[string]*Service{
		// b publishes on every address; a, by name first, on 127.0.0.1: b clashes.
		"a": {Name: "a", Replicas: 1, Calls: []Call{{Service: "b", Port: 80}}, Ports: []Port{port("127.0.0.1", "9000", "9000", "udp"), port("127.0.0.1", "", "80", "tcp")}},
		"b": {Name: "b", Replicas: 1, DependsOn: map[string]Condition{"a": ServiceStarted}, Ports: []Port{port("127.0.0.1", "", "81", "tcp"), port("0.0.0.0", "9000", "9000", "udp")}},
		"r": {Name: "r", Replicas: 3, Ports: []Port{port("127.0.0.1", "8080", "80", "tcp"), port("127.0.0.1", "8000-8001", "80", "tcp"), port("127.0.0.1", "7000-7002", "70", "tcp")}},
	}}
	want := []Problem{
		{Service: "a", Path: "services.a.calls", Msg: "dependency cycle: a -> b -> a", Port: -1, Cycle: []string{"a", "b", "a"}},
		{Service: "b", Path: "services.b.ports[1]", Msg: "host port 0.0.0.0:9000/udp is already published by services.a.ports[0]", Port: 1},
		{Service: "r", Path: "services.r.ports[0]", Msg: "fixed host port 8080 on a service with 3 replicas: they cannot all bind it (publish only the container port, or a host range with a port for each replica)", Port: 0},
		{Service: "r", Path: "services.r.ports[1]", Msg: "host range 8000-8001 has fewer ports than the 3 replicas", Port: 1},
	}
	if got := top.Problems(); !reflect.DeepEqual(got, want) {
		t.Errorf("Problems:\n got %+v\nwant %+v", got, want)
	}
	// The other way round the cycle's first step is a depends_on.
	delete(top.Services, "r")
	top.Services["a"].Calls = nil
	top.Services["a"].DependsOn = map[string]Condition{"b": ServiceHealthy}
	top.Services["b"].Ports = nil
	if got := top.Problems(); len(got) != 1 || got[0].Path != "services.a.depends_on.b" || !reflect.DeepEqual(got[0].Cycle, []string{"a", "b", "a"}) {
		t.Errorf("a cycle of depends_on: %+v", got)
	}
	top.Services["b"].DependsOn = nil
	if got := top.Problems(); got != nil {
		t.Errorf("a sound topology has problems: %+v", got)
	}
}
