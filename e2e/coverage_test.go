// End-to-end coverage of what no other e2e file drives: logs -f, call --watch, progress formats, kept volumes, --keep-on-failure, network options, port forms and bind mounts.

package e2e

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// covHealth is a quick healthcheck of the link image, in flow style.
const covHealth = `{test: ["CMD", "/link", "-health"], interval: 500ms, timeout: 1s, retries: 3}`

// covStart starts chainctl with args, its output in buffers the test reads
// while it runs; the process is killed at the end if the test left it running.
func covStart(t *testing.T, args ...string) (*exec.Cmd, *syncWriter, *syncWriter) {
	t.Helper()
	cmd := exec.Command(chainctlBin, args...)
	var out, errb syncWriter
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd, &out, &errb
}

// covInterrupt sends SIGINT and returns the exit code and how long the process
// took to exit; it fails the test past within.
func covInterrupt(t *testing.T, cmd *exec.Cmd, within time.Duration) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("wait: %v", err)
		}
		return code, time.Since(start)
	case <-time.After(within):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("still running %s after SIGINT", within)
		return 0, 0
	}
}

func TestCoverageLogsFollowAndCtrlC(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, fastChain))
	url := endpoint(t, p, "a")
	cmd, out, errb := covStart(t, "logs", "-f", "-p", p, "a")
	// The first marker shows the stream is attached (from the dump or the
	// follow); the second is sent after that, so only following can show it.
	for _, marker := range []string{"first", "second"} {
		if status, body, err := get(url + "/?m=" + marker); err != nil || status != 200 {
			t.Fatalf("GET /?m=%s: %d %q %v", marker, status, body, err)
		}
		eventually(t, 10*time.Second, "a's log line for "+marker+" in logs -f", func() (bool, string) {
			return strings.Contains(out.String(), "a-1 | ") && strings.Contains(out.String(), "GET /?m="+marker+" 200"), out.String()
		})
	}
	code, took := covInterrupt(t, cmd, 5*time.Second)
	t.Logf("logs -f exited %d %s after SIGINT", code, took.Round(time.Millisecond))
	if code != 0 || took > 2*time.Second {
		t.Errorf("logs -f after SIGINT: exit %d in %s, want 0 within 2s; stderr: %s", code, took, errb.String())
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if line != "" && !strings.HasPrefix(line, "a-1 | ") {
			t.Errorf("logs -f a printed a line not a's: %q", line)
		}
	}
}

var (
	covWatchLine    = regexp.MustCompile(`^(\d\d:\d\d:\d\d\.\d{3})  +(\d+)  (ok|BROKEN) +(.*)$`)
	covWatchSummary = regexp.MustCompile(`^(\d+) calls, (\d+) failed; first failure (\S+), recovered (\S+) \((\S+) later\)$`)
)

func TestCoverageCallWatchSummary(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, fastChain))
	cmd, out, errb := covStart(t, "call", "--watch", "--interval", "100ms", "-p", p)
	count := func(status string) int { return strings.Count(out.String(), "  "+status+"  ") }
	eventually(t, 10*time.Second, "3 ok lines", func() (bool, string) { return count("ok") >= 3, out.String() })
	mustChainctl(t, "break", "-q", "-p", p, "c")
	eventually(t, 10*time.Second, "3 BROKEN lines", func() (bool, string) { return count("BROKEN") >= 3, out.String() })
	mustChainctl(t, "heal", "-q", "-p", p, "c")
	eventually(t, 15*time.Second, "an ok line after the BROKEN ones", func() (bool, string) {
		s := out.String()
		return strings.Contains(s[strings.LastIndex(s, "BROKEN"):], "  ok  "), s
	})
	code, _ := covInterrupt(t, cmd, 5*time.Second)
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if code != 0 || len(lines) < 3 || lines[len(lines)-2] != "" {
		t.Fatalf("call --watch after SIGINT: exit %d, want 0 and a summary after a blank line:\n%s\nstderr: %s", code, out.String(), errb.String())
	}
	var calls, failed int
	var firstFailure, recovered string // recovered: the last ok line after a BROKEN one
	var stamps []time.Time
	broken, statuses := false, map[string]int{}
	for _, l := range lines[:len(lines)-2] {
		m := covWatchLine.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("not a watch line: %q", l)
		}
		at, _ := time.Parse("15:04:05.000", m[1])
		stamps = append(stamps, at)
		calls++
		switch {
		case m[3] == "BROKEN":
			failed++
			if firstFailure == "" {
				firstFailure = m[1]
			}
			broken = true
			statuses[m[2]]++
			// 502 while c is gone; 504 when a call meets c coming back (its
			// connect can go unanswered until b's TIMEOUT while c comes up).
			if (m[2] != "502" && m[2] != "504") || !strings.Contains(m[4], "c ✗") {
				t.Errorf("BROKEN line %q: want a 502 or 504 that names c", l)
			}
		case broken:
			recovered, broken = m[1], false
		}
	}
	sum := covWatchSummary.FindStringSubmatch(lines[len(lines)-1])
	if sum == nil {
		t.Fatalf("summary %q: want N calls, M failed; first failure T, recovered T (D later)", lines[len(lines)-1])
	}
	if sum[1] != strconv.Itoa(calls) || sum[2] != strconv.Itoa(failed) || sum[3] != firstFailure || sum[4] != recovered {
		t.Errorf("summary %q; the lines show %d calls, %d failed, first failure %s, recovered %s", sum[0], calls, failed, firstFailure, recovered)
	}
	f, _ := time.Parse("15:04:05.000", firstFailure)
	r, _ := time.Parse("15:04:05.000", recovered)
	// The lines show times cut to the millisecond, the summary rounds.
	if later, err := time.ParseDuration(sum[5]); err != nil || later-r.Sub(f) > time.Millisecond || r.Sub(f)-later > time.Millisecond {
		t.Errorf("summary says %s later; the lines %s apart", sum[5], r.Sub(f))
	}
	// Calls start on a 100 ms ticker (a slow one drops ticks), so the mean
	// gap is not under it; the median is far from the 500 ms default.
	var gaps []time.Duration
	for i := 1; i < len(stamps); i++ {
		gaps = append(gaps, stamps[i].Sub(stamps[i-1]))
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
	mean, median := stamps[len(stamps)-1].Sub(stamps[0])/time.Duration(len(gaps)), gaps[len(gaps)/2]
	t.Logf("%s; BROKEN by status %v; gaps between calls: mean %s, median %s", sum[0], statuses, mean.Round(time.Millisecond), median)
	if mean < 90*time.Millisecond || median > 300*time.Millisecond {
		t.Errorf("with --interval 100ms the calls are %s apart on average, %s in the median", mean, median)
	}
}

// covEvent mirrors progress.Event as --progress json writes it.
type covEvent struct {
	Time     time.Time `json:"time"`
	Kind     string    `json:"kind"`
	Resource string    `json:"resource"`
	Status   string    `json:"status"`
	Detail   string    `json:"detail"`
	Done     bool      `json:"done"`
	Failed   bool      `json:"failed"`
}

// covUpResources are what an up of fastChain must report on.
func covUpResources(p string) []string {
	return []string{"network " + p + "-net", "volume " + p + "-c-data", "container " + p + "-a-1", "container " + p + "-b-1", "container " + p + "-c-1"}
}

func TestCoverageProgressJSON(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	start := time.Now()
	up := mustChainctl(t, "up", "--progress", "json", writeTopology(t, p, fastChain))
	end := time.Now()
	last := map[string]covEvent{}
	for i, line := range strings.Split(strings.TrimRight(up.stderr, "\n"), "\n") {
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		var e covEvent
		if err := dec.Decode(&e); err != nil || dec.More() {
			t.Fatalf("stderr line %d is not one progress event (%v): %q", i+1, err, line)
		}
		if e.Kind == "" || !strings.HasPrefix(e.Resource, p+"-") || e.Status == "" || e.Time.Before(start) || e.Time.After(end) {
			t.Errorf("line %d: want kind, a resource of %s, a status and a time within the run: %q", i+1, p, line)
		}
		last[e.Kind+" "+e.Resource] = e
	}
	for _, res := range covUpResources(p) {
		want := "created"
		if strings.HasPrefix(res, "container") {
			want = "healthy"
		}
		if e := last[res]; e.Status != want || !e.Done || e.Failed {
			t.Errorf("%s: last event %+v, want %s and done", res, e, want)
		}
	}
}

var covPlainLine = regexp.MustCompile(`^(network|volume|container|project) +(\S+) +(\S.*?) +\d+\.\d\ds$`)

func TestCoverageProgressPlain(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	up := mustChainctl(t, "up", "--progress", "plain", writeTopology(t, p, fastChain))
	seen := map[string][]string{}
	for i, line := range strings.Split(strings.TrimRight(up.stderr, "\n"), "\n") {
		m := covPlainLine.FindStringSubmatch(line)
		if m == nil || !strings.HasPrefix(m[2], p+"-") || !strings.HasPrefix(line, fmt.Sprintf("%-9s %-28s ", m[1], m[2])) {
			t.Fatalf("stderr line %d is not `KIND(9) RESOURCE(28) STATUS  S.SSs`: %q", i+1, line)
		}
		seen[m[1]+" "+m[2]] = append(seen[m[1]+" "+m[2]], m[3])
	}
	for _, res := range covUpResources(p) {
		if s := seen[res]; len(s) == 0 || (strings.HasPrefix(res, "container") && s[len(s)-1] != "healthy") {
			t.Errorf("%s: statuses %q", res, s)
		}
	}
}

// covVolumeCreated is the CreatedAt of a volume, or "" if there is none.
func covVolumeCreated(name string) string {
	out, err := exec.Command("docker", "volume", "inspect", "-f", "{{.CreatedAt}}", name).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func covSpecVolumes(t *testing.T, p string) string {
	return docker(t, "volume", "ls", "-q", "--filter", "label=io.chainctl.project="+p, "--filter", "label=io.chainctl.spec")
}

// covReadFile reads one file out of a container through docker cp.
func covReadFile(t *testing.T, container, path string) string {
	t.Helper()
	out, err := exec.Command("docker", "cp", container+":"+path, "-").Output()
	if err != nil {
		t.Fatalf("docker cp %s:%s: %v", container, path, err)
	}
	tr := tar.NewReader(strings.NewReader(string(out)))
	if _, err := tr.Next(); err != nil {
		t.Fatalf("docker cp %s:%s: %v", container, path, err)
	}
	b, _ := io.ReadAll(tr)
	return string(b)
}

func TestCoverageKeepVolumes(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	path := writeTopology(t, p, fastChain)
	mustChainctl(t, "up", "-q", path)
	vol := p + "-c-data"
	if covSpecVolumes(t, p) == "" {
		t.Fatalf("after up: no topology record")
	}
	// Data in c's volume (the image has no shell: docker cp writes it).
	marker := filepath.Join(t.TempDir(), "marker")
	if err := os.WriteFile(marker, []byte(p), 0o644); err != nil {
		t.Fatal(err)
	}
	docker(t, "cp", marker, p+"-c-1:/data/marker")
	// The local driver's CreatedAt is the ctime of the volume's _data, so it
	// is read after the write: it moves with every file made in it.
	created := covVolumeCreated(vol)
	if created == "" {
		t.Fatalf("volume %s: no CreatedAt", vol)
	}
	down := mustChainctl(t, "down", "-q", "--keep-volumes", "-p", p)
	if !strings.Contains(down.stdout, "removed 3 containers, 1 networks, 1 volumes") {
		t.Errorf("down --keep-volumes: %s", down)
	}
	if c := docker(t, "ps", "-aq", "--filter", "label=io.chainctl.project="+p); c != "" {
		t.Errorf("containers left by down --keep-volumes: %s", c)
	}
	if got := covVolumeCreated(vol); got != created {
		t.Errorf("after down --keep-volumes %s created %q, want %q (kept)", vol, got, created)
	}
	if s := covSpecVolumes(t, p); s != "" {
		t.Errorf("the topology record %s outlived down --keep-volumes", s)
	}
	mustChainctl(t, "up", "-q", path)
	if got := covVolumeCreated(vol); got != created {
		t.Errorf("after the second up %s created %q, want %q (reused)", vol, got, created)
	}
	if src := docker(t, "inspect", "-f", `{{range .Mounts}}{{if eq .Destination "/data"}}{{.Name}}{{end}}{{end}}`, p+"-c-1"); src != vol {
		t.Errorf("c's /data is %q, want %s", src, vol)
	}
	if got := covReadFile(t, p+"-c-1", "/data/marker"); got != p {
		t.Errorf("/data/marker after down --keep-volumes and up: %q, want %q", got, p)
	}
}

func TestCoverageKeepOnFailure(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	bad := strings.Replace(fastChain, "  c: {image: chainctl/link:latest,", "  c: {image: chainctl/link:latest, command: [\"-no-such-flag\"],", 1)
	r := chainctl(t, "up", "-q", "--keep-on-failure", writeTopology(t, p, bad))
	if r.code != 1 || !strings.Contains(r.stderr, "service c") || !strings.Contains(r.stderr, "exited with code 2") {
		t.Errorf("up --keep-on-failure: want exit 1 naming c's exit code: %s", r)
	}
	rows := ps(t, p)
	if len(rows) != 3 {
		t.Fatalf("ps after a kept failure: %+v, want a, b and c", rows)
	}
	if c := row(t, rows, p+"-c-1"); c.State != "exited" {
		t.Errorf("c: %+v, want exited", c)
	}
	if n := docker(t, "network", "ls", "-q", "--filter", "label=io.chainctl.project="+p); n == "" {
		t.Error("the network was not kept")
	}
	mustChainctl(t, "down", "-q", "-p", p, "-t", "1s")
	if left := leftovers(p); left != "" {
		t.Errorf("down after a kept failure left: %s", left)
	}
}

func TestCoverageNetworkOptions(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	var x int
	var r result
	for try := 0; try < 3; try++ { // a subnet some other network holds: draw again
		x = 10 + rand.IntN(241)
		r = chainctl(t, "up", "-q", writeTopology(t, p, fmt.Sprintf(`name: PROJECT
network: {subnet: 10.213.%[1]d.0/24, gateway: 10.213.%[1]d.1, internal: true}
x-health: &health `+covHealth+`
services:
  a: {image: chainctl/link:latest, calls: [b], healthcheck: *health}
  b: {image: chainctl/link:latest, healthcheck: *health}
`, x)))
		if !strings.Contains(r.stderr, "overlap") {
			break
		}
	}
	if r.code != 0 {
		t.Fatalf("up: %s", r)
	}
	got := docker(t, "network", "inspect", "-f", "{{.Internal}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}", p+"-net")
	if want := fmt.Sprintf("true 10.213.%[1]d.0/24 10.213.%[1]d.1", x); got != want {
		t.Errorf("network %s-net: %q, want %q", p, got, want)
	}
	for _, c := range []string{p + "-a-1", p + "-b-1"} {
		if ip := ipOf(t, p, c); !strings.HasPrefix(ip, fmt.Sprintf("10.213.%d.", x)) {
			t.Errorf("%s has address %s, outside 10.213.%d.0/24", c, ip, x)
		}
	}
	if ok, failed, errs := probe(t, p+"-a-1", ipOf(t, p, p+"-b-1")+":8080", 5, time.Second); ok != 5 {
		t.Errorf("a → b on the internal network: %d ok, %d failed %v", ok, failed, errs)
	}
}

// covFreePortPair returns a loopback port whose successor is free too.
func covFreePortPair(t *testing.T) int {
	t.Helper()
	for try := 0; try < 20; try++ {
		p := freePort(t)
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+1)); err == nil {
			l.Close()
			return p
		}
	}
	t.Fatal("no two consecutive free ports")
	return 0
}

// covBindings reads a container's port map (HostConfig.PortBindings or
// NetworkSettings.Ports) as "ip:port ..." per container port, sorted; a
// host port of the range [pick, pick+1] reads as the range.
func covBindings(t *testing.T, container, field string, pick int) map[string]string {
	t.Helper()
	var raw map[string][]struct{ HostIp, HostPort string }
	if err := json.Unmarshal([]byte(docker(t, "inspect", "-f", "{{json "+field+"}}", container)), &raw); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for port, bs := range raw {
		var s []string
		for _, b := range bs {
			if n, _ := strconv.Atoi(b.HostPort); n == pick || n == pick+1 {
				b.HostPort = fmt.Sprintf("%d-%d", pick, pick+1)
			}
			s = append(s, b.HostIp+":"+b.HostPort)
		}
		sort.Strings(s)
		out[port] = strings.Join(s, " ")
	}
	return out
}

func TestCoveragePortForms(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	rng, pick, long, other := covFreePortPair(t), covFreePortPair(t), freePort(t), freePort(t)
	mustChainctl(t, "up", "-q", writeTopology(t, p, fmt.Sprintf(`name: PROJECT
services:
  a:
    image: chainctl/link:latest
    healthcheck: `+covHealth+`
    ports:
      - "127.0.0.1:%d-%d:8080-8081"
      - "%d-%d:8080/tcp"
      - {target: 8080, published: %d, host_ip: 127.0.0.1, protocol: tcp}
      - {target: 8080, published: %d, host_ip: 127.0.0.2}
`, rng, rng+1, pick, pick+1, long, other)))
	on8080 := []string{fmt.Sprintf("127.0.0.1:%d", rng), fmt.Sprintf("127.0.0.1:%d-%d", pick, pick+1), fmt.Sprintf("127.0.0.1:%d", long), fmt.Sprintf("127.0.0.2:%d", other)}
	sort.Strings(on8080)
	want := fmt.Sprint(map[string]string{"8080/tcp": strings.Join(on8080, " "), "8081/tcp": fmt.Sprintf("127.0.0.1:%d", rng+1)})
	// As asked, and as the engine bound them (it picks one port of Q-Q+1).
	for _, field := range []string{".HostConfig.PortBindings", ".NetworkSettings.Ports"} {
		if got := fmt.Sprint(covBindings(t, p+"-a-1", field, pick)); got != want {
			t.Errorf("%s = %s, want %s", field, got, want)
		}
	}
	var live map[string][]struct{ HostIp, HostPort string }
	if err := json.Unmarshal([]byte(docker(t, "inspect", "-f", "{{json .NetworkSettings.Ports}}", p+"-a-1")), &live); err != nil {
		t.Fatal(err)
	}
	for _, b := range live["8080/tcp"] {
		url := "http://" + b.HostIp + ":" + b.HostPort + "/"
		if status, body, err := get(url); err != nil || status != 200 || !strings.HasPrefix(body, "a (") {
			t.Errorf("GET %s: %d %q %v", url, status, body, err)
		}
	}
	if _, _, err := get(fmt.Sprintf("http://127.0.0.1:%d/", other)); err == nil {
		t.Errorf("port %d answers on 127.0.0.1: it was published on 127.0.0.2 only", other)
	}
}

// covPeekSource reads a file and then tries to create one, as the container's
// own user sees the mount: the link image has no shell to do it.
const covPeekSource = `package main

import ("fmt"; "os")

func main() {
	b, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Println("read:", err)
		os.Exit(1)
	}
	fmt.Printf("%s\nwrite: %v\n", b, os.WriteFile(os.Args[2], []byte("x"), 0o644))
}
`

func TestCoverageBindMountReadOnly(t *testing.T) {
	t.Parallel()
	p := newProject(t)
	dir, src := t.TempDir(), t.TempDir()
	if err := os.Chmod(dir, 0o777); err != nil { // only the mount's ro may stop a write
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello "+p), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "peek.go"), []byte(covPeekSource), 0o644); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "peek"), filepath.Join(src, "peek.go"))
	build.Dir, build.Env = src, append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build peek: %v\n%s", err, out)
	}
	mustChainctl(t, "up", "-q", writeTopology(t, p, `name: PROJECT
services:
  a:
    image: chainctl/link:latest
    healthcheck: `+covHealth+`
    volumes: ["`+dir+`:/conf:ro"]
`))
	c := p + "-a-1"
	mounts := docker(t, "inspect", "-f", `{{range .Mounts}}{{.Type}} {{.Source}} {{.Destination}} {{.RW}};{{end}}`, c)
	if want := "bind " + dir + " /conf false;"; mounts != want {
		t.Errorf("mounts of %s: %q, want %q", c, mounts, want)
	}
	if got := covReadFile(t, c, "/conf/hello.txt"); got != "hello "+p {
		t.Errorf("docker cp %s:/conf/hello.txt: %q", c, got)
	}
	// The container's own view, as its user: read it, and fail to write.
	got := docker(t, "exec", "-u", "65534:65534", c, "/conf/peek", "/conf/hello.txt", "/conf/new.txt")
	if want := "hello " + p + "\nwrite: open /conf/new.txt: read-only file system"; got != want {
		t.Errorf("peek in %s as 65534: %q, want %q", c, got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "new.txt")); err == nil {
		t.Error("a write through the read-only mount reached the host")
	}
}
