// The floor: a chain of n link containers made and removed with the bare Engine API calls, for chainctl to be compared with.

package main

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	"github.com/docker/go-connections/nat"

	"github.com/chainctl/chainctl/bench/chain"
)

// The floor: the same Engine API calls chainctl makes for a chain of n link
// services (network, volumes, create, start; and teardown), with nothing
// else in the way. Parallel: one goroutine per service; sequential: one
// call after another.

const floorLabel = "io.chainctl.bench-floor"

// With health false the image's healthcheck is off, as in the chainctl
// and compose runs it is compared with: at large N the probes' execs load
// the engine while it starts containers.
func floorUp(ctx context.Context, cli *client.Client, project string, n, basePort int, parallel, health bool) error {
	net := project + "-net"
	if _, err := cli.NetworkCreate(ctx, net, network.CreateOptions{Driver: "bridge", Labels: map[string]string{floorLabel: project}}); err != nil {
		return err
	}
	ids := make([]string, n)
	err := each(n, parallel, func(i int) error {
		svc := serviceName(i)
		vol := project + "-" + svc + "-data"
		if _, err := cli.VolumeCreate(ctx, volume.CreateOptions{Name: vol, Labels: map[string]string{floorLabel: project}}); err != nil {
			return err
		}
		env := []string{"CHAINCTL_SERVICE=" + svc}
		if i+1 < n {
			env = append(env, "NEXT="+serviceName(i+1)+":8080")
		}
		port := nat.Port("8080/tcp")
		cfg := &container.Config{Image: linkImage, Env: env, ExposedPorts: nat.PortSet{port: {}}, Labels: map[string]string{floorLabel: project}}
		if !health {
			cfg.Healthcheck = &container.HealthConfig{Test: []string{"NONE"}}
		} else {
			cfg.Healthcheck = scaleProbe(n) // nil: the image's own, as in the chainctl topology
		}
		resp, err := cli.ContainerCreate(ctx, cfg,
			&container.HostConfig{
				NetworkMode:  container.NetworkMode(net),
				PortBindings: nat.PortMap{port: {{HostIP: "127.0.0.1", HostPort: strconv.Itoa(basePort + i)}}},
				Mounts:       []mount.Mount{{Type: mount.TypeVolume, Source: vol, Target: "/data"}},
			},
			&network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{net: {Aliases: []string{svc}}}},
			nil, project+"-"+svc+"-1")
		ids[i] = resp.ID
		return err
	})
	if err != nil {
		return err
	}
	// Callees first, as a dependency-ordered start would; each start is one call.
	return each(n, parallel, func(i int) error {
		return cli.ContainerStart(ctx, ids[n-1-i], container.StartOptions{})
	})
}

// floorWaitHealthy polls one list call until every container has been
// seen healthy (once each: at scale a probe that runs late flaps a healthy
// container, and chainctl counts each container once too).
func floorWaitHealthy(ctx context.Context, cli *client.Client, project string, n int) error {
	f := filters.NewArgs(filters.Arg("label", floorLabel+"="+project), filters.Arg("health", "healthy"))
	seen := map[string]bool{}
	for {
		cs, err := cli.ContainerList(ctx, container.ListOptions{Filters: f})
		if err != nil {
			return err
		}
		for _, c := range cs {
			seen[c.ID] = true
		}
		if len(seen) == n {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func floorDown(ctx context.Context, cli *client.Client, project string, parallel bool) error {
	f := filters.NewArgs(filters.Arg("label", floorLabel+"="+project))
	cs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return err
	}
	if err := each(len(cs), parallel, func(i int) error {
		if err := cli.ContainerStop(ctx, cs[i].ID, container.StopOptions{}); err != nil {
			return err
		}
		return cli.ContainerRemove(ctx, cs[i].ID, container.RemoveOptions{RemoveVolumes: true})
	}); err != nil {
		return err
	}
	if err := cli.NetworkRemove(ctx, project+"-net"); err != nil {
		return err
	}
	vs, err := cli.VolumeList(ctx, volume.ListOptions{Filters: f})
	if err != nil {
		return err
	}
	return each(len(vs.Volumes), parallel, func(i int) error {
		return cli.VolumeRemove(ctx, vs.Volumes[i].Name, false)
	})
}

// each runs fn for 0..n-1, at once or in order.
func each(n int, parallel bool, fn func(int) error) error {
	if !parallel {
		for i := 0; i < n; i++ {
			if err := fn(i); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func serviceName(i int) string { return chain.ServiceName(i) }
