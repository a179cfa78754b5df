// Tests against the real daemon of network_mode, one-shot services, depends_on restart and what up refuses before it creates anything.

package docker

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/enginetest"
	"github.com/chainctl/chainctl/internal/netfault/spec"
	"github.com/chainctl/chainctl/internal/topology"
)

func inspect(t *testing.T, cli *client.Client, name string) container.InspectResponse {
	t.Helper()
	ins, err := cli.ContainerInspect(context.Background(), name)
	if err != nil {
		t.Fatalf("inspect %s: %v", name, err)
	}
	return ins
}

func parseTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return v
}

// modesProject: main on the default network; side in main's namespace
// (listening on 8081 beside main's 8080); iso with network_mode none;
// init a one-shot (the link binary's -h exits 0) that main waits for.
func modesProject(project string) *topology.Topology {
	main := linkService("main")
	main.DependsOn = map[string]topology.Condition{"init": topology.ServiceCompletedSuccessfully}
	side := linkService("side")
	side.Environment = map[string]string{"LISTEN": ":8081"}
	side.NetworkMode = "service:main"
	iso := linkService("iso")
	iso.NetworkMode = "none"
	init := &topology.Service{Name: "init", Image: linkImage, Replicas: 1, Command: []string{"-h"}}
	return &topology.Topology{Name: project, Network: topology.Network{Name: project + "-net"},
		Services: map[string]*topology.Service{"main": main, "side": side, "iso": iso, "init": init}}
}

func TestNetworkModesAndOneShots(t *testing.T) {
	t.Parallel()
	e, cli := daemon(t)
	project := enginetest.Project(t)
	cleanup(t, e, cli, project)
	ctx := context.Background()
	if _, err := e.Up(ctx, modesProject(project), engine.UpOptions{WaitTimeout: time.Minute}); err != nil {
		t.Fatalf("up: %v", err)
	}
	main, side, iso, init := inspect(t, cli, project+"-main-1"), inspect(t, cli, project+"-side-1"), inspect(t, cli, project+"-iso-1"), inspect(t, cli, project+"-init-1")
	if want := "container:" + main.ID; string(side.HostConfig.NetworkMode) != want || !side.State.Running {
		t.Errorf("side: network mode %s (running %v), want %s", side.HostConfig.NetworkMode, side.State.Running, want)
	}
	if iso.HostConfig.NetworkMode != "none" || len(iso.NetworkSettings.Networks) != 1 || iso.NetworkSettings.Networks["none"] == nil {
		t.Errorf("iso: network mode %s on %v", iso.HostConfig.NetworkMode, iso.NetworkSettings.Networks)
	}
	if init.State.Status != "exited" || init.State.ExitCode != 0 {
		t.Fatalf("init: %s (%d)", init.State.Status, init.State.ExitCode)
	}
	initDone := parseTime(t, init.State.FinishedAt)
	if started := parseTime(t, main.State.StartedAt); !started.After(initDone) {
		t.Errorf("main started at %s, before init (service_completed_successfully) finished at %s", started, initDone)
	}
	rows, err := e.PS(ctx, project)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		want := "running"
		if r.Service == "init" {
			want = "exited (0)"
		}
		if r.State != want || r.Fault != engine.FaultNone {
			t.Errorf("ps %s: %s, fault %s; want %s, no fault", r.Container, r.State, r.Fault, want)
		}
	}

	// A network fault needs the target's own network; a completed one-shot
	// has nothing to break, and heal leaves it completed.
	for _, c := range []struct{ svc, mode string }{{"iso", engine.ModeDisconnect}, {"side", engine.ModeDisconnect}, {"iso", engine.ModeDelay}, {"side", engine.ModeLoss}} {
		opts := engine.BreakOptions{Mode: c.mode, Net: &spec.Fault{Delay: 100 * time.Millisecond, Loss: 0.5}}
		if c.mode == engine.ModeDisconnect {
			opts.Net = nil
		}
		_, err := e.Break(ctx, project, []engine.Target{{Service: c.svc}}, opts)
		if err == nil || !strings.Contains(err.Error(), "service "+c.svc+" has network_mode") {
			t.Errorf("break %s --mode %s: %v, want a refusal naming network_mode", c.svc, c.mode, err)
		}
	}
	res, err := e.Break(ctx, project, []engine.Target{{Service: "init"}}, engine.BreakOptions{Mode: engine.ModeKill})
	if err != nil || len(res.Broken) != 0 || len(res.AlreadyBroken) != 1 || !strings.Contains(res.AlreadyBroken[0], "completed") {
		t.Errorf("break init: %+v, %v", res, err)
	}
	heal, err := e.Heal(ctx, project, nil, engine.HealOptions{WaitTimeout: 30 * time.Second})
	if err != nil || len(heal.Healed) != 0 || len(heal.Healthy) != 4 {
		t.Errorf("heal: %+v, %v", heal, err)
	}

	checkSideFollowsMain(t, e, cli, project)

	// Re-up, unchanged: the one-shot runs again (compose starts a
	// container that is not running), its dependent waits for it again but
	// is kept, as are the others.
	up, err := e.Up(ctx, modesProject(project), engine.UpOptions{WaitTimeout: time.Minute})
	if err != nil {
		t.Fatalf("second up: %v", err)
	}
	if !slices.Equal(up.Started, []string{project + "-init-1"}) || len(up.Unchanged) != 3 {
		t.Errorf("second up: started %v unchanged %v", up.Started, up.Unchanged)
	}
	again := inspect(t, cli, project+"-init-1")
	if again.ID != init.ID || !parseTime(t, again.State.StartedAt).After(initDone) || again.State.ExitCode != 0 {
		t.Errorf("init was not run again: %s, started %s", again.State.Status, again.State.StartedAt)
	}
}

// checkSideFollowsMain: side follows main back into main's namespace:
// restarted when main is started again, made anew when main is a new
// container.
func checkSideFollowsMain(t *testing.T, e *Backend, cli *client.Client, project string) {
	t.Helper()
	ctx := context.Background()
	for _, mode := range []string{engine.ModeKill, engine.ModeRemove} {
		if _, err := e.Break(ctx, project, []engine.Target{{Service: "main"}}, engine.BreakOptions{Mode: mode}); err != nil {
			t.Fatalf("break main --mode %s: %v", mode, err)
		}
		heal, err := e.Heal(ctx, project, []string{"main"}, engine.HealOptions{WaitTimeout: 30 * time.Second})
		if err != nil || len(heal.Healed) != 2 || !strings.HasPrefix(heal.Healed[1], project+"-side-1 (namespace") {
			t.Fatalf("heal main after %s: %+v, %v", mode, heal, err)
		}
		main, side := inspect(t, cli, project+"-main-1"), inspect(t, cli, project+"-side-1")
		if string(side.HostConfig.NetworkMode) != "container:"+main.ID || !side.State.Running || !parseTime(t, side.State.StartedAt).After(parseTime(t, main.State.StartedAt)) {
			t.Errorf("after %s and heal: side in %s (running %v, started %s), main %s started %s", mode, side.HostConfig.NetworkMode, side.State.Running, side.State.StartedAt, main.ID[:12], main.State.StartedAt)
		}
	}
	// up, like heal, restarts side when it starts main again.
	if err := cli.ContainerKill(ctx, project+"-main-1", "SIGKILL"); err != nil {
		t.Fatal(err)
	}
	res, err := e.Up(ctx, modesProject(project), engine.UpOptions{WaitTimeout: time.Minute})
	if err != nil || !slices.Contains(res.Started, project+"-side-1") || !slices.Contains(res.Started, project+"-main-1") {
		t.Fatalf("up after main was killed: %+v, %v", res, err)
	}
	main, side := inspect(t, cli, project+"-main-1"), inspect(t, cli, project+"-side-1")
	if !side.State.Running || !parseTime(t, side.State.StartedAt).After(parseTime(t, main.State.StartedAt)) {
		t.Errorf("after up: side running %v started %s, main started %s", side.State.Running, side.State.StartedAt, main.State.StartedAt)
	}
}

func TestFailingOneShotFailsUp(t *testing.T) {
	t.Parallel()
	e, cli := daemon(t)
	project := enginetest.Project(t)
	cleanup(t, e, cli, project)
	top := modesProject(project)
	top.Services["init"].Command = []string{"-no-such-flag"}
	// main on two networks: the rollback removes both.
	top.Networks = map[string]topology.Network{"extra": {Name: project + "-extra"}}
	top.Services["main"].Networks = []topology.NetworkAttach{{Key: "default"}, {Key: "extra"}}
	_, err := e.Up(context.Background(), top, engine.UpOptions{WaitTimeout: time.Minute})
	if err == nil {
		t.Fatal("up succeeded with a one-shot that exits 2")
	}
	for _, want := range []string{"one-shot service init", "exited with code 2", "flag provided but not defined: -no-such-flag"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	enginetest.AssertNothingLeft(t, cli, project)
}

// break --mode disconnect cuts a service off each of its networks; heal
// puts it back on each with its aliases and its fixed address. b reaches a
// by a link's alias on the default network, before and after.
func TestDisconnectAndHealOnTwoNetworks(t *testing.T) {
	t.Parallel()
	e, cli := daemon(t)
	project := enginetest.Project(t)
	cleanup(t, e, cli, project)
	ctx := context.Background()
	subnet, prefix := subnet24(t)
	a, b := linkService("a"), linkService("b")
	a.Networks = []topology.NetworkAttach{{Key: "default", Aliases: []string{"alpha"}}, {Key: "side", IPv4Address: prefix + "20", Aliases: []string{"a-side"}}}
	b.Links = []string{"a:linked-a"}
	b.Calls = []topology.Call{{Service: "linked-a", Port: 8080}}
	b.Ports = []topology.Port{{HostIP: "127.0.0.1", ContainerPort: "8080", Protocol: "tcp"}}
	top := &topology.Topology{Name: project, Network: topology.Network{Name: project + "-net"},
		Networks: map[string]topology.Network{"side": {Name: project + "-side", Subnet: subnet}},
		Services: map[string]*topology.Service{"a": a, "b": b}}
	if _, err := e.Up(ctx, top, engine.UpOptions{WaitTimeout: time.Minute}); err != nil {
		t.Fatalf("up: %v", err)
	}
	if links := inspect(t, cli, project+"-b-1").NetworkSettings.Networks[project+"-net"].Links; !slices.Equal(links, []string{project + "-a-1:linked-a"}) {
		t.Errorf("b's links on the default network: %v", links)
	}
	checkCalls(t, e, project, "b", "a")
	if _, err := e.Break(ctx, project, []engine.Target{{Service: "a"}}, engine.BreakOptions{Mode: engine.ModeDisconnect}); err != nil {
		t.Fatalf("break: %v", err)
	}
	if nets := inspect(t, cli, project+"-a-1").NetworkSettings.Networks; len(nets) != 0 {
		t.Errorf("after disconnect a is still on %v", nets)
	}
	rows, _ := e.PS(ctx, project)
	if len(rows) != 2 || rows[0].Fault != engine.FaultDisconnected || rows[1].Fault != engine.FaultNone {
		t.Errorf("ps after disconnect: %+v", rows)
	}
	if _, err := e.Heal(ctx, project, nil, engine.HealOptions{WaitTimeout: 30 * time.Second}); err != nil {
		t.Fatalf("heal: %v", err)
	}
	nets := inspect(t, cli, project+"-a-1").NetworkSettings.Networks
	def, side := nets[project+"-net"], nets[project+"-side"]
	if def == nil || side == nil || len(nets) != 2 {
		t.Fatalf("after heal a is on %v", nets)
	}
	if !slices.Contains(def.Aliases, "alpha") || !slices.Contains(def.Aliases, "a") || !slices.Contains(side.Aliases, "a-side") || side.IPAddress != prefix+"20" {
		t.Errorf("after heal: default aliases %v, side aliases %v ip %s", def.Aliases, side.Aliases, side.IPAddress)
	}
	if rows, _ := e.PS(ctx, project); rows[0].Fault != engine.FaultNone {
		t.Errorf("ps after heal: %+v", rows[0])
	}
	checkCalls(t, e, project, "b", "a")
}

// depends_on.dep.restart: when up recreates dep, app is restarted (the
// same container, started again) once dep is ready.
func TestUpRestartsWhatDependsOnARecreatedService(t *testing.T) {
	t.Parallel()
	e, cli := daemon(t)
	project := enginetest.Project(t)
	cleanup(t, e, cli, project)
	ctx := context.Background()
	topo := func(version string) *topology.Topology {
		dep, app, other := linkService("dep"), linkService("app"), linkService("other")
		dep.Environment = map[string]string{"VERSION": version}
		app.DependsOn = map[string]topology.Condition{"dep": topology.ServiceStarted}
		app.RestartWith = []string{"dep"}
		other.DependsOn = map[string]topology.Condition{"dep": topology.ServiceStarted}
		return &topology.Topology{Name: project, Network: topology.Network{Name: project + "-net"},
			Services: map[string]*topology.Service{"dep": dep, "app": app, "other": other}}
	}
	if _, err := e.Up(ctx, topo("1"), engine.UpOptions{WaitTimeout: time.Minute}); err != nil {
		t.Fatalf("up: %v", err)
	}
	before, otherBefore := inspect(t, cli, project+"-app-1"), inspect(t, cli, project+"-other-1")
	res, err := e.Up(ctx, topo("2"), engine.UpOptions{WaitTimeout: time.Minute})
	if err != nil {
		t.Fatalf("second up: %v", err)
	}
	if !slices.Equal(res.Recreated, []string{project + "-dep-1"}) || !slices.Contains(res.Started, project+"-app-1") || slices.Contains(res.Started, project+"-other-1") {
		t.Errorf("second up: recreated %v started %v", res.Recreated, res.Started)
	}
	after, dep := inspect(t, cli, project+"-app-1"), inspect(t, cli, project+"-dep-1")
	if after.ID != before.ID || !parseTime(t, after.State.StartedAt).After(parseTime(t, dep.State.StartedAt)) {
		t.Errorf("app (%s→%s) started at %s, dep at %s: want the same container restarted after dep", before.ID[:12], after.ID[:12], after.State.StartedAt, dep.State.StartedAt)
	}
	if o := inspect(t, cli, project+"-other-1"); o.State.StartedAt != otherBefore.State.StartedAt {
		t.Errorf("other (no restart: true) was restarted")
	}
}

// An external network or volume that does not exist, and an image with no
// variant for the platform asked, fail up with nothing left.
func TestUpRefusesMissingExternalsAndAnAbsentPlatform(t *testing.T) {
	t.Parallel()
	e, cli := daemon(t)
	project := enginetest.Project(t)
	cleanup(t, e, cli, project)
	ctx := context.Background()
	a := linkService("a")
	a.Networks = []topology.NetworkAttach{{Key: "default"}, {Key: "gone"}}
	a.Volumes = []topology.Mount{{Type: topology.MountVolume, Source: "data", Target: "/data"}}
	top := &topology.Topology{Name: project, Network: topology.Network{Name: project + "-net"},
		Networks: map[string]topology.Network{"gone": {Name: project + "-nowhere", External: true}},
		Volumes:  map[string]topology.Volume{"data": {Name: project + "-nodata", External: true}},
		Services: map[string]*topology.Service{"a": a}}
	_, err := e.Up(ctx, top, engine.UpOptions{WaitTimeout: 30 * time.Second})
	for _, want := range []string{"network " + project + "-nowhere is external (networks.gone.external) but does not exist", "volume " + project + "-nodata is external (volumes.data.external) but does not exist"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("up error lacks %q: %v", want, err)
		}
	}
	enginetest.AssertNothingLeft(t, cli, project)

	b := linkService("b")
	b.Platform = "linux/arm64"
	top = &topology.Topology{Name: project, Network: topology.Network{Name: project + "-net"}, Services: map[string]*topology.Service{"b": b}}
	_, err = e.Up(ctx, top, engine.UpOptions{WaitTimeout: 30 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "has no linux/arm64 variant on this engine") {
		t.Errorf("up with platform linux/arm64: %v", err)
	}
	enginetest.AssertNothingLeft(t, cli, project)
}
