// A private dockerd of the test's own, in a network namespace, that a test may kill -9 and start again.

package e2e

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// privateEngine is a second dockerd in the namespace of a workerNet, with
// its own data root, exec root, pidfile, socket and bridge. Unlike the
// swarm worker it can be killed and started again with the same flags; its
// cleanup stops whichever instance runs and removes the namespace, the
// directory and any mount left under it.
type privateEngine struct {
	w       *workerNet
	dir     string
	args    []string // dockerd and its flags, the same at every start
	logPath string
	cmd     *exec.Cmd
	exited  chan error // receives once, when the running dockerd exits
}

// newPrivateEngine makes the namespace, starts the engine, waits until it
// answers and loads the link image into it.
func newPrivateEngine(t *testing.T) *privateEngine {
	t.Helper()
	needDaemon(t)
	for _, bin := range []string{"ip", "nsenter", "unshare", "dockerd", "umount"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("a private engine needs %s: %v", bin, err)
		}
	}
	if os.Geteuid() != 0 {
		t.Fatalf("a private engine needs root (euid %d)", os.Geteuid())
	}
	w := newWorkerNet(t)
	dir, err := os.MkdirTemp("", "ccd-")
	if err != nil {
		t.Fatal(err)
	}
	e := &privateEngine{w: w, dir: dir, logPath: filepath.Join(dir, "dockerd.log")}
	w.dir, w.sock = dir, filepath.Join(dir, "docker.sock")
	t.Cleanup(func() { e.remove(t) })
	conf := filepath.Join(dir, "daemon.json") // not the machine's, which names its data root
	if err := os.WriteFile(conf, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bip := strings.Replace(w.hostIP, "10.213.", "10.214.", 1) + "/24"
	e.args = []string{"nsenter", "--net=/var/run/netns/" + w.ns, "unshare", "--uts", "sh", "-c",
		`hostname "$0" && exec "$@"`, w.hostname,
		"dockerd", "--config-file", conf, "--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(dir, "exec"),
		"-H", "unix://" + w.sock, "--pidfile", e.pidfile(),
		"--cgroup-parent", "/" + w.ns, "--bip", bip, "--storage-driver", docker(t, "info", "--format", "{{.Driver}}")}
	e.start(t)
	e.loadImage(t, "chainctl/link:latest")
	return e
}

func (e *privateEngine) pidfile() string { return filepath.Join(e.dir, "dockerd.pid") }

// env is what chainctlEnv needs to talk to this engine.
func (e *privateEngine) env() []string { return []string{"DOCKER_HOST=unix://" + e.w.sock} }

// docker runs the docker CLI against this engine and fails the test on an error.
func (e *privateEngine) docker(t *testing.T, args ...string) string {
	t.Helper()
	return e.w.dockerW(t, args...)
}

// start starts dockerd (appending to its log) and waits until it answers.
func (e *privateEngine) start(t *testing.T) {
	t.Helper()
	e.forgetZombieContainerd(t)
	logf, err := os.OpenFile(e.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close() // the child has its own descriptor
	cmd := exec.Command(e.args[0], e.args[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e.cmd, e.exited = cmd, make(chan error, 1)
	exited := e.exited
	go func() { exited <- cmd.Wait() }()
	eventually(t, 60*time.Second, "the private engine answers", func() (bool, string) {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("the private dockerd exited: %v\n%s", err, e.logTail(20))
		default:
		}
		out, err := exec.Command("docker", "-H", "unix://"+e.w.sock, "version", "--format", "{{.Server.Version}}").CombinedOutput()
		return err == nil, string(out)
	})
}

// forgetZombieContainerd removes the managed containerd's pidfile when it
// names a zombie. A killed dockerd's containerd dies with it (parent-death
// signal) and is reparented to pid 1; on a host whose init reaps orphans the
// pidfile then names no process and the next dockerd starts a containerd of
// its own, which takes the running shims back. Where pid 1 does not reap
// (this CI's VM init), the zombie passes dockerd's kill(pid, 0) test, and
// dockerd waits for the dead containerd's socket until it gives up.
func (e *privateEngine) forgetZombieContainerd(t *testing.T) {
	t.Helper()
	pidfile := filepath.Join(e.dir, "exec", "containerd", "containerd.pid")
	b, err := os.ReadFile(pidfile)
	if err != nil {
		return
	}
	pid := strings.TrimSpace(string(b))
	// The parent-death signal is delivered, not yet acted on, when the
	// killed dockerd is gone: wait until containerd is gone or a zombie.
	deadline := time.Now().Add(10 * time.Second)
	for {
		stat, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			return // no such process: dockerd sees that by itself
		}
		// pid (comm) state ...: the state follows the last parenthesis.
		if f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:])); len(f) > 0 && f[0] == "Z" {
			t.Logf("the killed engine's containerd %s is a zombie nobody reaps: forget its pidfile", pid)
			if err := os.Remove(pidfile); err != nil {
				t.Fatal(err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Logf("the killed engine's containerd %s still runs 10s after it", pid)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pid is the pid dockerd wrote to its pidfile.
func (e *privateEngine) pid(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(e.pidfile())
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pidfile %s: %v", e.pidfile(), err)
	}
	return pid
}

// kill9 sends SIGKILL to the dockerd of the pidfile and waits until it is gone.
func (e *privateEngine) kill9(t *testing.T) {
	t.Helper()
	pid := e.pid(t)
	if pid != e.cmd.Process.Pid {
		t.Fatalf("the pidfile names %d, the dockerd started is %d", pid, e.cmd.Process.Pid)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 %d: %v", pid, err)
	}
	select {
	case err := <-e.exited:
		e.exited <- err
	case <-time.After(10 * time.Second):
		t.Fatalf("dockerd %d still runs 10s after SIGKILL", pid)
	}
}

// stop sends SIGTERM to the running dockerd's group and waits, SIGKILL after 20s.
func (e *privateEngine) stop() {
	if e.cmd == nil {
		return
	}
	select {
	case err := <-e.exited:
		e.exited <- err
		return
	default:
	}
	syscall.Kill(-e.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-e.exited:
	case <-time.After(20 * time.Second):
		syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
		<-e.exited
	}
}

// remove stops the engine and its containerd, unmounts what it left
// mounted under its directory and removes the directory.
func (e *privateEngine) remove(t *testing.T) {
	e.stop()
	// The managed containerd gets its own session; after a clean stop it
	// is gone, after a lost one it may not be.
	if b, err := os.ReadFile(filepath.Join(e.dir, "exec", "containerd", "containerd.pid")); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 1 && syscall.Kill(pid, 0) == nil {
			t.Logf("the private engine's containerd %d outlived it: SIGKILL", pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if t.Failed() {
		t.Logf("private dockerd log (tail):\n%s", e.logTail(40))
	}
	e.killLeftovers(t)
	mounts := mountsUnder(e.dir)
	slices.Reverse(mounts) // the deepest first
	for _, m := range mounts {
		exec.Command("umount", "-l", m).Run()
	}
	if err := os.RemoveAll(e.dir); err != nil {
		t.Errorf("remove the private engine's directory: %v", err)
	}
}

// killLeftovers SIGKILLs what an engine that did not stop cleanly (one
// that never came back after a kill) left running: the containers in its
// cgroup parent, then the processes that name its directory (shims,
// containerd, fuse-overlayfs); then it removes the emptied cgroups.
func (e *privateEngine) killLeftovers(t *testing.T) {
	cgroups, _ := filepath.Glob("/sys/fs/cgroup/*/" + e.w.ns)
	if dirs, _ := filepath.Glob("/sys/fs/cgroup/" + e.w.ns); len(dirs) > 0 {
		cgroups = append(cgroups, dirs...) // the unified hierarchy
	}
	var dirs []string
	for _, root := range cgroups {
		filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, path)
			}
			return nil
		})
	}
	var inCgroup []int
	for _, dir := range dirs {
		b, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil {
				inCgroup = append(inCgroup, pid)
			}
		}
	}
	var naming []int
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, path := range procs {
		b, _ := os.ReadFile(path)
		if bytes.Contains(b, []byte(e.dir+"/")) {
			if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(path))); err == nil {
				naming = append(naming, pid)
			}
		}
	}
	slices.Sort(inCgroup) // the hierarchies of cgroup v1 each list them
	for _, group := range [][]int{slices.Compact(inCgroup), naming} {
		for _, pid := range group {
			if pid > 1 && pid != os.Getpid() {
				t.Logf("the private engine left process %d running: SIGKILL", pid)
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if len(group) > 0 {
			time.Sleep(500 * time.Millisecond) // the kernel takes them down; a cgroup empties once they exit
		}
	}
	slices.Reverse(dirs) // the deepest first
	for _, dir := range dirs {
		os.Remove(dir)
	}
}

func (e *privateEngine) logTail(n int) string {
	b, _ := os.ReadFile(e.logPath)
	return tail(string(b), n)
}

// mountsUnder lists the mount points under dir, in the order they were mounted.
func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && (fields[4] == dir || strings.HasPrefix(fields[4], dir+"/")) {
			out = append(out, fields[4])
		}
	}
	return out
}

// loadImage copies an image of the machine's engine into this one (there is no registry).
func (e *privateEngine) loadImage(t *testing.T, image string) {
	t.Helper()
	save := exec.Command("docker", "save", image)
	load := exec.Command("docker", "-H", "unix://"+e.w.sock, "load", "-q")
	pipe, err := save.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	load.Stdin = pipe
	if err := save.Start(); err != nil {
		t.Fatal(err)
	}
	if out, err := load.CombinedOutput(); err != nil {
		t.Fatalf("load %s into the private engine: %v: %s", image, err, out)
	}
	if err := save.Wait(); err != nil {
		t.Fatal(err)
	}
}

// leftovers lists what of the project this engine still holds.
func (e *privateEngine) leftovers(project string) string {
	label := "label=io.chainctl.project=" + project
	var left []string
	lock := "label=io.chainctl.lock=" + project // the project's lock on the engine
	for _, kind := range [][2]string{{"ps -a", label}, {"network ls", label}, {"volume ls", label}, {"volume ls", lock}} {
		args := append([]string{"-H", "unix://" + e.w.sock}, strings.Fields(kind[0])...)
		out, err := exec.Command("docker", append(args, "-q", "--filter", kind[1])...).CombinedOutput()
		if s := strings.TrimSpace(string(out)); err != nil || s != "" {
			left = append(left, kind[0]+": "+strings.ReplaceAll(s, "\n", " "))
		}
	}
	return strings.Join(left, "; ")
}
