// Probe: `link -health`, the HEALTHCHECK of an image without a shell.

package link

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Probe asks url for 200 within timeout: `link -health`, the HEALTHCHECK of
// an image that has no shell and no curl. The error says what the probe
// saw; Docker keeps it in the container's health log.
func Probe(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %s", url, Classify(err))
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d", url, resp.StatusCode)
	}
	return nil
}
