// Settling: after a chainctl was killed mid-change, wait until its engine calls have landed.

package engine

import (
	"context"
	"errors"
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
func (c *Conn) settle(ctx context.Context, project string) error {
	last, since := "", time.Now()
	err := Poll(ctx, 2*PollInterval, time.Now().Add(settleMax), func() (bool, error) {
		sig, err := c.signature(ctx, project)
		if err != nil {
			return false, err
		}
		if sig != last {
			last, since = sig, time.Now()
		}
		return time.Since(since) >= settleQuiet, nil
	})
	if errors.Is(err, ErrPollDeadline) {
		return nil // still changing after settleMax: go on with what is there
	}
	return err
}

// signature is what the project holds now, as one comparable string.
func (c *Conn) signature(ctx context.Context, project string) (string, error) {
	cs, err := Containers(ctx, c.API, project)
	if err != nil {
		return "", err
	}
	ns, err := Networks(ctx, c.API, project)
	if err != nil {
		return "", err
	}
	vs, err := Volumes(ctx, c.API, project)
	if err != nil {
		return "", err
	}
	var parts []string
	for _, ct := range cs {
		netCount := 0
		if ct.NetworkSettings != nil {
			netCount = len(ct.NetworkSettings.Networks)
		}
		parts = append(parts, fmt.Sprintf("c:%s:%s:%d", ct.ID, ct.State, netCount))
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
