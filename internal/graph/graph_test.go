// The model: a topology and ps's rows as nodes, edges and live states; mermaid ids and escaping; dot quoting.

package graph

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/topology"
)

// load reads one of the example topologies.
func load(t *testing.T, name string) *topology.Topology {
	t.Helper()
	top, err := topology.Load(filepath.Join("..", "..", "topologies", name+".yaml"), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return top
}

// rowsOf are ps rows for abc: every replica running and healthy, but
// those in faults, which carry the fault given.
func rowsOf(services []string, faults map[string]string) []engine.ContainerStatus {
	var out []engine.ContainerStatus
	for _, s := range services {
		r := engine.ContainerStatus{Service: s, Replica: 1, State: "running", Health: "healthy", Fault: engine.FaultNone, Ports: []string{}}
		if f, ok := faults[s]; ok {
			r.Fault, r.State = f, "exited"
		}
		out = append(out, r)
	}
	return out
}

func TestNewFromTopology(t *testing.T) {
	top := &topology.Topology{Name: "p", Services: map[string]*topology.Service{
		"web": {Name: "web", Replicas: 3, Calls: []topology.Call{{Service: "db", Port: 5432}, {Service: "api", Port: 8080}},
			Ports: []topology.Port{{HostIP: "127.0.0.1", ContainerPort: "8080", Protocol: "tcp"}, {HostIP: "0.0.0.0", HostIPSet: true, HostPort: "53", ContainerPort: "53", Protocol: "udp"}}},
		"api": {Name: "api", Replicas: 1, DependsOn: map[string]topology.Condition{"db": topology.ServiceHealthy, "mig": topology.ServiceCompletedSuccessfully}},
		"db":  {Name: "db", Replicas: 1},
		"mig": {Name: "mig", Replicas: 1},
	}}
	g := New(top)
	var names []string
	for _, s := range g.Services {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, " "); got != "api db mig web" {
		t.Fatalf("services %q, want them sorted", got)
	}
	web := g.Services[3]
	if web.title() != "web ×3" || fmt.Sprint(web.Ports) != "[*→8080 0.0.0.0:53→53/udp]" {
		t.Errorf("web shows %q and ports %v", web.title(), web.Ports)
	}
	if fmt.Sprint(web.Calls) != "[{api 8080} {db 5432}]" || web.Calls[0].label() != "" || web.Calls[1].label() != "5432" {
		t.Errorf("web's calls %v", web.Calls)
	}
	api := g.Services[0]
	if fmt.Sprint(api.DependsOn) != "[{db service_healthy} {mig service_completed_successfully}]" ||
		api.DependsOn[0].label() != "healthy" || api.DependsOn[1].label() != "completed" {
		t.Errorf("api's depends_on %v", api.DependsOn)
	}
	if g.Live || g.Networks {
		t.Error("a file alone is not live, and one network is not shown")
	}
}

func TestLiveStates(t *testing.T) {
	row := func(state, health, fault string) engine.ContainerStatus {
		return engine.ContainerStatus{State: state, Health: health, Fault: fault}
	}
	cases := []struct {
		rows  []engine.ContainerStatus
		state State
		fault string
	}{
		{nil, Missing, ""},
		{[]engine.ContainerStatus{row("running", "healthy", "-")}, Healthy, ""},
		{[]engine.ContainerStatus{row("running", "-", "-")}, Healthy, ""}, // no healthcheck
		{[]engine.ContainerStatus{row("exited (0)", "-", "-")}, Healthy, ""},
		{[]engine.ContainerStatus{row("running", "starting", "-"), row("running", "healthy", "-")}, Starting, ""},
		{[]engine.ContainerStatus{row("running", "healthy", "converging")}, Starting, ""},
		{[]engine.ContainerStatus{row("exited", "-", "killed")}, Faulted, "killed"},
		{[]engine.ContainerStatus{row("running", "healthy", "delay 200ms"), row("running", "healthy", "-")}, Faulted, "delay 200ms (1 of 2)"},
		{[]engine.ContainerStatus{row("paused", "-", "paused; loss 30%"), row("exited", "-", "killed")}, Faulted, "killed; paused; loss 30%"},
		{[]engine.ContainerStatus{row("running", "unhealthy", "-")}, Faulted, "unhealthy"},
		{[]engine.ContainerStatus{row("missing", "-", "removed")}, Faulted, "removed"},
	}
	for _, c := range cases {
		if st, f := stateOf(c.rows); st != c.state || f != c.fault {
			t.Errorf("%v: %s %q, want %s %q", c.rows, st, f, c.state, c.fault)
		}
	}
}

func TestSetLiveAddsStrangersAndRealPorts(t *testing.T) {
	g := New(load(t, "abc"))
	rows := rowsOf([]string{"a", "b", "old"}, nil)
	rows[0].Ports = []string{"127.0.0.1:32768->8080/tcp", "[::1]:32768->8080/tcp"}
	g.SetLive(rows)
	got := map[string]string{}
	for _, s := range g.Services {
		got[s.Name] = fmt.Sprintf("%s %v %v", s.State, s.Extra, s.Ports)
	}
	want := map[string]string{
		"a": "healthy false [32768→8080 [::1]:32768→8080]", "b": "healthy false []",
		"c": "missing false []", "old": "healthy true []",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("live graph %v\nwant %v", got, want)
	}
}

func TestLiveMermaidAndDot(t *testing.T) {
	var m, d bytes.Buffer
	rows := rowsOf([]string{"a", "b", "c"}, map[string]string{"c": "delay 200ms; loss 30%"})
	if err := Write(&m, FormatMermaid, load(t, "abc"), rows); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`c["c<br/>faulted: delay 200ms; loss 30%"]`, "class a,b healthy\n", "class c faulted\n", "classDef faulted fill:#ffe3e3"} {
		if !strings.Contains(m.String(), want) {
			t.Errorf("mermaid lacks %q:\n%s", want, m.String())
		}
	}
	if err := Write(&d, FormatDot, load(t, "abc"), rows); err != nil {
		t.Fatal(err)
	}
	if want := `"c" [label="c\nfaulted: delay 200ms; loss 30%", fillcolor="#ffe3e3", color="#c92a2a", fontcolor="#a61e1e", penwidth=2];`; !strings.Contains(d.String(), want) {
		t.Errorf("dot lacks %q:\n%s", want, d.String())
	}
	if err := Write(&d, "png", load(t, "abc"), nil); err == nil || !strings.Contains(err.Error(), "mermaid, dot, svg") {
		t.Errorf("an unknown format: %v", err)
	}
}

func TestMermaidIDsAndEscaping(t *testing.T) {
	ids := mermaidIDs([]Service{{Name: "a-b"}, {Name: "a_b"}, {Name: "end"}, {Name: "web"}})
	if fmt.Sprint(ids) != "map[a-b:a_b a_b:a_b_1 end:end_2 web:web]" {
		t.Errorf("ids %v", ids)
	}
	if got := mermaidText(`say "hi" <b> & #1`); got != "say #quot;hi#quot; #lt;b#gt; #amp; #35;1" {
		t.Errorf("escaped %q", got)
	}
	if got := dotQuote("a\"b\\c\nd"); got != `"a\"b\\c\nd"` {
		t.Errorf("dot quoted %s", got)
	}
}
