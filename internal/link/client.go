// Fetch: asking a chain's entry for its tree, as `chainctl call` does.

package link

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fetch asks the entry of a chain for its tree, as `chainctl call` does.
// When the entry itself cannot be reached the tree is that one failed hop,
// with status 0 (no answer at all) or 504 (it did not answer in time).
func Fetch(ctx context.Context, client *http.Client, base, service string, timeout time.Duration) *Node {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	fail := func(status int, reason string) *Node {
		return &Node{Service: service, Status: status, Error: reason, TookMS: ms(time.Since(start))}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/?format=json", nil)
	if err != nil {
		return fail(0, err.Error())
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set(HeaderBudget, strconv.FormatInt(timeout.Milliseconds(), 10))
	resp, err := client.Do(req)
	if err != nil {
		status, reason := failure(err, timeout)
		if status != http.StatusGatewayTimeout {
			status = 0
		}
		return fail(status, reason)
	}
	defer resp.Body.Close()
	n, err := readTree(resp)
	if err != nil {
		return fail(resp.StatusCode, err.Error())
	}
	return n
}
