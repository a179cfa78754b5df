// Tests on recording fakes of the engine: removeAll takes endpoints off each network two at a time before the stop, and a start is tried again while a restarted engine clears a stale task.

package docker

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/progress"
)

// recordingAPI answers the calls removeAll makes and records their order;
// any other call panics (the embedded interface is nil).
type recordingAPI struct {
	api
	mu          sync.Mutex
	inFlight    map[string]int  // network → disconnects in flight
	most        map[string]int  // network → the most at once
	off         map[string]int  // container → networks left
	stoppedOn   map[string]int  // container → networks it had left when stopped
	removed     map[string]bool // container → removed
	removedLive []string        // removed while still running
	stopped     map[string]bool
}

func (f *recordingAPI) NetworkDisconnect(_ context.Context, nw, id string, _ bool) error {
	f.mu.Lock()
	f.inFlight[nw]++
	f.most[nw] = max(f.most[nw], f.inFlight[nw])
	f.mu.Unlock()
	time.Sleep(2 * time.Millisecond) // long enough for others to pile up if they could
	f.mu.Lock()
	f.inFlight[nw]--
	f.off[id]++
	f.mu.Unlock()
	return nil
}

func (f *recordingAPI) ContainerStop(_ context.Context, id string, _ container.StopOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stoppedOn[id] = f.off[id]
	f.stopped[id] = true
	return nil
}

func (f *recordingAPI) ContainerInspect(_ context.Context, id string) (container.InspectResponse, error) {
	return container.InspectResponse{ContainerJSONBase: &container.ContainerJSONBase{ID: id, State: &container.State{}}}, nil
}

func (f *recordingAPI) ContainerRemove(_ context.Context, id string, _ container.RemoveOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.stopped[id] {
		f.removedLive = append(f.removedLive, id)
	}
	f.removed[id] = true
	return nil
}

func TestRemoveAllTakesEndpointsOffTwoAtATimeBeforeTheStop(t *testing.T) {
	f := &recordingAPI{inFlight: map[string]int{}, most: map[string]int{}, off: map[string]int{},
		stoppedOn: map[string]int{}, removed: map[string]bool{}, stopped: map[string]bool{}}
	b := &Backend{c: &engine.Conn{Progress: progress.Discard}, api: f}
	var cs []container.Summary
	nets := map[string]int{}
	for i := 0; i < 30; i++ {
		c := container.Summary{ID: fmt.Sprintf("c%02d", i), Names: []string{fmt.Sprintf("/p-s%02d-1", i)}, State: container.StateRunning,
			Status: "Up 1 minute (healthy)", NetworkSettings: &container.NetworkSettingsSummary{Networks: map[string]*network.EndpointSettings{"p-net": {}}}}
		if i%3 == 0 {
			c.NetworkSettings.Networks["p-back"] = &network.EndpointSettings{}
		}
		nets[c.ID] = len(c.NetworkSettings.Networks)
		cs = append(cs, c)
	}
	// One that shares another's namespace has no endpoint to take off, and one that exited has none left.
	shared := container.Summary{ID: "shared", Names: []string{"/p-side-1"}, State: container.StateRunning,
		NetworkSettings: &container.NetworkSettingsSummary{Networks: map[string]*network.EndpointSettings{"p-net": {}}}}
	shared.HostConfig.NetworkMode = "container:c00"
	exited := container.Summary{ID: "exited", Names: []string{"/p-job-1"}, State: container.StateExited}
	cs = append(cs, shared, exited)

	if err := b.removeAll(context.Background(), cs, nil); err != nil {
		t.Fatal(err)
	}
	for nw, most := range f.most {
		if most > endpointsAtOnce {
			t.Errorf("%d disconnects were in flight at once on %s, want at most %d", most, nw, endpointsAtOnce)
		}
	}
	if f.most["p-net"] == 0 || f.most["p-back"] == 0 {
		t.Errorf("disconnects seen: %v, want both networks", f.most)
	}
	for _, c := range cs[:30] {
		if !f.removed[c.ID] {
			t.Errorf("%s was not removed", c.ID)
		}
		if f.stoppedOn[c.ID] != nets[c.ID] {
			t.Errorf("%s was stopped once off %d of its %d networks, want all of them first", c.ID, f.stoppedOn[c.ID], nets[c.ID])
		}
	}
	if f.off["shared"] != 0 || f.off["exited"] != 0 || !f.removed["shared"] || !f.removed["exited"] {
		t.Errorf("shared-namespace and exited containers: disconnected %d and %d times (want 0), removed %v and %v (want both)",
			f.off["shared"], f.off["exited"], f.removed["shared"], f.removed["exited"])
	}
	if len(f.removedLive) > 1 || (len(f.removedLive) == 1 && f.removedLive[0] != "exited") {
		t.Errorf("removed without a stop first: %v (only the exited one needs none)", f.removedLive)
	}
}

// flakyStart refuses the first starts as a restarted dockerd does while it
// clears the tasks its containerd kept.
type flakyStart struct {
	api
	refusals, calls int
	err             error
}

func (f *flakyStart) ContainerStart(context.Context, string, container.StartOptions) error {
	f.calls++
	if f.calls <= f.refusals {
		return f.err
	}
	return nil
}

func TestStartIsTriedAgainWhileTheEngineClearsAStaleTask(t *testing.T) {
	stale := fmt.Errorf("Error response from daemon: task fff7ba2d6c71: already exists")
	f := &flakyStart{refusals: 2, err: stale}
	b := &Backend{c: &engine.Conn{Progress: progress.Discard, CallTimeout: time.Second}, api: f}
	if err := b.startOnce(context.Background(), "fff7ba2d6c71"); err != nil || f.calls != 3 {
		t.Errorf("start after two stale-task refusals: %v after %d calls, want success on the 3rd", err, f.calls)
	}
	other := &flakyStart{refusals: 1, err: fmt.Errorf("Error response from daemon: driver failed programming external connectivity: port is already allocated")}
	b.api = other
	if err := b.startOnce(context.Background(), "x"); err == nil || other.calls != 1 {
		t.Errorf("any other refusal: %v after %d calls, want it returned at once", err, other.calls)
	}
}
