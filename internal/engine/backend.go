// The Backend interface: the verbs every kind of engine implements, and the kinds there are.

package engine

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/chainctl/chainctl/internal/topology"
)

// Backend runs a project on one kind of engine: plain containers on one
// Docker Engine (package docker) or services on a Docker Swarm (package
// swarm). The command line holds a Backend and never knows which one it
// drives.
type Backend interface {
	Kind() string
	Up(ctx context.Context, t *topology.Topology, opts UpOptions) (*UpResult, error)
	Down(ctx context.Context, project string, opts DownOptions) (*DownResult, error)
	PS(ctx context.Context, project string) ([]ContainerStatus, error)
	Logs(ctx context.Context, project string, opts LogsOptions, w io.Writer) error
	Break(ctx context.Context, project string, targets []Target, opts BreakOptions) (*BreakResult, error)
	Heal(ctx context.Context, project string, services []string, opts HealOptions) (*HealResult, error)
	Partition(ctx context.Context, project string, groups [][]string, oneWay bool) (*PartitionResult, error)
	Endpoint(ctx context.Context, project, service string) (string, string, error)
	BreakModes() []Mode
}

// Backend kinds, as `--engine` names them.
const (
	KindDocker = "docker"
	KindSwarm  = "swarm"
)

// Kinds lists the backends `--engine` accepts.
var Kinds = []string{KindDocker, KindSwarm}

// Mode is one fault a backend can inject, and what it does there.
type Mode struct {
	Name string
	Help string
}

// ModeNames lists the names of modes.
func ModeNames(modes []Mode) []string {
	out := make([]string, len(modes))
	for i, m := range modes {
		out[i] = m.Name
	}
	return out
}

// CheckMode says which modes a backend supports when asked for another.
func CheckMode(kind, mode string, modes []Mode) error {
	for _, m := range modes {
		if m.Name == mode {
			return nil
		}
	}
	return fmt.Errorf("break mode %q is not supported on %s (modes there: %s)", mode, kind, strings.Join(ModeNames(modes), ", "))
}
