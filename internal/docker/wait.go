// Waiting for running and healthy, and saying what was last seen when it does not come.

package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/chainctl/chainctl/internal/engine"
	"github.com/chainctl/chainctl/internal/progress"
)

// readiness is what one look at a container says.
type readiness int

const (
	pending readiness = iota
	ready
	failed
)

// judge decides whether a listed container is running and, when it has a
// healthcheck, healthy. Health shows in the list's Status text, so no
// per-container inspect is needed while waiting.
func judge(c container.Summary, failOnUnhealthy bool) (readiness, string) {
	return judgeAs(c, failOnUnhealthy, false)
}

// judgeAs is judge, and for a one-shot service (oneShot) what its
// dependents wait for: exited 0 is ready, any other exit has failed, and
// running is still pending. Counting a completed one-shot as failed, or
// waiting for it to run, is what compose's --wait gets wrong (compose#10596).
func judgeAs(c container.Summary, failOnUnhealthy, oneShot bool) (readiness, string) {
	if oneShot {
		switch c.State {
		case container.StateExited:
			if code, ok := engine.ExitCode(c); ok && code == 0 {
				return ready, "completed"
			}
			return failed, c.Status
		case container.StateRunning, container.StateCreated, container.StateRestarting:
			return pending, c.State + " (a one-shot: waiting for it to exit 0)"
		}
	}
	switch c.State {
	case container.StateRunning:
		switch {
		case strings.Contains(c.Status, "(healthy)"):
			return ready, "healthy"
		case strings.Contains(c.Status, "(unhealthy)"):
			if !failOnUnhealthy {
				return pending, "unhealthy"
			}
			return failed, "unhealthy"
		case strings.Contains(c.Status, "(health: starting)"):
			return pending, "health: starting"
		}
		return ready, "running"
	case container.StateExited, container.StateDead:
		return failed, c.Status
	case container.StateRemoving:
		return failed, "being removed"
	}
	return pending, c.State
}

// waitReady polls until every container in ids (id → name) has been
// running and healthy, one fails, or timeout passes with none becoming
// ready. The error says what was last seen.
//
// A container counts once it was seen ready: under load its later probes
// may run late and flap it, which is the engine's state, not the service's
// (compose's --wait counts each container once too). The timeout runs from
// the last container that became ready, not from the start: 200 services
// on 2 cores come up steadily but slowly, and a stall is what the timeout
// is for.
//
// A freshly started container that turns unhealthy has failed; one being
// healed (unpaused, reconnected) is unhealthy until its next probe passes,
// so heal waits instead (failOnUnhealthy false). The containers of the
// oneShot services are ready once they exited 0.
func (b *Backend) waitReady(ctx context.Context, project string, ids map[string]string, timeout time.Duration, failOnUnhealthy bool, oneShot map[string]bool) error {
	last := map[string]string{}
	reported := map[string]string{}
	done := map[string]bool{}
	progressed := time.Now()
	var byID map[string]container.Summary
	err := engine.Poll(ctx, engine.PollInterval, time.Now().Add(time.Duration(len(ids)+1)*timeout), func() (bool, error) {
		cs, err := engine.Containers(ctx, b.api, project)
		if err != nil {
			return false, err
		}
		byID = map[string]container.Summary{}
		for _, c := range cs {
			byID[c.ID] = c
		}
		waiting := 0
		for id, name := range ids {
			if done[id] {
				continue
			}
			c, ok := byID[id]
			if !ok {
				return false, fmt.Errorf("%s was removed while chainctl waited for it", name)
			}
			state, seen := judgeAs(c, failOnUnhealthy, oneShot[c.Labels[engine.LabelService]])
			last[name] = seen
			if reported[name] != seen {
				reported[name] = seen
				b.c.Progress.Report(progress.Event{Kind: "container", Resource: name, Status: seen, Done: state == ready, Failed: state == failed})
			}
			switch state {
			case ready:
				done[id] = true
				progressed = time.Now()
			case failed:
				ins, err := b.api.ContainerInspect(ctx, c.ID)
				if err == nil && notFailed(ins) {
					waiting++ // the list was behind, or the engine, not the service, failed the probes: wait
					continue
				}
				return false, explainFailure(c, ins, err, oneShot[c.Labels[engine.LabelService]], func() string { return b.tailLogs(ctx, c, 5) })
			case pending:
				waiting++
			}
		}
		if waiting > 0 && time.Since(progressed) > timeout {
			return false, engine.ErrPollDeadline
		}
		return waiting == 0, nil
	})
	if errors.Is(err, engine.ErrPollDeadline) {
		return b.explainTimeout(ctx, ids, byID, done, last, timeout, oneShot)
	}
	return err
}

// notFailed reports whether a container the list showed as failed is not,
// on a closer look: it runs and is healthy or still starting by now (the
// list, read under load, was behind its inspect), or it is unhealthy only
// through probes the engine could not run in time (timed out, or their
// exec was lost), as when it is saturated, rather than answers the service
// gave. A probe that answered with a failure still fails the up at once.
func notFailed(ins container.InspectResponse) bool {
	if ins.State == nil || !ins.State.Running || ins.State.Health == nil {
		return false
	}
	return ins.State.Health.Status != container.Unhealthy || lateFailures(ins.State.Health.Log)
}

// explainFailure says why a container stopped being a candidate, from its
// inspect (ins, or the error that inspecting it gave): its exit code and
// last log lines (read by logs, only for a container that exited), or its
// last health probe.
func explainFailure(c container.Summary, ins container.InspectResponse, inspectErr error, oneShot bool, logs func() string) error {
	name, svc := engine.NameOf(c), c.Labels[engine.LabelService]
	if inspectErr != nil || ins.State == nil {
		return fmt.Errorf("service %s (%s) failed: %s", svc, name, c.Status)
	}
	if ins.State.Running && ins.State.Health != nil {
		return fmt.Errorf("service %s (%s) is unhealthy: last probe said: %s", svc, name, lastProbe(ins))
	}
	if ins.State.Running || ins.State.Restarting {
		return fmt.Errorf("service %s (%s) failed: %s", svc, name, c.Status)
	}
	code := ins.State.ExitCode
	msg := fmt.Sprintf("service %s (%s) exited with code %d", svc, name, code)
	if oneShot {
		msg = fmt.Sprintf("one-shot service %s (%s) exited with code %d, and its dependents start only once it exits 0", svc, name, code)
	}
	if ins.State.Error != "" {
		msg += ": " + ins.State.Error
	}
	if tail := logs(); tail != "" {
		msg += "; last log lines:\n" + tail
	}
	return errors.New(msg)
}

// lateFailures: every probe since the last one that passed failed for
// lack of time, not on the service's word.
func lateFailures(log []*container.HealthcheckResult) bool {
	failing := 0
	for i := len(log) - 1; i >= 0 && log[i].ExitCode != 0; i-- {
		out := log[i].Output
		late := log[i].ExitCode == -1 || strings.Contains(out, "exceeded timeout") ||
			strings.Contains(out, "context deadline exceeded") || strings.Contains(out, "no such exec")
		if !late {
			return false
		}
		failing++
	}
	return failing > 0
}

func (b *Backend) explainTimeout(ctx context.Context, ids map[string]string, byID map[string]container.Summary, done map[string]bool, last map[string]string, timeout time.Duration, oneShot map[string]bool) error {
	var msgs []string
	for id, name := range ids {
		c := byID[id]
		if done[id] {
			continue
		}
		msg := fmt.Sprintf("service %s (%s) not ready, and no service became ready in %s: last seen %s", c.Labels[engine.LabelService], name, timeout, last[name])
		if ins, err := b.api.ContainerInspect(ctx, id); err == nil && ins.State != nil && ins.State.Health != nil {
			msg += "; last probe said: " + lastProbe(ins)
		}
		msgs = append(msgs, msg)
	}
	sort.Strings(msgs)
	return errors.New(strings.Join(msgs, "\n"))
}

func lastProbe(ins container.InspectResponse) string {
	logs := ins.State.Health.Log
	if len(logs) == 0 {
		return "(no probe has run yet)"
	}
	l := logs[len(logs)-1]
	out := strings.TrimSpace(l.Output)
	if out == "" {
		out = "(no output)"
	}
	return fmt.Sprintf("exit %d: %s", l.ExitCode, out)
}

// tailLogs returns the container's last n log lines, indented.
func (b *Backend) tailLogs(ctx context.Context, c container.Summary, n int) string {
	rc, err := b.api.ContainerLogs(ctx, c.ID, container.LogsOptions{ShowStdout: true, ShowStderr: true, Tail: fmt.Sprint(n)})
	if err != nil {
		return ""
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := stdcopy.StdCopy(&buf, &buf, multiplexed(c, rc)); err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	for i := range lines {
		lines[i] = "  " + lines[i]
	}
	return strings.Join(lines, "\n")
}
