// Log drivers and chainctl logs: the error that says what to do when the engine cannot read a container's logs back.

package docker

import (
	"fmt"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"

	"github.com/chainctl/chainctl/internal/engine"
)

// readableLogDrivers are the drivers the engine reads logs back from
// itself. Others are read through its dual-logging cache (Engine 20.10
// and later) unless cache-disabled is set; none never is.
var readableLogDrivers = []string{"json-file", "local", "journald"}

// logsError is the error of ContainerLogs on the container c. When the
// container's log driver keeps nothing the engine can read back, it says
// so, names the driver and what to set instead.
func logsError(c container.Summary, err error) error {
	name := engine.NameOf(c)
	if !cerrdefs.IsNotImplemented(err) && !strings.Contains(err.Error(), "does not support reading") {
		return fmt.Errorf("logs of %s: %w", name, err)
	}
	driver, service := "the engine's default", c.Labels[engine.LabelService]
	if svc := engine.ServiceSpec(c); svc != nil && svc.Logging != nil && svc.Logging.Driver != "" {
		driver = svc.Logging.Driver
	}
	return fmt.Errorf("logs of %s: its log driver (%s) keeps nothing the engine can read back, and chainctl logs reads through the engine: "+
		"set service %s's logging.driver to %s (or leave the engine's dual-logging cache on), then up again: %w",
		name, driver, service, strings.Join(readableLogDrivers, ", "), err)
}
