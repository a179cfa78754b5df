// Tests against the real daemon that up starts services by depends_on, and rolls back an unhealthy dependency.

package docker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/enginetest"
	"github.com/chainctl/chainctl/internal/topology"
)

// startedAt reads when a project's container started, and when its first
// passing health probe ended, through the API.
func startedAt(t *testing.T, cli *client.Client, name string) (started, healthy time.Time) {
	t.Helper()
	ins, err := cli.ContainerInspect(context.Background(), name)
	if err != nil {
		t.Fatalf("inspect %s: %v", name, err)
	}
	started, err = time.Parse(time.RFC3339Nano, ins.State.StartedAt)
	if err != nil {
		t.Fatalf("%s StartedAt %q: %v", name, ins.State.StartedAt, err)
	}
	if h := ins.State.Health; h != nil {
		for _, probe := range h.Log {
			if probe.ExitCode == 0 {
				return started, probe.End
			}
		}
	}
	return started, time.Time{}
}

// depends_on orders starts (service_started: after the dependency runs;
// service_healthy: after its first passing probe); calls alone do not hold
// a caller back, and up still returns with every service healthy.
func TestStartFollowsDependsOn(t *testing.T) {
	t.Parallel()
	e, cli := daemon(t)
	project := enginetest.Project(t)
	cleanup(t, e, cli, project)
	topo := chain(project) // a → b → c by calls only
	topo.Services["d"] = &topology.Service{Name: "d", Image: linkImage, Replicas: 1,
		DependsOn: map[string]topology.Condition{"c": topology.ServiceHealthy, "a": topology.ServiceStarted},
		Healthcheck: &topology.Healthcheck{Test: []string{"CMD", "/link", "-health"},
			Interval: topology.Duration(500 * time.Millisecond), Timeout: topology.Duration(time.Second), Retries: 3}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := e.Up(ctx, topo, engine.UpOptions{}); err != nil {
		t.Fatalf("up: %v", err)
	}
	aStart, _ := startedAt(t, cli, engine.ContainerName(project, "a", 1))
	_, cHealthy := startedAt(t, cli, engine.ContainerName(project, "c", 1))
	dStart, _ := startedAt(t, cli, engine.ContainerName(project, "d", 1))
	if cHealthy.IsZero() {
		t.Fatalf("c has no passing probe on record")
	}
	if !dStart.After(cHealthy) {
		t.Errorf("d (depends_on c: service_healthy) started at %s, before c's first passing probe at %s", dStart, cHealthy)
	}
	if !dStart.After(aStart) {
		t.Errorf("d (depends_on a: service_started) started at %s, before a at %s", dStart, aStart)
	}
	rows, err := e.PS(ctx, project)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("ps: %d rows, want 4", len(rows))
	}
	for _, r := range rows {
		if r.State != "running" || r.Health != "healthy" {
			t.Errorf("%s: %s/%s after up, want running/healthy", r.Container, r.State, r.Health)
		}
	}
}

// A dependency that never gets healthy fails up with its own last probe,
// its dependent is never started, and the rollback leaves nothing.
func TestUnhealthyDependencyFailsUpAndRollsBack(t *testing.T) {
	t.Parallel()
	e, cli := daemon(t)
	project := enginetest.Project(t)
	cleanup(t, e, cli, project)
	topo := chain(project)
	topo.Services["c"].Healthcheck = &topology.Healthcheck{Test: []string{"CMD", "/link", "-no-such-flag"},
		Interval: topology.Duration(300 * time.Millisecond), Timeout: topology.Duration(time.Second), Retries: 2}
	topo.Services["b"].DependsOn = map[string]topology.Condition{"c": topology.ServiceHealthy}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err := e.Up(ctx, topo, engine.UpOptions{WaitTimeout: 20 * time.Second})
	if err == nil {
		t.Fatal("up succeeded with a dependency that is never healthy")
	}
	msg := err.Error()
	if !strings.Contains(msg, "service c") || !strings.Contains(msg, "unhealthy") {
		t.Errorf("error should name c and say it is unhealthy: %v", err)
	}
	if strings.Contains(msg, "not started: its dependency") {
		t.Errorf("error should report the cause, not the dependents that did not start: %v", err)
	}
	enginetest.AssertNothingLeft(t, cli, project)
}
