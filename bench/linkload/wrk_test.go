// Tests of reading wrk's --latency report.

package main

import (
	"testing"
	"time"
)

func TestParseWrk(t *testing.T) {
	out := `Running 10s test @ http://127.0.0.1:32800/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.20ms  812.00us  20.01ms   90.00%
    Req/Sec     6.80k   300.00     7.20k    70.00%
  Latency Distribution
     50%  812.00us
     75%    1.50ms
     90%    2.25ms
     99%    1.02s
  135310 requests in 10.00s, 20.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  13531.00
Transfer/sec:      2.00MB
`
	r, err := parseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.requests != 135310 || r.elapsed != 10*time.Second || r.p50 != 812*time.Microsecond || r.p90 != 2250*time.Microsecond || r.p99 != 1020*time.Millisecond || r.errors != 7 {
		t.Errorf("parsed %+v", r)
	}
	if _, err := parseWrk("unable to connect"); err == nil {
		t.Error("no error for output without a request count")
	}
}
