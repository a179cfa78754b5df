package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Settling: how long the project must look the same before chainctl trusts
// what it sees, and how long it waits for that at most.
const (
	settleQuiet = time.Second
	settleMax   = 5 * time.Second
)

// settle polls the project's containers, networks and volumes until they
// have not changed for settleQuiet (or settleMax passed).
func (e *Engine) settle(ctx context.Context, project string) error {
	start := time.Now()
	last, since := "", time.Now()
	for {
		sig, err := e.signature(ctx, project)
		if err != nil {
			return err
		}
		if sig != last {
			last, since = sig, time.Now()
		}
		if time.Since(since) >= settleQuiet || time.Since(start) >= settleMax {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * pollInterval):
		}
	}
}

// signature is what the project holds now, as one comparable string.
func (e *Engine) signature(ctx context.Context, project string) (string, error) {
	cs, err := e.containers(ctx, project)
	if err != nil {
		return "", err
	}
	ns, err := e.networks(ctx, project)
	if err != nil {
		return "", err
	}
	vs, err := e.volumes(ctx, project)
	if err != nil {
		return "", err
	}
	var parts []string
	for _, c := range cs {
		netCount := 0
		if c.NetworkSettings != nil {
			netCount = len(c.NetworkSettings.Networks)
		}
		parts = append(parts, fmt.Sprintf("c:%s:%s:%d", c.ID, c.State, netCount))
	}
	for _, n := range ns {
		parts = append(parts, "n:"+n.ID)
	}
	for _, v := range vs {
		parts = append(parts, "v:"+v.Name)
	}
	sort.Strings(parts)
	return strings.Join(parts, ","), nil
}
